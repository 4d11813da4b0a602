/**
 * A writer's lock. Version 1: one object `locks/writer` created with
 * putIfAbsent, so at most one writer holds it on any backend (`acquire`).
 * Version 2: one lock file per writer, shared or exclusive (lock-shared.ts
 * acquires it and holds it through this class, `hold`). It names its holder, carries a
 * nonce of its own, and is refreshed while held. A stale one (lock-info.ts)
 * is broken by the claim protocol of lock-break.ts, which never deletes a
 * lock another contender has just taken; the contender that loses says who
 * holds the lock and stops.
 *
 * A holder keeps checking that the lock is still its own: a refresh that
 * finds it removed or replaced, or that fails, or a lease not confirmed for
 * LEASE_MS, makes `assertHeld` throw from then on, so a writer stops instead
 * of writing on; `lost` says why. FORMAT.md "Locking" has the rules.
 */
import {BackhaulError, cancelled} from '../errors.js';
import type {Storage} from '../storage/storage.js';
import {breakStale, readOrUndefined, sweepLeftovers} from './lock-break.js';
import {
  describeHolder,
  encodeLock,
  isStale,
  LEASE_MS,
  LOCK_KEY,
  lockedError,
  lockExpired,
  lockRemoved,
  lockTakenOver,
  newLockInfo,
  parseLock,
  REFRESH_MS,
  staleReason,
  UNREADABLE,
  type LockInfo,
} from './lock-info.js';

export {
  describeHolder,
  isStale,
  LEASE_MS,
  LOCK_FILE,
  LOCK_KEY,
  REFRESH_MS,
  STALE_MS,
  type LockInfo,
} from './lock-info.js';

/** Told to the user (stderr, the session log): this writer broke a stale lock. */
export interface LockNotice {
  kind: 'lock-takeover';
  holder: LockInfo;
  message: string;
}

export interface LockOptions {
  onNotice?: (notice: LockNotice) => void;
  /** How often the lock is refreshed (default REFRESH_MS). */
  refreshMs?: number;
  signal?: AbortSignal;
  /** Monotonic milliseconds (injected by tests). */
  clock?: () => number;
}

/** How long releasing may take: a lock left on an unreachable server is stale soon anyway. */
const RELEASE_MS = 5_000;

export class WriterLock {
  private timer?: NodeJS.Timeout;
  private refreshing?: Promise<void>;
  private lostError?: BackhaulError;
  private released = false;
  private confirmedAt: number;
  private readonly clock: () => number;
  /**
   * Whether no other live writer held a lock when this one was acquired
   * (always so for version 1's single lock). Only then may a writer take
   * what it finds unfinished (unindexed packs, open uploads) for a dead
   * writer's leftovers.
   */
  alone = true;
  /** When the lock was created, by the storage's clock (ms), where known: leftovers are older. */
  createdAtMs?: number;

  private constructor(
    private readonly storage: Storage,
    private info: LockInfo,
    private readonly options: LockOptions,
    /** Where the lock is: `locks/writer` (version 1) or this writer's `locks/<16 hex>` (version 2). */
    readonly key: string = LOCK_KEY,
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.confirmedAt = this.clock();
  }

  /**
   * A lock file this writer just created at `key` holding `info` (version 2,
   * lock-shared.ts): refreshed from now on, until released.
   */
  static hold(storage: Storage, key: string, info: LockInfo, options: LockOptions): WriterLock {
    const lock = new WriterLock(storage, info, options, key);
    lock.schedule();
    return lock;
  }

  static async acquire(
    storage: Storage,
    operation: string,
    waitMs = 0,
    options: LockOptions = {},
  ): Promise<WriterLock> {
    const deadline = Date.now() + waitMs;
    let staleSeen: LockInfo | undefined; // said once the lock is ours: this writer started over a stale lock
    for (;;) {
      if (options.signal?.aborted) throw cancelled();
      const info = newLockInfo(operation);
      const lock = new WriterLock(storage, info, options);
      if (await storage.putIfAbsent(LOCK_KEY, encodeLock(info), {ephemeral: true})) {
        await sweepLeftovers(storage).catch(() => {});
        lock.schedule();
        if (staleSeen) {
          options.onNotice?.({
            kind: 'lock-takeover',
            holder: staleSeen,
            message: `Took over a stale writer lock on ${storage.location} held by ${describeHolder(staleSeen)}: ${staleReason(staleSeen)}.`,
          });
        }
        return lock;
      }
      const raw = await readOrUndefined(storage, LOCK_KEY);
      if (!raw) continue; // released meanwhile
      const held = parseLock(raw) ?? UNREADABLE;
      if (isStale(held)) {
        staleSeen = held;
        // Whoever breaks it, the next putIfAbsent decides who holds the lock; a contender that loses sees a live one.
        if ((await breakStale(storage, raw, options.clock)) === 'busy') await new Promise(r => setTimeout(r, 200));
        continue;
      }
      if (Date.now() >= deadline) throw lockedError(storage.location, held);
      await new Promise(r => setTimeout(r, 500));
    }
  }

  /** Why the lock is no longer this writer's, once it is not. */
  get lost(): BackhaulError | undefined {
    return this.lostError;
  }

  /** Throws unless the lock is still this writer's and confirmed recently enough (call before each write). */
  assertHeld(): void {
    if (this.lostError) throw this.lostError;
    const since = this.clock() - this.confirmedAt;
    if (since > LEASE_MS) throw this.lose(lockExpired(this.storage.location, this.info.operation, since));
  }

  private lose(e: unknown): BackhaulError {
    if (!this.lostError) {
      this.lostError = e instanceof BackhaulError && e.code === 'locked' ? e : refreshFailed(this.storage.location, e);
    }
    return this.lostError;
  }

  private schedule(): void {
    if (this.released) return; // a refresh that was running when the lock was released
    this.timer = setTimeout(() => {
      this.refresh().then(
        () => this.schedule(),
        () => {},
      ); // a failure is kept in `lost`: writes throw it
    }, this.options.refreshMs ?? REFRESH_MS);
    this.timer.unref();
  }

  /** Checks that the lock is still this writer's and rewrites its refresh time; throws (and keeps) why not. */
  refresh(): Promise<void> {
    this.refreshing ??= this.confirm().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async confirm(): Promise<void> {
    const started = this.clock();
    this.assertHeld();
    try {
      const raw = await readOrUndefined(this.storage, this.key);
      if (!raw) throw lockRemoved(this.storage.location, this.info.operation, this.key);
      const held = parseLock(raw);
      if (held?.nonce !== this.info.nonce) throw lockTakenOver(this.storage.location, this.info.operation, held);
      const next = {...this.info, refreshed: new Date().toISOString()};
      await this.storage.put(this.key, encodeLock(next));
      this.info = next;
      this.confirmedAt = started;
    } catch (e) {
      throw this.lose(e);
    }
  }

  /**
   * Deletes the lock if it is still this writer's and its lease holds; a
   * lock found removed or taken over is left alone and kept in `lost`.
   * Bounded (RELEASE_MS): on a storage that stopped answering, the lock is
   * left, to be judged stale.
   */
  async release(): Promise<void> {
    this.released = true;
    clearTimeout(this.timer);
    await this.refreshing?.catch(() => {});
    try {
      this.assertHeld();
    } catch {
      return;
    }
    const signal = AbortSignal.timeout(RELEASE_MS);
    try {
      const raw = await this.storage.get(this.key, signal).catch((e: unknown) => {
        if (e instanceof BackhaulError && e.code === 'not-found') return undefined;
        throw e;
      });
      if (!raw) return void this.lose(lockRemoved(this.storage.location, this.info.operation, this.key));
      const held = parseLock(raw);
      if (held?.nonce !== this.info.nonce)
        return void this.lose(lockTakenOver(this.storage.location, this.info.operation, held));
      await this.storage.delete(this.key, signal);
    } catch {
      // Best effort: left behind, the lock is stale once this process is gone (this host) or in STALE_MS.
    }
  }
}

function refreshFailed(location: string, e: unknown): BackhaulError {
  const cause = e instanceof BackhaulError ? e : undefined;
  const message = cause?.message ?? (e as Error)?.message ?? String(e);
  return new BackhaulError(
    cause?.code ?? 'storage',
    `The writer lock on ${location} could not be refreshed, so the run stopped: ${message}`,
    cause?.hint || 'Check that the repository is reachable; what was written is kept, and the same command resumes it.',
  );
}
