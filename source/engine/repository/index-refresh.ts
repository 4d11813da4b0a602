/**
 * Re-reading an open repository's chunk index when a reader misses a chunk
 * or a pack in it. A repository stays open while other processes write to
 * it (a TUI left open while an agent backup commits): a point's chunks are
 * indexed before its manifest is written, so a reader that learnt of a chunk
 * from a manifest and misses it may only be holding an older index. Such a
 * miss re-reads the index once before anything is called corrupt.
 *
 * Guarantees: every miss is followed by a re-read that began after the
 * miss (a re-read already running that began earlier is waited for first,
 * and is enough if it found what was missed). A re-read begins one
 * microtask after it is asked for, so the misses of one burst (readers
 * started together) share it: they cost one listing of `index/`, not one
 * each; misses during a re-read share at most one more. A re-read that
 * fails rejects every miss waiting on it.
 */

/** `full`: read every index file again (a pack went missing: the chunk may live elsewhere now); else only new ones. */
export type ReadIndex = (full: boolean) => Promise<void>;

interface Running {
  done: Promise<void>;
  /** When it began, in the order of `ticks` (Infinity: not yet, so it covers any miss). */
  began: number;
  readonly full: boolean;
}

export class IndexRefresher {
  /** A counter that orders misses and re-reads. */
  private ticks = 0;
  private running: Running | undefined;

  constructor(private readonly read: ReadIndex) {}

  /**
   * Resolves once the index has been re-read after this miss (`full` or not),
   * or earlier if a re-read that was already running makes `found` true.
   */
  async afterMiss(full: boolean, found: () => boolean): Promise<void> {
    const missed = ++this.ticks;
    for (;;) {
      const r = this.running;
      if (!r) return this.start(full);
      if (r.began > missed && (r.full || !full)) return r.done;
      // It began before this miss (or reads less than this miss needs): it may not hold what was missed.
      await r.done.catch(() => {});
      if (found()) return;
    }
  }

  private start(full: boolean): Promise<void> {
    const run: Running = {done: Promise.resolve(), began: Infinity, full};
    run.done = this.begin(run).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run.done;
  }

  private async begin(run: Running): Promise<void> {
    await Promise.resolve(); // the other misses of this burst join it before it begins
    run.began = ++this.ticks;
    await this.read(run.full);
  }
}
