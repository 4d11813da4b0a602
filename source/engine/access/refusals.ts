/**
 * Refused attempts: actions tried by someone without the privilege, kept in
 * a log of their own in the state directory (`<stateDir>/refusals.jsonl`,
 * one JSON object per line) and sent to the system log — not into the
 * repository, whose audit log records what was done, not every probe (a plain
 * user can try as often as they like).
 *
 * Guarantees:
 * - Bounded: when the file would pass MAX_REFUSALS_BYTES it is renamed to
 *   `refusals.jsonl.1` (replacing the previous one) and a new one started, so
 *   the two never hold much more than twice that; every caller-supplied field
 *   is cut to a fixed length.
 * - Never throws: a refusal is reported to the actor whether or not it could
 *   be recorded; the result says where it went.
 */
import {join} from 'node:path';
import {stateDir} from '../workspace/dirs.js';
import type {AuditAction, AuditActor} from './audit.js';
import {appendLine, ensurePrivateDir} from './state-files.js';
import {sendToSyslog, type SyslogResult} from './syslog.js';

export const MAX_REFUSALS_BYTES = 1024 * 1024;

export interface Refusal {
  action: AuditAction;
  actor: AuditActor;
  repository: {id?: string; location: string};
  forUser?: string;
  backupId?: string;
  reason?: string;
  error: string;
}

export interface RefusalRecord extends Refusal {
  time: string;
}

export interface RefusalOutcome {
  /** The refusals log, or undefined when it could not be written. */
  file?: string;
  fileError?: string;
  syslog: SyslogResult;
}

export const refusalsFile = (state: string = stateDir()): string => join(state, 'refusals.jsonl');

const cut = (text: string | undefined, max: number) => (text === undefined ? undefined : text.slice(0, max));

export async function recordRefusal(refusal: Refusal, now: () => Date = () => new Date()): Promise<RefusalOutcome> {
  const record: RefusalRecord = {
    time: now().toISOString(),
    action: refusal.action,
    actor: {user: refusal.actor.user.slice(0, 64), uid: refusal.actor.uid, viaSudo: refusal.actor.viaSudo},
    repository: {id: cut(refusal.repository.id, 64), location: refusal.repository.location.slice(0, 1000)},
    forUser: cut(refusal.forUser, 64),
    backupId: cut(refusal.backupId, 64),
    reason: cut(refusal.reason, 500),
    error: refusal.error.slice(0, 1000),
  };
  const outcome: RefusalOutcome = {syslog: {sent: false}};
  try {
    const file = refusalsFile(await ensurePrivateDir(stateDir()));
    await appendLine(file, JSON.stringify(record), {maxBytes: MAX_REFUSALS_BYTES});
    outcome.file = file;
  } catch (e) {
    outcome.fileError = (e as Error).message;
  }
  const who = `${record.actor.user}${record.actor.viaSudo ? ' (sudo)' : ''}`;
  outcome.syslog = await sendToSyslog(
    `refused ${record.action} actor=${JSON.stringify(who)} uid=${record.actor.uid} for=${JSON.stringify(record.forUser ?? '')} backup=${JSON.stringify(record.backupId ?? '')} location=${JSON.stringify(record.repository.location)}`,
    'auth.notice',
  );
  return outcome;
}
