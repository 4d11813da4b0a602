/**
 * Backup copy jobs: the one entry both faces (the CLI's `job`, `service`,
 * `attach` commands and the TUI's Jobs screen) use. Everything here is
 * typed, never prints, and reads the same files any other process does, so
 * a face may come and go while runs go on:
 *
 * - Saved jobs: `listJobs`, `getJob` (an unknown name: usage error, exit 2),
 *   `addJob`, `updateJob`, `removeJob`, `setJobEnabled`; `withDefaults` and
 *   `checkJob` for a form (one sentence and a hint per bad value);
 *   `describeJob` for its lines as `job show` prints them.
 * - Where each stands: `jobStatuses(jobs, {withRpo})` — state (idle,
 *   running, waiting for window, disabled), the live run and its phase, last
 *   result, next run, window, RPO, last retention (kept, removed, bytes
 *   freed, last prune).
 * - Runs: `startJobRun(name, {points})` ("Sync now": `latest` or `all`;
 *   detached, returns the run; `{healthCheck: true}`: its health check
 *   now), `startRun(spec)` (any copy, detached: the Copy plan screen's),
 *   `stopJob(name)` (SIGTERM, a clean cancel), `liveRuns()`, `followRun(runId)` (a run log's entries as they are
 *   written, ending with `run.end`; `readRunLog` for a finished one),
 *   `reapRuns()` (records killed runs as interrupted, returns the live ones;
 *   the status and the service call it).
 * - History: `jobHistory(name)` (every session of the job, oldest first),
 *   `readHistory()` for all.
 */
import {BackhaulError, quoted} from '../errors.js';
import {readHistory, type SessionRecord} from './history.js';
import {HEALTH_PRESETS, type JobDefinition} from './job.js';
import {describeRetention} from './job-retention.js';
import {followRunLog, readRunLog, runEnd, type StampedEntry} from './run-log.js';
import {liveRunOf, liveRuns, reapRuns, stopRun, type LiveRun} from './runs.js';
import {defaultRunner, jobRunSpec, startRun} from './start.js';
import {describeSchedule} from './status.js';
import {getJob, updateJob} from './store.js';
import {describeWindow, parseWindow} from './window.js';

export {addJob, findJob, getJob, listJobs, removeJob, updateJob, jobsFile} from './store.js';
export {checkJob, checkJobName, checkRepositories} from './validate.js';
export {
  withDefaults,
  JOB_MODES,
  DEFAULT_SCRIPT_TIMEOUT,
  HEALTH_PRESETS,
  DEFAULT_PRUNE_EVERY,
  type JobDefinition,
  type JobInput,
  type JobMode,
  type JobRetention,
} from './job.js';
export {
  describeRetention,
  pruneDue,
  retentionStatus,
  retentionWords,
  jobRetentionFor,
  keptForOf,
  gfsMarks,
  mergeRetention,
  type RetentionOutcome,
  type RetentionStatus,
} from './job-retention.js';
export {jobStatuses, rpoStatus, describeSchedule, type JobStatus, type JobState, type RpoStatus} from './status.js';
export {
  readHistory,
  historyFile,
  sessionHeadline,
  type SessionRecord,
  type SessionResult,
  type SessionSummary,
  type RunTrigger,
  type HealthResult,
  type BackupResult,
} from './history.js';
export {
  readRunLog,
  runEnd,
  runLogFile,
  type RunEntry,
  type StampedEntry,
  type RunPhase,
  type LoggedCopyEvent,
  type PlanTotals,
} from './run-log.js';
export {liveRuns, liveRunOf, reapRuns, RUN_ID, type LiveRun} from './runs.js';
export {startRun, defaultRunner, outputFile, type RunSpec} from './start.js';
export {runService, RETRIES, type ServiceEvent, type ServiceOptions} from './service.js';
export {serviceHolder, type ServiceHolder} from './service-lock.js';
export {parseWindow, windowState, describeWindow, type CopyWindow, type WindowState} from './window.js';

/** A job's lines as `job show` prints them (its window spelled out). */
export function describeJob(job: JobDefinition): string[] {
  const health =
    job.health === undefined || job.health === 'off'
      ? 'off'
      : HEALTH_PRESETS[job.health]
        ? `${job.health} (${HEALTH_PRESETS[job.health]})`
        : `cron ${job.health}`;
  return [
    `Job ${job.name}${job.enabled ? '' : ' (disabled)'}`,
    `  from ${job.source} to ${job.target}`,
    `  backups: ${job.machines.length > 0 ? `machine ${job.machines.join(' or ')}` : 'every machine'}${job.agentJobs.length > 0 ? `, agent job ${job.agentJobs.join(' or ')}` : ''}${job.nodes.length > 0 ? `, nodes ${job.nodes.join(',')}` : ''}`,
    `  points: ${job.points}`,
    `  mode: ${job.mode}, ${describeSchedule(job)}`,
    `  copy window (prohibited hours): ${describeWindow(parseWindow(job.windows))}`,
    `  throttle: ${job.throttle !== undefined ? `${job.throttle} MB/s` : 'none'}`,
    `  RPO: ${job.rpo ?? 'none'}`,
    `  pre-script: ${job.pre ?? 'none'}`,
    `  post-script: ${job.post ?? 'none'}`,
    `  script timeout: ${job.scriptTimeout}`,
    `  health check: ${health}`,
    `  retention: ${describeRetention(job.retention)}`,
    `  created: ${job.created}`,
  ];
}

export async function setJobEnabled(name: string, enabled: boolean): Promise<JobDefinition> {
  return updateJob(name, job => ({...job, enabled}));
}

/**
 * "Sync now": starts a run of the job, detached (it outlives the caller and
 * its terminal). `points`: `latest` or `all` (undefined: the job's own rule).
 * A job already running is refused (exit 11, naming the run). `runner`: how
 * to start this program (default: the running one).
 */
export async function startJobRun(
  name: string,
  options: {points?: 'latest' | 'all'; healthCheck?: boolean; runner?: readonly string[]} = {},
): Promise<LiveRun> {
  const job = getJob(name);
  await reapRuns();
  const history = await readHistory();
  const firstRun = !history.some(s => s.job === name && s.kind === 'copy' && s.summary.result === 'success');
  const kind = options.healthCheck ? 'health' : 'copy';
  return startRun(
    jobRunSpec(job, {kind, trigger: 'manual', points: options.points, firstRun}),
    options.runner ?? defaultRunner(),
  );
}

/** Asks the job's live run to stop (a clean cancel); returns it. A job not running is `not-found` (exit 13). */
export function stopJob(name: string): LiveRun {
  getJob(name);
  const run = liveRunOf(name);
  if (!run)
    throw new BackhaulError('not-found', `The job ${quoted(name)} is not running.`, 'See `backhaul job status`.');
  stopRun(run);
  return run;
}

/** Every session of the job (copies and health checks), oldest first. */
export async function jobHistory(name: string): Promise<SessionRecord[]> {
  await reapRuns();
  return (await readHistory()).filter(s => s.job === name);
}

/**
 * A run's log entries as they are written, ending with its `run.end`. A
 * run whose process dies without one is reaped (recorded interrupted), and
 * that `run.end` comes last. Stops early when `signal` aborts.
 */
export async function* followRun(runId: string, signal?: AbortSignal): AsyncGenerator<StampedEntry> {
  const alive = () => liveRuns().some(r => r.runId === runId);
  let ended = false;
  for await (const entry of followRunLog(runId, {signal, stillRunning: alive})) {
    if (entry.type === 'run.end') ended = true;
    yield entry;
  }
  if (ended || signal?.aborted) return;
  await reapRuns();
  const end = runEnd((await readRunLog(runId)) ?? []);
  if (end) yield end;
}
