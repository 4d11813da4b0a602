/**
 * Version 2's locks (FORMAT.md "Locking (version 2: shared and exclusive)"):
 * each writer creates its own `locks/<16 random hex>` (put if absent), then
 * lists `locks/`. Backups and copies take shared locks and run side by side;
 * prune and upgrade take the exclusive one, which excludes every other lock.
 * A live `locks/writer` (version 1's lock: an upgrade finishing, or a writer
 * that opened the repository while it was still version 1) conflicts with
 * every lock.
 *
 * Guarantees: a lock is returned only after a listing made after it was
 * created showed no live conflicting lock, so of two conflicting writers at
 * least one sees the other and backs off (deleting its own file first). Two
 * contenders that see each other both back off and retry after a random
 * delay; a holder that is really at work refuses (or delays, with waitMs)
 * the other, named. Stale lock files are broken one by one with version 1's
 * claim protocol (lock-break.ts); a held lock is refreshed, checked and
 * released by WriterLock like version 1's.
 */
import {randomBytes, randomInt} from 'node:crypto';
import {cancelled} from '../errors.js';
import type {Storage} from '../storage/storage.js';
import {breakStale, readOrUndefined, sweepLeftovers} from './lock-break.js';
import {
  describeHolder,
  encodeLock,
  isStale,
  LOCK_FILE,
  LOCK_KEY,
  lockedError,
  newLockInfo,
  parseLock,
  staleReason,
  UNREADABLE,
  type LockInfo,
} from './lock-info.js';
import {WriterLock, type LockOptions} from './lock.js';

/**
 * Even a writer told not to wait retries a conflict for this long: two
 * writers that start together may each see the other's fresh file and back
 * off, and neither should fail for that.
 */
const CONTENTION_MS = 2_000;

export interface LockMode {
  /** The exclusive lock (prune, upgrade); otherwise a shared one (backups, copies). */
  exclusive: boolean;
}

/** What a listing of `locks/` showed besides this writer's own file. */
interface Others {
  /** A live lock this writer may not run beside. */
  conflict?: LockInfo;
  /** Some other live lock was there (shared beside shared). */
  any: boolean;
}

/**
 * Takes a version 2 lock on `storage`, waiting up to `waitMs` while a
 * conflicting one is held; fails with `locked` naming the holder.
 */
export async function acquireV2Lock(
  storage: Storage,
  operation: string,
  mode: LockMode,
  waitMs = 0,
  options: LockOptions = {},
): Promise<WriterLock> {
  const deadline = Date.now() + Math.max(waitMs, CONTENTION_MS);
  const waitDeadline = Date.now() + waitMs;
  const stale = new Map<string, LockInfo>(); // said once the lock is ours: this writer started over stale locks
  for (;;) {
    if (options.signal?.aborted) throw cancelled();
    const info = newLockInfo(operation, mode.exclusive);
    const key = `locks/${randomBytes(8).toString('hex')}`;
    if (!(await storage.putIfAbsent(key, encodeLock(info), {ephemeral: true}))) continue; // 2^64 names: never twice
    let others: Others;
    try {
      others = await listOthers(storage, key, mode, options.clock, stale);
    } catch (e) {
      await storage.delete(key).catch(() => {});
      throw e;
    }
    if (!others.conflict) {
      const lock = WriterLock.hold(storage, key, info, options);
      lock.alone = !others.any;
      lock.createdAtMs = (await storage.stat(key).catch(() => undefined))?.mtimeMs;
      await sweepLeftovers(storage, Date.now(), true).catch(() => {});
      for (const held of stale.values()) {
        options.onNotice?.({
          kind: 'lock-takeover',
          holder: held,
          message: `Took over a stale writer lock on ${storage.location} held by ${describeHolder(held)}: ${staleReason(held)}.`,
        });
      }
      return lock;
    }
    await storage.delete(key);
    const holder = others.conflict;
    // A holder that started before the wait ran out is waited for; a contender that started with this one is retried.
    const contending = Date.now() < deadline && Date.parse(holder.time) >= Date.parse(info.time) - CONTENTION_MS;
    if (Date.now() >= waitDeadline && !contending) throw lockedError(storage.location, holder);
    await new Promise(r => setTimeout(r, randomInt(100, 600)));
  }
}

/**
 * Reads every other lock under `locks/`, breaking the stale ones (noted in
 * `stale`), and says which live one conflicts with `mode`.
 */
async function listOthers(
  storage: Storage,
  own: string,
  mode: LockMode,
  clock: (() => number) | undefined,
  stale: Map<string, LockInfo>,
): Promise<Others> {
  const keys: string[] = [];
  for await (const info of storage.list('locks/')) {
    if (info.key !== own && (info.key === LOCK_KEY || LOCK_FILE.test(info.key))) keys.push(info.key);
  }
  const others: Others = {any: false};
  for (const key of keys.sort()) {
    const raw = await readOrUndefined(storage, key);
    if (!raw) continue; // released meanwhile
    const held = parseLock(raw) ?? UNREADABLE;
    if (isStale(held)) {
      // Whoever breaks it, it is gone or going: a stale holder has stopped writing (its lease ran out).
      await breakStale(storage, raw, clock, key);
      stale.set(key, held);
      continue;
    }
    others.any = true;
    const conflicts = mode.exclusive || held.exclusive !== false || key === LOCK_KEY;
    if (conflicts) others.conflict ??= held;
  }
  return others;
}

/**
 * The lock a writer takes in a repository of `version`: version 1's single
 * `locks/writer`, or (version 2) a shared or exclusive lock file.
 */
export function acquireRepositoryLock(
  storage: Storage,
  version: number,
  operation: string,
  mode: LockMode,
  waitMs = 0,
  options: LockOptions = {},
): Promise<WriterLock> {
  if (version >= 2) return acquireV2Lock(storage, operation, mode, waitMs, options);
  return WriterLock.acquire(storage, operation, waitMs, options);
}
