/**
 * Running work under a repository's exclusive lock: retention (forget,
 * prune), `repo compact-index` and `repo upgrade`.
 *
 * Guarantees: the work runs only while the lock is this process's
 * (`assertHeld` is handed to it, to call before each write and delete); the
 * lock is released whatever happens, and a lost lock is the error reported.
 */
import {BackhaulError} from '../errors.js';
import type {Storage} from '../storage/storage.js';
import type {LockNotice} from './lock.js';
import {acquireRepositoryLock} from './lock-shared.js';

/** Errors thrown because another writer held the repository (the work never started). */
const busy = new WeakSet<object>();

/** Whether `e` says the lock was held by another writer, so nothing was done (a caller may try later). */
export function lockWasBusy(e: unknown): boolean {
  return typeof e === 'object' && e !== null && busy.has(e);
}

export interface ExclusiveOptions {
  signal?: AbortSignal;
  waitMs?: number;
  onNotice?: (notice: LockNotice) => void;
}

/** What of a repository the lock needs: its storage, and its version (version 1 has a lock of its own). */
export interface Lockable {
  readonly storage: Storage;
  readonly config: {readonly version: number};
}

export async function withExclusiveLock<T>(
  repo: Lockable,
  operation: string,
  options: ExclusiveOptions,
  work: (assertHeld: () => void) => Promise<T>,
): Promise<T> {
  const lock = await acquireRepositoryLock(
    repo.storage,
    repo.config.version,
    operation,
    {exclusive: true},
    options.waitMs ?? 0,
    {
      signal: options.signal,
      onNotice: options.onNotice,
    },
  ).catch((e: unknown) => {
    if (e instanceof BackhaulError && e.code === 'locked') busy.add(e);
    throw e;
  });
  let result: T;
  try {
    result = await work(() => {
      options.signal?.throwIfAborted();
      lock.assertHeld();
    });
  } catch (e) {
    await lock.release();
    throw lock.lost ?? e; // a lost lock explains whatever failed after it
  }
  await lock.release();
  if (lock.lost) throw lock.lost;
  return result;
}
