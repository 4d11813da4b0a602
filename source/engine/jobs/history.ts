/**
 * Session history: one JSON line per session under the XDG data directory,
 * newest last, so the TUI's Jobs and history screen and scripts can see past
 * results — copy sessions (from either face, or a job's run) and health
 * checks, and runs that never finished (a killed run is recorded as
 * `interrupted` by whoever finds it dead: runs.ts). Appends are single
 * write(2) calls of one line.
 *
 * The record is this module's own shape, not a domain's internals: a copy
 * maps its summary onto it (session.ts). Every line written before is still
 * read: records without a run id, job or per-backup results (older versions)
 * read as sessions with those left out.
 */
import {appendFile, mkdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {formatDuration} from '../util/format.js';
import {dataDir} from '../workspace/dirs.js';
import type {RetentionOutcome} from './job-retention.js';

export type SessionResult = 'success' | 'warning' | 'failed' | 'cancelled' | 'interrupted';

/** What a session did, as the history shows it. */
export interface SessionSummary {
  result: SessionResult;
  pointsCopied: number;
  pointsSkipped: number;
  pointsFailed: number;
  /** Each restore point that failed, and why (`code`: the error code a run that copied nothing exits with). */
  failed: {backupId: string; pointId: string; machine: string; message: string; code: string}[];
  logicalBytes: number;
  readBytes: number;
  transferredBytes: number;
  storedBytes: number;
  seconds: number;
  /** Processed bytes per second. */
  rate: number;
  /** The stage the session waited on most. */
  bottleneck: string;
  startedAt: string;
  endedAt: string;
  /** Requests sent again, and of those, tries abandoned as stalled (absent in records older than the counts). */
  retries?: number;
  stalls?: number;
}

/** What started a run. */
export type RunTrigger = 'manual' | 'schedule' | 'new point' | 'retry' | 'health schedule';

/** What one backup of a session came to. */
export interface BackupResult {
  backupId: string;
  machine: string;
  copied: number;
  skipped: number;
  failed: number;
}

/** What a health check found, and what it repaired from the job's source. */
export interface HealthResult {
  ok: boolean;
  points: number;
  /** Restore points found damaged before any repair. */
  brokenPoints: number;
  chunksRepaired: number;
  bytesRepaired: number;
  unrecoverable: number;
}

export interface SessionRecord {
  kind: 'copy' | 'health';
  /** Where from and where to: repository locations (a health check: the target, and the source it repairs from). */
  source: string;
  target: string;
  summary: SessionSummary;
  /** What happened, one line each, oldest first. */
  log?: string[];
  /** A run (a job's, or a detached copy's): its id (`backhaul attach RUN`), its job, what started it. */
  runId?: string;
  job?: string;
  trigger?: RunTrigger;
  /** The exit code the run ended with (a command's, see README "Exit codes"). */
  exitCode?: number;
  backups?: BackupResult[];
  /** What the user was told besides progress (a stale lock taken over, a failing post-script, stalls). */
  warnings?: string[];
  health?: HealthResult;
  /** What the job's retention did on the target after the copy (absent: none ran). */
  retention?: RetentionOutcome;
}

/** One line for a session's result: "Copy finished: 3 copied, 0 skipped, 0 failed in 12s." */
export function sessionHeadline(x: SessionSummary): string {
  const verb = {
    success: 'finished',
    warning: 'finished with warnings',
    failed: 'failed',
    cancelled: 'cancelled',
    interrupted: 'was interrupted',
  }[x.result];
  return `Copy ${verb}: ${x.pointsCopied} copied, ${x.pointsSkipped} skipped, ${x.pointsFailed} failed in ${formatDuration(x.seconds)}.`;
}

/** A summary of nothing done yet, for a session that ends before (or without) copying: a failed pre-script, a health check. */
export function emptySummary(result: SessionResult, startedAt: string, endedAt: string): SessionSummary {
  const seconds = Math.max(0, (Date.parse(endedAt) - Date.parse(startedAt)) / 1000);
  return {
    result,
    pointsCopied: 0,
    pointsSkipped: 0,
    pointsFailed: 0,
    failed: [],
    logicalBytes: 0,
    readBytes: 0,
    transferredBytes: 0,
    storedBytes: 0,
    seconds,
    rate: 0,
    bottleneck: 'source read',
    startedAt,
    endedAt,
  };
}

export const historyFile = () => join(dataDir(), 'history.jsonl');

export async function recordSession(session: SessionRecord): Promise<void> {
  await mkdir(dataDir(), {recursive: true, mode: 0o700});
  await appendFile(historyFile(), JSON.stringify(session) + '\n', {mode: 0o600});
}

export async function readHistory(): Promise<SessionRecord[]> {
  const text = await readFile(historyFile(), 'utf8').catch(() => '');
  const sessions: SessionRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      sessions.push(JSON.parse(line) as SessionRecord);
    } catch {
      // A torn last line (killed mid-write) is skipped, not fatal.
    }
  }
  return sessions;
}
