/**
 * Session history: one JSON line per copy session under the XDG data
 * directory, newest last, so the TUI's Jobs and history screen and scripts can
 * see past results. Appends are single write(2) calls of one line.
 *
 * The record is this module's own shape, not a domain's internals: a copy
 * maps its summary onto it (copy/session.ts), and the records already written
 * (which held a copy's whole summary) still read as one.
 */
import {appendFile, mkdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {formatDuration} from '../util/format.js';
import {dataDir} from '../workspace/dirs.js';

export type SessionResult = 'success' | 'warning' | 'failed' | 'cancelled';

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

export interface SessionRecord {
  kind: 'copy';
  /** Where from and where to: repository locations. */
  source: string;
  target: string;
  summary: SessionSummary;
  /** What happened, one line each, oldest first. */
  log?: string[];
}

/** One line for a session's result: "Copy finished: 3 copied, 0 skipped, 0 failed in 12s." */
export function sessionHeadline(x: SessionSummary): string {
  const verb = {success: 'finished', warning: 'finished with warnings', failed: 'failed', cancelled: 'cancelled'}[x.result];
  return `Copy ${verb}: ${x.pointsCopied} copied, ${x.pointsSkipped} skipped, ${x.pointsFailed} failed in ${formatDuration(x.seconds)}.`;
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
