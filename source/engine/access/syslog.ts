/**
 * One line to the system log (syslog or the journal) through `logger`, a
 * second copy of audit evidence outside the repository, readable with
 * `journalctl -t backhaul` or in /var/log/auth.log.
 *
 * Guarantees:
 * - Best effort: a missing, failing or hanging logger (killed after
 *   SYSLOG_TIMEOUT_MS) never throws; the result says what went wrong, so the
 *   caller can record it.
 * - The message is one line: control, separator and bidirectional characters
 *   are escaped (util/safe-text.ts) and it is cut at
 *   MAX_MESSAGE characters, so a crafted name cannot forge a second record.
 * execa is loaded on first use, so commands that never log pay nothing for it.
 */
import {safeText} from '../util/safe-text.js';

export const SYSLOG_TIMEOUT_MS = 2000;
const MAX_MESSAGE = 900;

export type SyslogPriority = 'auth.info' | 'auth.notice';

export interface SyslogResult {
  sent: boolean;
  /** Why it was not sent, e.g. "logger not found". */
  error?: string;
}

export function oneLine(text: string): string {
  const escaped = safeText(text);
  return escaped.length > MAX_MESSAGE ? `${escaped.slice(0, MAX_MESSAGE)}…` : escaped;
}

function describeFailure(e: unknown): string {
  const err = e as {code?: string; timedOut?: boolean; exitCode?: number; stderr?: string; message?: string};
  if (err.code === 'ENOENT') return 'logger not found';
  if (err.timedOut) return `logger did not finish within ${SYSLOG_TIMEOUT_MS / 1000} s`;
  const said = typeof err.stderr === 'string' ? err.stderr.trim().split('\n')[0] : '';
  if (err.exitCode !== undefined)
    return `logger exited with code ${err.exitCode}${said ? `: ${said.slice(0, 200)}` : ''}`;
  return `logger failed: ${String(err.message ?? e)
    .split('\n')[0]!
    .slice(0, 200)}`;
}

/** `logger -t backhaul --id=PID -p PRIORITY -- MESSAGE`. */
export async function sendToSyslog(message: string, priority: SyslogPriority = 'auth.info'): Promise<SyslogResult> {
  try {
    const {execa} = await import('execa');
    await execa('logger', ['-t', 'backhaul', `--id=${process.pid}`, '-p', priority, '--', oneLine(message)], {
      timeout: SYSLOG_TIMEOUT_MS,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'pipe',
    });
    return {sent: true};
  } catch (e) {
    return {sent: false, error: describeFailure(e)};
  }
}
