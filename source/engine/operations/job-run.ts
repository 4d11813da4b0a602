/**
 * One run, in the process that runs it (the detached child `backhaul _run
 * RUN` that jobs/start.ts starts): what its spec asks — wait for the copy
 * window, the pre-script, the copy (operations/copy.ts, on this thread,
 * behind a gate that pauses it when the window closes and holds it to the
 * bandwidth limit), the post-script — or a health check (operations/
 * health.ts). Every step is written to the run's log as it happens (viewers
 * follow it), and the run ends with one `run.end` and one history record
 * (start, end, result, per-backup results, bytes, rate, bottleneck,
 * warnings, the log). Returns the exit code the run ends with — the same a
 * `backhaul copy` of the same selection would have (README "Exit codes").
 *
 * After a copy with no failed point (not a failed or cancelled one), a
 * job with a retention policy runs it on the target (operations/
 * job-retention.ts), before the post-script; what it did goes in the
 * history record, and a retention error fails the run (the copied points
 * stay). A failing pre-script stops the run (failed, nothing copied); a
 * failing post-script makes a copy that succeeded a warning. A stop (SIGTERM: `job
 * stop`) cancels like Ctrl-C: the point in progress is not committed and the
 * next run resumes it.
 */
import type {CopyEvent, CopySummary} from '../copy/events.js';
import {BackhaulError, EXIT, exitCodeFor, isBackhaulError} from '../errors.js';
import {
  emptySummary,
  recordSession,
  type SessionRecord,
  type SessionResult,
  type SessionSummary,
} from '../jobs/history.js';
import {JobGate} from '../jobs/run-gate.js';
import {loggedEvent, RunLogWriter, type RunPhase} from '../jobs/run-log.js';
import {registerRun, stopRequested, unregisterRun} from '../jobs/runs.js';
import {runScript} from '../jobs/scripts.js';
import {BackupTally, SessionLog, sessionSummary} from '../jobs/session.js';
import {readSpec, type RunSpec} from '../jobs/start.js';
import {parseInterval} from '../jobs/schedule.js';
import {parseWindow} from '../jobs/window.js';
import {processStamp} from '../util/process.js';
import {locationOf} from '../workspace/open.js';
import {runPasswordRule, setPasswordRule} from '../workspace/passwords.js';
import {copyJob} from './copy.js';
import {runHealthCheck} from './health.js';
import {runJobRetention} from './job-retention.js';

/** What a run came to, before it is written down. */
export interface RunEnd {
  result: SessionResult;
  exitCode: number;
  summary: SessionSummary;
  source: string;
  target: string;
  warnings: string[];
  record?: Partial<SessionRecord>;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The exit code of a copy's summary (as `backhaul copy` exits). */
export function summaryExitCode(s: CopySummary): number {
  if (s.result === 'cancelled') return EXIT.cancelled;
  if (s.pointsFailed === 0) return EXIT.ok;
  if (s.result === 'warning') return EXIT.partial;
  return exitCodeFor(s.failed[0]!.code);
}

/** Writes the run's steps to its log and keeps the session log the history gets. */
export class RunReporter {
  readonly session: SessionLog;
  readonly tally = new BackupTally();
  readonly warnings: string[] = [];

  constructor(
    readonly spec: RunSpec,
    readonly log: RunLogWriter = new RunLogWriter(spec.runId),
  ) {
    this.session = new SessionLog(spec.target);
  }

  phase(phase: RunPhase, until?: Date): void {
    this.log.write({type: 'run.phase', phase, ...(until ? {until: until.toISOString()} : {})});
  }

  say(level: 'info' | 'warning' | 'error', text: string): void {
    this.session.say(text);
    if (level !== 'info') this.warnings.push(text);
    this.log.write({type: 'run.log', level, text});
  }

  copyEvent(event: CopyEvent): void {
    this.session.event(event);
    this.tally.event(event);
    if (event.type === 'copy.log' && event.level !== 'info') this.warnings.push(event.message);
    this.log.write({type: 'copy', event: loggedEvent(event)});
  }
}

/** Runs a script of the spec's; false when it failed (said in the log, its output with it). */
async function script(
  which: 'pre' | 'post',
  command: string,
  r: RunReporter,
  signal: AbortSignal,
  result?: string,
): Promise<boolean> {
  r.phase(which === 'pre' ? 'pre-script' : 'post-script');
  r.say('info', `Running the ${which}-script: ${command}`);
  const env: Record<string, string> = {
    BACKHAUL_RUN_ID: r.spec.runId,
    BACKHAUL_PHASE: which,
    BACKHAUL_JOB: r.spec.job ?? '',
    ...(result ? {BACKHAUL_RESULT: result} : {}),
  };
  const done = await runScript(command, {
    timeoutMs: parseInterval(r.spec.scriptTimeout ?? '10m', '--script-timeout', 1000),
    signal,
    env,
  });
  for (const line of done.output) r.say('info', `${which}-script: ${line}`);
  r.say(done.ok ? 'info' : 'error', `The ${which}-script ${done.describe}.`);
  return done.ok;
}

async function copyStep(r: RunReporter, gate: JobGate, signal: AbortSignal): Promise<RunEnd> {
  const spec = r.spec;
  r.phase('copying');
  const {plan, summary} = await copyJob(
    {
      source: spec.source,
      target: spec.target,
      selection: spec.selection,
      concurrency: spec.concurrency,
      waitMs: spec.waitMs,
    },
    {signal, gate, record: false, onEvent: e => r.copyEvent(e)},
  );
  for (const n of summary.notices) if (!r.warnings.includes(n)) r.warnings.push(n);
  return {
    result: summary.result,
    exitCode: summaryExitCode(summary),
    summary: sessionSummary(summary),
    source: plan.source.location,
    target: plan.target.location,
    warnings: r.warnings,
    record: {backups: r.tally.results},
  };
}

/** A copy that stopped on an error (or found nothing to copy) before its summary. */
function stoppedEnd(r: RunReporter, e: unknown, startedAt: string): RunEnd {
  const spec = r.spec;
  const code = isBackhaulError(e) ? e.code : 'failure';
  // A job's rule that matches nothing new is not a failure: there was nothing to copy.
  const nothing = code === 'not-found' && spec.job !== undefined;
  const result: SessionResult = nothing ? 'success' : code === 'cancelled' ? 'cancelled' : 'failed';
  r.say(
    nothing ? 'info' : code === 'cancelled' ? 'warning' : 'error',
    nothing ? `Nothing to copy: ${messageOf(e)}` : `The run stopped: ${messageOf(e)}`,
  );
  return {
    result,
    exitCode: nothing ? EXIT.ok : isBackhaulError(e) ? e.exitCode : EXIT.failure,
    summary: emptySummary(result, startedAt, new Date().toISOString()),
    source: spec.source,
    target: spec.target,
    warnings: r.warnings,
  };
}

/** The job's retention after a copy that succeeded (see the header); its outcome or its error goes into `end`. */
async function retentionStep(r: RunReporter, end: RunEnd, signal: AbortSignal): Promise<void> {
  const ok = end.result === 'success' || (end.result === 'warning' && end.summary.pointsFailed === 0);
  if (!r.spec.retention || !ok) return;
  try {
    const retention = await runJobRetention(r, signal);
    end.record = {...end.record, retention};
  } catch (e) {
    const result: SessionResult = isBackhaulError(e) && e.code === 'cancelled' ? 'cancelled' : 'failed';
    r.say(result === 'cancelled' ? 'warning' : 'error', messageOf(e));
    end.result = result;
    end.summary.result = result;
    end.exitCode = isBackhaulError(e) ? e.exitCode : EXIT.failure;
  }
}

async function copyRun(r: RunReporter, signal: AbortSignal, startedAt: string): Promise<RunEnd> {
  const spec = r.spec;
  const window = spec.windows && spec.windows.length > 0 ? parseWindow(spec.windows) : undefined;
  const gate = new JobGate(window, spec.throttle, {
    waiting: until => {
      r.say('info', `The copy window is closed: waiting${until ? ` until ${until.toISOString()}` : ''}.`);
      r.phase('waiting for window', until);
    },
    resumed: () => {
      r.say('info', 'The copy window is open: going on.');
      r.phase('copying');
    },
  });
  try {
    await gate.windowOpen(signal); // nothing starts inside the window, not even the pre-script
    if (spec.pre && !(await script('pre', spec.pre, r, signal))) {
      if (signal.aborted) throw new BackhaulError('cancelled', 'Cancelled.');
      return {
        result: 'failed',
        exitCode: EXIT.failure,
        summary: emptySummary('failed', startedAt, new Date().toISOString()),
        source: spec.source,
        target: spec.target,
        warnings: r.warnings,
      };
    }
    const end = await copyStep(r, gate, signal);
    await retentionStep(r, end, signal);
    if (spec.post && !(await script('post', spec.post, r, signal, end.result)) && end.result === 'success') {
      end.result = 'warning';
      end.summary.result = 'warning';
    }
    return end;
  } catch (e) {
    const end = stoppedEnd(r, e, startedAt);
    if (end.result === 'success') await retentionStep(r, end, signal); // nothing new to copy: the policy still applies
    return end;
  }
}

/** Runs the run `runId` (its spec saved by jobs/start.ts) to its end; returns its exit code. */
export async function executeRun(runId: string, interrupted: AbortSignal): Promise<number> {
  const spec = readSpec(runId);
  setPasswordRule(runPasswordRule(locationOf(spec.target)));
  const startedAt = new Date().toISOString();
  registerRun({
    runId,
    job: spec.job,
    kind: spec.kind,
    pid: process.pid,
    stamp: processStamp(process.pid),
    startedAt,
    trigger: spec.trigger,
    source: spec.source,
    target: spec.target,
  });
  const r = new RunReporter(spec);
  r.log.write({
    type: 'run.start',
    runId,
    kind: spec.kind,
    job: spec.job,
    trigger: spec.trigger,
    pid: process.pid,
    source: spec.source,
    target: spec.target,
  });
  // A stop asked before run.start was written came as a file, not a signal (runs.ts, stopRun): read it now.
  const asked = new AbortController();
  if (stopRequested(runId)) asked.abort();
  const signal = AbortSignal.any([interrupted, asked.signal]);
  const stopAsked = () => r.say('warning', 'Stop asked: cancelling (the point in progress is not committed).');
  if (signal.aborted) stopAsked();
  else signal.addEventListener('abort', stopAsked, {once: true});
  let end: RunEnd;
  try {
    end = spec.kind === 'health' ? await runHealthCheck(r, signal, startedAt) : await copyRun(r, signal, startedAt);
  } catch (e) {
    end = stoppedEnd(r, e, startedAt);
  }
  await finish(r, end);
  return end.exitCode;
}

/** The run's last words: its history record, then `run.end` (which viewers wait for), then its files go. */
async function finish(r: RunReporter, end: RunEnd): Promise<void> {
  const spec = r.spec;
  const record: SessionRecord = {
    kind: spec.kind,
    source: end.source,
    target: end.target,
    summary: end.summary,
    log: [...r.session.lines],
    runId: spec.runId,
    job: spec.job,
    trigger: spec.trigger,
    exitCode: end.exitCode,
    warnings: [...new Set(end.warnings)],
    ...end.record,
  };
  try {
    await recordSession(record);
  } catch (e) {
    r.say('warning', `The run was not recorded in the history: ${messageOf(e)}`);
  }
  r.log.write({type: 'run.end', result: end.result, exitCode: end.exitCode, summary: end.summary});
  unregisterRun({runId: spec.runId, job: spec.job});
}
