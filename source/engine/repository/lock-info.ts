/**
 * The writer lock's record (FORMAT.md "Locking"): what it says, how it is
 * read (hostile input: validated, never trusted to be well-formed), when it
 * counts as stale, and the sentences that describe it to a user.
 *
 * Guarantees: `parseLock` never throws; a record it cannot read is stale at
 * once (`UNREADABLE`), so garbage cannot lock a repository forever; records
 * written before locks carried a nonce are read as holders like any other.
 */
import {randomBytes} from 'node:crypto';
import {hostname, userInfo} from 'node:os';
import {BackhaulError} from '../errors.js';
import {processAlive} from '../util/process.js';

export const LOCK_KEY = 'locks/writer';
/** Version 2: one lock file per writer, `locks/<16 hex>`. */
export const LOCK_FILE = /^locks\/[0-9a-f]{16}$/;
/** Version 2: a point merge lock (point-merge-lock.ts), `locks/point-<backup id>-<point id>`; not a writer lock. */
export const POINT_LOCK_PREFIX = 'locks/point-';
/** How often a holder rewrites its lock. */
export const REFRESH_MS = 20_000;
/** A lock from another host not refreshed for this long is stale. */
export const STALE_MS = 120_000;
/**
 * A holder that has not confirmed its lock for this long stops writing: well
 * before anyone may judge it stale (STALE_MS), even with clocks 30 s apart.
 */
export const LEASE_MS = 90_000;

export interface LockInfo {
  host: string;
  pid: number;
  user: string;
  operation: string;
  time: string;
  refreshed: string;
  /** Random, one per acquisition: how a holder knows the lock is still its own. Absent in older locks. */
  nonce?: string;
  /** Version 2 lock files: true for the exclusive lock (prune, upgrade), false for a shared one. */
  exclusive?: boolean;
}

/** What an unreadable lock is taken for: held by no one known, stale at once. */
export const UNREADABLE: LockInfo = {
  host: '?',
  pid: 0,
  user: '?',
  operation: 'an unreadable lock',
  time: '1970-01-01T00:00:00.000Z',
  refreshed: '1970-01-01T00:00:00.000Z',
};

export function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown'; // no passwd entry
  }
}

/** A new lock record; `exclusive` only for version 2 lock files (version 1's lock has no such field). */
export function newLockInfo(operation: string, exclusive?: boolean): LockInfo {
  const now = new Date().toISOString();
  return {
    host: hostname(),
    pid: process.pid,
    user: currentUser(),
    operation,
    time: now,
    refreshed: now,
    nonce: randomBytes(16).toString('hex'),
    ...(exclusive !== undefined ? {exclusive} : {}),
  };
}

export function encodeLock(info: LockInfo): Buffer {
  return Buffer.from(JSON.stringify(info));
}

const isText = (v: unknown, max = 1024): v is string => typeof v === 'string' && v.length <= max;

/** The record in `raw`, or undefined when it is not a lock record. */
export function parseLock(raw: Buffer): LockInfo | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const {host, pid, user, operation, time, refreshed, nonce, exclusive} = v;
  if (!isText(host) || !isText(user) || !isText(operation) || !isText(time, 64) || !isText(refreshed, 64))
    return undefined;
  if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid < 1) return undefined; // kill(0) would test our own group
  if (nonce !== undefined && !isText(nonce, 64)) return undefined;
  if (exclusive !== undefined && typeof exclusive !== 'boolean') return undefined;
  return {
    host,
    pid,
    user,
    operation,
    time,
    refreshed,
    ...(nonce !== undefined ? {nonce} : {}),
    ...(exclusive !== undefined ? {exclusive} : {}),
  };
}

/** Stale: on this host, when its process is gone; elsewhere, when not refreshed for STALE_MS (or its time is unreadable). */
export function isStale(info: LockInfo, now = Date.now()): boolean {
  if (info.host === hostname()) return !processAlive(info.pid);
  const refreshed = Date.parse(info.refreshed);
  return Number.isNaN(refreshed) || now - refreshed > STALE_MS;
}

export function describeHolder(info: LockInfo): string {
  const kind = info.exclusive === true ? 'exclusive lock, ' : info.exclusive === false ? 'shared lock, ' : '';
  return `${info.user}@${info.host} (${kind}pid ${info.pid}, ${info.operation} since ${info.time})`;
}

const seconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

/** How old a lock is and when it counts as stale, in words. */
export function describeStaleness(info: LockInfo, now = Date.now()): string {
  if (info.host === hostname())
    return `it is held while process ${info.pid} runs on this host, and stale once it is gone`;
  const refreshed = Date.parse(info.refreshed);
  if (Number.isNaN(refreshed)) return 'its refresh time is unreadable, so it is stale';
  const age = now - refreshed;
  const left = STALE_MS - age;
  return `last refreshed ${seconds(age)} ago; it counts as stale ${seconds(STALE_MS)} after its last refresh${left > 0 ? ` (in ${seconds(left)})` : ''}`;
}

/** Why a stale lock was judged stale, for the notice that it was taken over. */
export function staleReason(info: LockInfo, now = Date.now()): string {
  if (info === UNREADABLE) return 'it was unreadable';
  if (info.host === hostname()) return `process ${info.pid} is no longer running`;
  return `it was last refreshed ${seconds(now - Date.parse(info.refreshed))} ago (stale after ${seconds(STALE_MS)})`;
}

export function lockedError(location: string, info: LockInfo, now = Date.now()): BackhaulError {
  return new BackhaulError(
    'locked',
    `${location} is locked by ${describeHolder(info)}; ${describeStaleness(info, now)}.`,
    'Wait for it to finish (or pass --wait SECONDS); a lock left by a dead process is broken automatically once it is stale.',
  );
}

const RESUME = 'What was written is kept: run the same command again once no other writer is at work, and it resumes.';

/** The lock (at `key`) was deleted under its holder. */
export function lockRemoved(location: string, operation: string, key = LOCK_KEY): BackhaulError {
  return new BackhaulError(
    'locked',
    `The writer lock on ${location} (${key}) was removed by someone else while this ${operation} held it; it stopped without writing more.`,
    `Check that nobody deletes ${key} by hand, and that no other host judged it stale (clocks more than 30 s apart?). ${RESUME}`,
  );
}

/** Someone else's lock now stands where the holder's was. */
export function lockTakenOver(location: string, operation: string, other: LockInfo | undefined): BackhaulError {
  const who = other ? `taken over by ${describeHolder(other)}` : 'replaced by an unreadable one';
  return new BackhaulError(
    'locked',
    `The writer lock on ${location} was ${who} while this ${operation} held it; it stopped without writing more.`,
    `Another writer judged this one's lock stale (it was not refreshed for ${seconds(STALE_MS)}: was this process paused, or the storage unreachable?). ${RESUME}`,
  );
}

/** The holder could not confirm its lock in time: others may already judge it stale. */
export function lockExpired(location: string, operation: string, sinceMs: number): BackhaulError {
  return new BackhaulError(
    'locked',
    `The writer lock on ${location} was not confirmed for ${seconds(sinceMs)}; another writer may judge it stale, so this ${operation} stopped without writing more.`,
    `Was this process paused, or the storage slow to answer? ${RESUME}`,
  );
}
