/**
 * Breaking a stale lock (version 1's `locks/writer`, or one writer's lock
 * file of version 2) so that two contenders can never both break it, on any backend, with no condition but "create if absent" (link(2),
 * `If-None-Match: *`): RGW ignores If-Match on DeleteObject, so "delete only
 * if unchanged" cannot be asked of the server.
 *
 * The right to delete one stale state of a lock (its exact bytes) is
 * won by creating its claim, `locks/break-<hash of the bytes>-<n>`. The
 * winner re-reads the lock, deletes it only if it still holds those bytes,
 * and only then deletes its claim. So while a state exists at most one live
 * claimant may delete it, and a contender that was slow (it read the state
 * long ago) finds the claim taken or the state gone: it never deletes the
 * fresh lock of the writer that won. A claim whose claimant died is passed
 * over (the next <n>) once it is stale; a claimant too slow to still be sure
 * (CLAIM_LEASE_MS) gives up instead of deleting. FORMAT.md "Locking".
 */
import {createHash} from 'node:crypto';
import {hostname} from 'node:os';
import {BackhaulError} from '../errors.js';
import type {Storage} from '../storage/storage.js';
import {processAlive} from '../util/process.js';
import {currentUser, isStale, LOCK_KEY, parseLock, POINT_LOCK_PREFIX, UNREADABLE} from './lock-info.js';

export const CLAIM_PREFIX = 'locks/break-';
const PROBE_PREFIX = 'locks/probe-';
/** A claim older than this, or whose process is gone (this host), was abandoned. */
export const CLAIM_STALE_MS = 60_000;
/** A claimant that took longer than this since its claim gives up rather than delete. */
export const CLAIM_LEASE_MS = 30_000;
const MAX_CLAIMS = 64;

/** 'broken': this contender deleted the stale lock; 'busy': another is breaking it; 'changed': the lock is no longer what was read. */
export type BreakResult = 'broken' | 'busy' | 'changed';

interface Claim {
  host: string;
  pid: number;
  user: string;
  time: string;
}

export async function readOrUndefined(storage: Storage, key: string): Promise<Buffer | undefined> {
  try {
    return await storage.get(key);
  } catch (e) {
    if (e instanceof BackhaulError && e.code === 'not-found') return undefined;
    throw e;
  }
}

function claimIsStale(raw: Buffer, now = Date.now()): boolean {
  let claim: Partial<Claim>;
  try {
    claim = JSON.parse(raw.toString('utf8')) as Partial<Claim>;
  } catch {
    return true;
  }
  if (claim?.host === hostname() && typeof claim.pid === 'number' && claim.pid > 0 && !processAlive(claim.pid))
    return true;
  // By time on every host: its claimant gives up after CLAIM_LEASE_MS, so a paused one cannot hold others off.
  const time = Date.parse(String(claim?.time));
  return Number.isNaN(time) || now - time > CLAIM_STALE_MS;
}

/**
 * Deletes the lock at `key` if it still holds `stale` (its exact bytes) and
 * this contender wins the claim to do so. `clock` is monotonic (ms). The
 * claim is named after the bytes, which include the lock's nonce: claims of
 * two lock files never meet.
 */
export async function breakStale(
  storage: Storage,
  stale: Buffer,
  clock: () => number = () => performance.now(),
  lockKey: string = LOCK_KEY,
): Promise<BreakResult> {
  const tag = createHash('sha256').update(stale).digest('hex').slice(0, 32);
  const claim = Buffer.from(
    JSON.stringify({
      host: hostname(),
      pid: process.pid,
      user: currentUser(),
      time: new Date().toISOString(),
    } satisfies Claim),
  );
  for (let n = 1; n <= MAX_CLAIMS; n++) {
    const key = `${CLAIM_PREFIX}${tag}-${n}`;
    const claimedAt = clock();
    if (await storage.putIfAbsent(key, claim, {ephemeral: true})) {
      try {
        const now = await readOrUndefined(storage, lockKey);
        if (!now || !now.equals(stale)) return 'changed';
        if (clock() - claimedAt > CLAIM_LEASE_MS) return 'changed'; // too slow to be sure: leave it to another
        await storage.delete(lockKey);
        return 'broken';
      } finally {
        // Only now, with the stale state gone (or left alone): a later claim of it finds it gone.
        await storage.delete(key).catch(() => {});
      }
    }
    const other = await readOrUndefined(storage, key);
    if (!other) return 'changed'; // its claimant is done: read the lock again
    if (!claimIsStale(other)) return 'busy';
  }
  return 'busy';
}

/**
 * Deletes what breakers and probes left in `locks/` (a claim whose
 * claimant was killed; an S3 probe of a killed process older than ten
 * minutes) and breaks point merge locks whose holders died. Called by the
 * holder of version 1's lock: the states those claims name are gone, so a
 * claimant still at work finds the lock changed and deletes nothing.
 * `staleClaimsOnly` (version 2, where other writers hold locks too and may
 * be breaking a stale one right now): a live claim is left.
 */
export async function sweepLeftovers(storage: Storage, now = Date.now(), staleClaimsOnly = false): Promise<void> {
  const leftovers: string[] = [];
  const points: string[] = [];
  for await (const info of storage.list('locks/')) {
    if (info.key.startsWith(CLAIM_PREFIX)) {
      if (!staleClaimsOnly) leftovers.push(info.key);
      else {
        const claim = await readOrUndefined(storage, info.key);
        if (claim && claimIsStale(claim, now)) leftovers.push(info.key);
      }
    } else if (info.key.startsWith(PROBE_PREFIX) && info.mtimeMs !== undefined && now - info.mtimeMs > 600_000)
      leftovers.push(info.key);
    else if (info.key.startsWith(POINT_LOCK_PREFIX)) points.push(info.key);
  }
  for (const key of leftovers) await storage.delete(key).catch(() => {});
  // A point merge lock whose holder died: broken as any stale lock is (a merge may be breaking it right now).
  for (const key of points) {
    const raw = await readOrUndefined(storage, key);
    if (raw && isStale(parseLock(raw) ?? UNREADABLE, now)) await breakStale(storage, raw, undefined, key);
  }
}
