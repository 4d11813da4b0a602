/**
 * A run's log: append-only JSON lines, one file per run
 * ($XDG_DATA_HOME/backhaul/runs/RUN.jsonl), written by the run's own process
 * and read by any number of viewers (`backhaul attach`, `job status`, the
 * TUI) while it grows. Each line is one entry stamped with the time (ms since
 * the epoch) it was written; every append is a single write(2) of whole
 * lines, so a reader sees whole lines, and at most a torn last line of a
 * killed writer (skipped).
 *
 * The copy's own events go in as they come, slimmed: a plan is its totals,
 * not its manifests (a plan of 100,000 points would be megabytes a line).
 */
import {appendFileSync, mkdirSync} from 'node:fs';
import {open, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import type {CopyEvent} from '../copy/events.js';
import {dataDir} from '../workspace/dirs.js';
import type {SessionResult, SessionSummary} from './history.js';

export const runsDir = () => join(dataDir(), 'runs');
export const runLogFile = (runId: string) => join(runsDir(), `${runId}.jsonl`);

/** What a run is doing, as `job status` shows it. */
export type RunPhase =
  'starting' | 'pre-script' | 'copying' | 'waiting for window' | 'retention' | 'post-script' | 'health check';

/** A plan's totals, as the run log keeps them. */
export interface PlanTotals {
  pointsToCopy: number;
  pointsOnTarget: number;
  logicalBytes: number;
  transferBytes: number;
  storeBytes: number;
  backups: {backupId: string; machine: string; copy: number}[];
}

export type LoggedCopyEvent =
  Exclude<CopyEvent, {type: 'copy.start' | 'copy.plan'}> | {type: 'copy.start' | 'copy.plan'; plan: PlanTotals};

export type RunEntry =
  | {
      type: 'run.start';
      runId: string;
      kind: 'copy' | 'health';
      job?: string;
      trigger: string;
      pid: number;
      source: string;
      target: string;
    }
  | {type: 'run.phase'; phase: RunPhase; until?: string}
  | {type: 'run.log'; level: 'info' | 'warning' | 'error'; text: string}
  | {type: 'copy'; event: LoggedCopyEvent}
  | {type: 'run.end'; result: SessionResult; exitCode: number; summary?: SessionSummary; message?: string};

export type StampedEntry = RunEntry & {t: number};

/** The slim form of a copy event for the log. */
export function loggedEvent(event: CopyEvent): LoggedCopyEvent {
  if (event.type !== 'copy.start' && event.type !== 'copy.plan') return event;
  const p = event.plan;
  return {
    type: event.type,
    plan: {
      pointsToCopy: p.pointsToCopy,
      pointsOnTarget: p.pointsOnTarget,
      logicalBytes: p.logicalBytes,
      transferBytes: p.transferBytes,
      storeBytes: p.storeBytes,
      backups: p.backups.map(b => ({
        backupId: b.backupId,
        machine: b.machine,
        copy: b.points.filter(x => x.action === 'copy').length,
      })),
    },
  };
}

/** Appends entries to a run's log (synchronously: a run killed right after still has them). */
export class RunLogWriter {
  constructor(
    readonly runId: string,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(runsDir(), {recursive: true, mode: 0o700});
  }

  write(entry: RunEntry): void {
    appendFileSync(runLogFile(this.runId), JSON.stringify({t: this.now(), ...entry}) + '\n', {mode: 0o600});
  }
}

function parseLines(text: string): StampedEntry[] {
  const out: StampedEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as StampedEntry);
    } catch {
      // a torn last line of a killed writer
    }
  }
  return out;
}

/** A log's `run.end` entry, if it has one. */
export function runEnd(entries: readonly StampedEntry[]): Extract<StampedEntry, {type: 'run.end'}> | undefined {
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.type === 'run.end') return e;
  }
  return undefined;
}

/** Every entry of a run's log; undefined when there is no such run. */
export async function readRunLog(runId: string): Promise<StampedEntry[] | undefined> {
  const text = await readFile(runLogFile(runId), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  return text === undefined ? undefined : parseLines(text);
}

/** Opens the log, waiting while the run has not written it yet (just started); undefined if it never does. */
async function openWhenThere(
  path: string,
  options: {signal?: AbortSignal; pollMs?: number; stillRunning?: () => boolean},
) {
  for (;;) {
    try {
      return await open(path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      if (options.signal?.aborted || !options.stillRunning?.()) return undefined;
      await new Promise(r => setTimeout(r, options.pollMs ?? 200));
    }
  }
}

/**
 * Follows a run's log from its start: yields entries as they are appended,
 * until the run's `run.end` (yielded last), or until `signal` aborts, or —
 * when `stillRunning` says the writer is gone without an end — stops.
 */
export async function* followRunLog(
  runId: string,
  options: {signal?: AbortSignal; pollMs?: number; stillRunning?: () => boolean} = {},
): AsyncGenerator<StampedEntry> {
  const handle = await openWhenThere(runLogFile(runId), options);
  if (!handle) return;
  let offset = 0;
  let rest = '';
  // Set once the writer is gone: one more read to the end, since it may have written its last lines
  // (its copy's last events, its run.end) between our read that found nothing and the check.
  let lastPass = false;
  const buffer = Buffer.alloc(1 << 20);
  try {
    for (;;) {
      if (options.signal?.aborted) return;
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, offset);
      if (bytesRead > 0) {
        offset += bytesRead;
        const text = rest + buffer.subarray(0, bytesRead).toString('utf8');
        const cut = text.lastIndexOf('\n');
        rest = text.slice(cut + 1);
        for (const entry of parseLines(text.slice(0, cut + 1))) {
          yield entry;
          if (entry.type === 'run.end') return;
        }
        continue;
      }
      if (lastPass) return;
      if (options.stillRunning && !options.stillRunning()) {
        lastPass = true;
        continue;
      }
      await new Promise(r => setTimeout(r, options.pollMs ?? 200));
    }
  } finally {
    await handle.close();
  }
}
