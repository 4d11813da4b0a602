/**
 * How the TUI starts a detached run (a copy from the plan, a job's "Sync
 * now"): the engine's default — this very program again (node and its
 * script) — unless something that embeds the screens says otherwise (tests
 * render them from a test file, so they point it at the built CLI).
 */
import {defaultRunner} from '../engine/jobs/index.js';

let runner: readonly string[] | undefined;

/** Sets the program runs are started with (undefined: the default again). */
export function setRunner(next: readonly string[] | undefined): void {
  runner = next;
}

export const currentRunner = (): readonly string[] => runner ?? defaultRunner();
