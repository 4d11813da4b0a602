/**
 * The gate a saved job's copy passes before each pack it sends
 * (copy/gate.ts): first the copy window — while prohibited hours last, the
 * copy waits there (the packs in flight land, no new one starts; the
 * writer lock keeps being refreshed by its own timer, so nothing is lost
 * and nobody takes the target over), saying `waiting for window` until when
 * — then the bandwidth limit. Time spent in the window is not throttling
 * and earns no burst credit afterwards (the throttle's slots start again
 * from now).
 */
import {Throttle, wait, type CopyGate} from '../copy/gate.js';
import {windowState, type CopyWindow} from './window.js';

export interface GateWatcher {
  /** The window closed: the copy waits until `until`. */
  waiting(until: Date | undefined): void;
  /** It opened again: the copy goes on. */
  resumed(): void;
}

/** How often a waiting copy looks again (a stop is seen at once: the wait is aborted). */
const RECHECK_MS = 1000;

export class JobGate implements CopyGate {
  private readonly throttle?: Throttle;
  private waitingNow = false;

  constructor(
    private readonly window: CopyWindow | undefined,
    mbPerSecond: number | undefined,
    private readonly watcher: GateWatcher,
    private readonly now: () => Date = () => new Date(),
  ) {
    if (mbPerSecond !== undefined) this.throttle = new Throttle(mbPerSecond * 1_000_000);
  }

  /** Resolves once the window is open (at once when it is). */
  async windowOpen(signal?: AbortSignal): Promise<void> {
    if (!this.window) return;
    for (;;) {
      const at = this.now();
      const state = windowState(this.window, at);
      if (state.open) break;
      if (!this.waitingNow) {
        this.waitingNow = true;
        this.watcher.waiting(state.changesAt);
      }
      const left = state.changesAt ? state.changesAt.getTime() - at.getTime() : RECHECK_MS;
      await wait(Math.max(10, Math.min(RECHECK_MS, left)), signal);
    }
    if (this.waitingNow) {
      this.waitingNow = false;
      this.watcher.resumed();
    }
  }

  async pass(bytes: number, signal?: AbortSignal): Promise<number> {
    await this.windowOpen(signal);
    if (!this.throttle) return 0;
    const held = await this.throttle.pass(bytes, signal);
    // A pack whose slot came after the window closed waits for it too (the packs already sending land).
    await this.windowOpen(signal);
    return held;
  }
}
