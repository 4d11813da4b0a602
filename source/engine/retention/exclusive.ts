/**
 * Running retention work (forget, prune) under the exclusive lock of a
 * version 2 repository. Version 1 repositories are refused (`usage`, exit 2):
 * their index files cannot supersede others and they have no catalogue.
 *
 * Guarantees: the work runs only while the lock is this process's
 * (`assertHeld` is handed to it, to call before each write and delete); the
 * lock is released whatever happens, and a lost lock is the error reported.
 */
import {BackhaulError, usageError} from '../errors.js';
import type {LockNotice} from '../repository/lock.js';
import {acquireRepositoryLock} from '../repository/lock-shared.js';
import type {Repository} from '../repository/repository.js';

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

/** Refuses a repository older than format version 2. */
export function requireVersion2(repo: Repository, command: string): void {
  if (repo.config.version < 2)
    throw usageError(
      `${repo.location} is format version ${repo.config.version}; ${command} needs version 2: run \`backhaul repo upgrade\` first.`,
      'Run `backhaul repo upgrade NAME`, then this command again.',
    );
}

export async function withExclusiveLock<T>(
  repo: Repository,
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
    throw lock.lost ?? e;
  }
  await lock.release();
  if (lock.lost) throw lock.lost;
  return result;
}
