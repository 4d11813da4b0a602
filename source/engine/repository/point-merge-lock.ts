/**
 * The lock a writer holds while it replaces a restore point's manifest with
 * a superset of it (a copy adding cluster nodes to a point already on the
 * target): `locks/point-<backup id>-<point id>`, created if absent, deleted
 * after. Version 2's writers share the repository, and a replace is a read,
 * a merge and a write: two writers that read the same manifest and then
 * write their own merges would leave only the second's nodes, and the node
 * the first added would be lost from the manifest though the catalogue
 * names it. Under this lock each writer reads the manifest as the last one
 * left it. Creating a manifest needs no lock ("put if absent").
 *
 * A holder keeps it for one read and one write, and gives up (writes
 * nothing) if that took longer than LEASE_MS. A lock whose holder died is
 * stale by the rules of the writer locks (its process gone on this host,
 * else older than STALE_MS) and broken with their claim protocol
 * (lock-break.ts), so two contenders never both break it. FORMAT.md
 * "Locking".
 */
import {cancelled, BackhaulError} from '../errors.js';
import type {Storage} from '../storage/storage.js';
import {breakStale, readOrUndefined} from './lock-break.js';
import {encodeLock, isStale, LEASE_MS, newLockInfo, parseLock, POINT_LOCK_PREFIX, UNREADABLE} from './lock-info.js';

export const pointLockKey = (backup: string, point: string) => `${POINT_LOCK_PREFIX}${backup}-${point}`;

export interface PointLockOptions {
  signal?: AbortSignal;
  /** Monotonic milliseconds (tests move time on). */
  clock?: () => number;
}

/**
 * Runs `work` holding the point's merge lock, waiting for another holder
 * (polling, up to a quarter second apart) or breaking a stale lock. `work`
 * calls `beforeWrite` just before it writes: it throws if the lease ran out.
 */
export async function withPointMergeLock<T>(
  storage: Storage,
  backup: string,
  point: string,
  work: (beforeWrite: () => void) => Promise<T>,
  options: PointLockOptions = {},
): Promise<T> {
  const clock = options.clock ?? (() => performance.now());
  const key = pointLockKey(backup, point);
  const mine = encodeLock(newLockInfo(`merging restore point ${point}`));
  for (let wait = 10; ; wait = Math.min(wait * 2, 250)) {
    if (options.signal?.aborted) throw cancelled();
    if (await storage.putIfAbsent(key, mine, {ephemeral: true})) break;
    const held = await readOrUndefined(storage, key);
    if (!held) continue; // released meanwhile
    if (isStale(parseLock(held) ?? UNREADABLE)) {
      await breakStale(storage, held, clock, key);
      continue;
    }
    await new Promise(resolve => setTimeout(resolve, wait));
  }
  const acquired = clock();
  let overran = false;
  try {
    return await work(() => {
      if (clock() - acquired <= LEASE_MS) return;
      overran = true;
      throw new BackhaulError(
        'locked',
        `Merging restore point ${point} into ${storage.location} took over ${LEASE_MS / 1000} s; it stopped before writing, as another writer may have judged its lock stale.`,
        'Run the same copy again: it finds what is on the target and adds what is missing.',
      );
    });
  } finally {
    // A holder past its lease may have lost the lock to a breaker: only its own bytes are deleted then.
    const still = overran ? await readOrUndefined(storage, key).catch(() => undefined) : mine;
    if (still?.equals(mine)) await storage.delete(key).catch(() => {});
  }
}
