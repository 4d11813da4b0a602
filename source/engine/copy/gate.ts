/**
 * What may hold a copy back before each pack it sends (transfer.ts asks
 * before it reads a pack to send): a bandwidth limit, and whatever else the
 * caller decides — a saved job's copy window pauses the run there, its
 * writer lock kept refreshed meanwhile, and it goes on where it stopped.
 *
 * Throttle guarantees: what has been let through by time t since the first
 * request is at most `bytesPerSecond` × t (each request waits for the end of
 * its slot, not its start), and time the copy spends slower than the limit
 * earns no credit for a burst later.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {cancelled} from '../errors.js';

export interface CopyGate {
  /**
   * Resolves when `bytes` more may be sent, with the milliseconds it held
   * them back for the bandwidth limit (the run's "throttling" figure; a
   * pause for a copy window is not counted there). Rejects with `cancelled`
   * once `signal` aborts.
   */
  pass(bytes: number, signal?: AbortSignal): Promise<number>;
}

/** Waits `ms` unless `signal` aborts first (then throws `cancelled`). */
export async function wait(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) throw cancelled();
  if (ms <= 0) return;
  try {
    await sleep(ms, undefined, {signal});
  } catch (e) {
    if (signal?.aborted) throw cancelled();
    throw e;
  }
}

/** A bandwidth limit (see the header). `clock` is in milliseconds (injected by tests). */
export class Throttle implements CopyGate {
  private next = -Infinity;

  constructor(
    readonly bytesPerSecond: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly delay: (ms: number, signal?: AbortSignal) => Promise<void> = wait,
  ) {
    if (!(bytesPerSecond > 0)) throw new RangeError('a bandwidth limit must be above 0');
  }

  async pass(bytes: number, signal?: AbortSignal): Promise<number> {
    const now = this.clock();
    const start = Math.max(now, this.next);
    this.next = start + (bytes / this.bytesPerSecond) * 1000;
    const held = this.next - now;
    await this.delay(held, signal);
    return Math.max(0, held);
  }
}
