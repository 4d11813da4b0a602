/**
 * A copy session as the history keeps it (history.ts): the copy's
 * summary mapped onto the history's own record, and the session's log — what
 * the copy's events said, one timestamped line each, the same whichever face
 * ran the copy.
 */
import {sessionHeadline, type BackupResult, type SessionRecord, type SessionSummary} from './history.js';
import {formatBytes} from '../util/format.js';
import type {CopyEvent, CopySummary} from '../copy/events.js';

export function sessionSummary(s: CopySummary): SessionSummary {
  return {
    result: s.result,
    pointsCopied: s.pointsCopied,
    pointsSkipped: s.pointsSkipped,
    pointsFailed: s.pointsFailed,
    failed: s.failed.map(f => ({
      backupId: f.backupId,
      pointId: f.pointId,
      machine: f.machine,
      message: f.message,
      code: f.code,
    })),
    logicalBytes: s.logicalBytes,
    readBytes: s.readBytes,
    transferredBytes: s.transferredBytes,
    storedBytes: s.storedBytes,
    seconds: s.seconds,
    rate: s.rate,
    bottleneck: s.bottleneck,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    retries: s.retries,
    stalls: s.stalls,
  };
}

/** `source`, `target`: the repositories' locations. */
export function sessionRecord(
  source: string,
  target: string,
  summary: CopySummary,
  log: readonly string[],
): SessionRecord {
  return {kind: 'copy', source, target, summary: sessionSummary(summary), log: [...log]};
}

export type LogLevel = 'info' | 'warning' | 'error';

/** The log line an event makes, if any; `target` is the target as the user named it. */
export function sessionLine(event: CopyEvent, target: string): {level: LogLevel; text: string} | undefined {
  switch (event.type) {
    case 'copy.start':
      return {
        level: 'info',
        text: `Copy of ${event.plan.pointsToCopy} restore point(s) to ${target} started: ${formatBytes(event.plan.transferBytes)} to transfer.`,
      };
    case 'copy.point':
      return event.status === 'copied'
        ? {level: 'info', text: `Copied ${event.machine} point ${event.pointId}.`}
        : undefined;
    case 'copy.log':
      return {level: event.level, text: event.message};
    case 'copy.done':
      return {
        level: event.summary.result === 'success' ? 'info' : 'warning',
        text: sessionHeadline(sessionSummary(event.summary)),
      };
    default:
      return undefined;
  }
}

/** What a cancelled run says when the cancel is asked for. */
export const CANCELLING = 'Cancelling: the point in progress is not committed.';

const MAX_LINES = 500;

/** The session's log as it goes: the newest MAX_LINES lines, each stamped with the time (UTC) it was written. */
export class SessionLog {
  private readonly kept: string[] = [];

  constructor(
    private readonly target: string,
    private readonly now: () => number = Date.now,
  ) {}

  event(event: CopyEvent): void {
    const line = sessionLine(event, this.target);
    if (line) this.say(line.text);
  }

  say(text: string): void {
    if (this.kept.length === MAX_LINES) this.kept.shift();
    this.kept.push(`${new Date(this.now()).toISOString().slice(11, 19)} ${text}`);
  }

  get lines(): readonly string[] {
    return this.kept;
  }
}

/** Per backup, what its points came to, from the copy's `copy.point` events (the history's per-backup results). */
export class BackupTally {
  private readonly byId = new Map<string, BackupResult>();

  event(event: CopyEvent): void {
    if (event.type !== 'copy.point') return;
    let row = this.byId.get(event.backupId);
    if (!row)
      this.byId.set(
        event.backupId,
        (row = {backupId: event.backupId, machine: event.machine, copied: 0, skipped: 0, failed: 0}),
      );
    row[event.status]++;
  }

  get results(): BackupResult[] {
    return [...this.byId.values()].map(r => ({...r}));
  }
}
