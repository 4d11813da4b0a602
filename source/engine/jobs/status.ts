/**
 * Where each saved job stands, for `job status` and the TUI's Jobs screen:
 * its state (idle, running, waiting for window, disabled), its live run and
 * what that run is doing (from the run's log), its last result (from the
 * history), when it runs next (its schedule, pushed past a closed copy
 * window), and its RPO status.
 *
 * RPO: for each backup the job selects, the newest restore point in the
 * source; one not on the target yet whose age (counted from when the point
 * was made) exceeds the job's RPO makes the status `warning`, naming the
 * oldest such point. Reading it opens both repositories, so it is asked for
 * explicitly (`withRpo`).
 */
import {selectBackups} from '../copy/selection.js';
import type {BackupRecord} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {resolveRepository} from '../workspace/open.js';
import {readHistory, type SessionRecord, type SessionResult} from './history.js';
import type {JobDefinition, JobMode} from './job.js';
import {retentionStatus, type RetentionStatus} from './job-retention.js';
import {readRunLog, type RunPhase} from './run-log.js';
import {liveRuns, type LiveRun} from './runs.js';
import {nextHealth, nextPeriodic, parseInterval} from './schedule.js';
import {jobSelection} from './start.js';
import {parseWindow, windowState} from './window.js';

export type JobState = 'idle' | 'running' | 'waiting for window' | 'disabled';

export interface RpoStatus {
  status: 'ok' | 'warning' | 'unknown';
  /** The RPO as the job gives it ("24h"), and in seconds. */
  rpo: string;
  seconds: number;
  /** The oldest newest-point not on the target yet, when there is one. */
  behind?: {backupId: string; machine: string; pointId: string; time: string; ageSeconds: number};
  /** Why it is unknown (a repository could not be read). */
  message?: string;
}

export interface JobStatus {
  name: string;
  mode: JobMode;
  enabled: boolean;
  state: JobState;
  /** The live run, and what it is doing. */
  run?: {runId: string; pid: number; startedAt: string; trigger: string; phase: RunPhase; until?: string};
  last?: {
    runId?: string;
    result: SessionResult;
    startedAt: string;
    endedAt: string;
    exitCode?: number;
    pointsCopied: number;
  };
  /** ISO time of the next scheduled run; absent for an immediate job (it runs on a new restore point) or a disabled one. */
  nextRun?: string;
  /** What starts it, in words: "every 1h", "cron 0 2 * * *", "on a new restore point". */
  schedule: string;
  nextHealthCheck?: string;
  window: {open: boolean; changesAt?: string};
  rpo?: RpoStatus;
  /** The last retention of the job's runs (absent: none ran yet). */
  retention?: RetentionStatus;
}

/** The last copy session of a job (health checks apart), from the history. */
export function lastSession(
  history: readonly SessionRecord[],
  job: string,
  kind: 'copy' | 'health' = 'copy',
): SessionRecord | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i]!;
    if (s.job === job && s.kind === kind) return s;
  }
  return undefined;
}

export function describeSchedule(job: JobDefinition): string {
  if (job.mode === 'immediate') return 'on a new restore point';
  return job.every !== undefined ? `every ${job.every}` : `cron ${job.cron}`;
}

async function runPhase(run: LiveRun): Promise<{phase: RunPhase; until?: string}> {
  const entries = (await readRunLog(run.runId)) ?? [];
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i]!;
    if (e.type === 'run.phase') return {phase: e.phase, until: e.until};
  }
  return {phase: 'starting'};
}

/** The next time a periodic job runs: its schedule's, or the window's opening when that falls inside the window. */
export function nextRunOf(job: JobDefinition, last: SessionRecord | undefined, now: Date): Date | undefined {
  if (!job.enabled) return undefined;
  const due = nextPeriodic(job, last ? new Date(last.summary.startedAt) : undefined, now);
  if (!due) return undefined;
  const at = due < now ? now : due;
  if (job.windows.length === 0) return at;
  const state = windowState(parseWindow(job.windows), at);
  return state.open ? at : (state.changesAt ?? at);
}

async function newestPoints(source: Repository, target: Repository, backups: BackupRecord[]) {
  const out: {backup: BackupRecord; pointId: string; time: string; onTarget: boolean}[] = [];
  for (const b of backups) {
    const points = await source.listPoints(b.id);
    const newest = points.at(-1);
    if (!newest) continue;
    out.push({
      backup: b,
      pointId: newest.id,
      time: newest.time,
      onTarget: await target.hasPoint(b.id, newest.id).catch(() => false),
    });
  }
  return out;
}

/** The job's RPO status (see the header); undefined when it has no RPO. */
export async function rpoStatus(
  job: JobDefinition,
  now = new Date(),
  opened = new Map<string, Promise<Repository>>(),
): Promise<RpoStatus | undefined> {
  if (job.rpo === undefined) return undefined;
  const seconds = parseInterval(job.rpo, '--rpo', 1000) / 1000;
  const open = (name: string) => {
    let repo = opened.get(name);
    if (!repo) opened.set(name, (repo = resolveRepository(name)));
    return repo;
  };
  try {
    const [source, target] = await Promise.all([open(job.source), open(job.target)]);
    const backups = selectBackups(await source.listBackups(), jobSelection(job, undefined, true));
    const behind = (await newestPoints(source, target, backups))
      .filter(p => !p.onTarget)
      .sort((a, b) => Date.parse(a.time) - Date.parse(b.time))[0];
    if (!behind) return {status: 'ok', rpo: job.rpo, seconds};
    const ageSeconds = Math.max(0, (now.getTime() - Date.parse(behind.time)) / 1000);
    return {
      status: ageSeconds > seconds ? 'warning' : 'ok',
      rpo: job.rpo,
      seconds,
      behind: {
        backupId: behind.backup.id,
        machine: behind.backup.machine,
        pointId: behind.pointId,
        time: behind.time,
        ageSeconds: Math.round(ageSeconds),
      },
    };
  } catch (e) {
    return {status: 'unknown', rpo: job.rpo, seconds, message: e instanceof Error ? e.message : String(e)};
  }
}

function retentionOf(history: readonly SessionRecord[], job: string): {retention?: RetentionStatus} {
  const retention = retentionStatus(history, job);
  return retention ? {retention} : {};
}

/** Every job's status (see the header), in the order given. */
export async function jobStatuses(
  jobs: readonly JobDefinition[],
  options: {withRpo?: boolean; now?: Date} = {},
): Promise<JobStatus[]> {
  const now = options.now ?? new Date();
  const [history, live] = [await readHistory(), liveRuns()];
  const opened = new Map<string, Promise<Repository>>(); // each repository read once for all the jobs
  return Promise.all(
    jobs.map(async (job): Promise<JobStatus> => {
      const liveRun = live.find(r => r.job === job.name && r.kind === 'copy') ?? live.find(r => r.job === job.name);
      const run = liveRun
        ? {
            runId: liveRun.runId,
            pid: liveRun.pid,
            startedAt: liveRun.startedAt,
            trigger: liveRun.trigger,
            ...(await runPhase(liveRun)),
          }
        : undefined;
      const window = job.windows.length > 0 ? windowState(parseWindow(job.windows), now) : {open: true};
      const state: JobState = run
        ? run.phase === 'waiting for window'
          ? 'waiting for window'
          : 'running'
        : !job.enabled
          ? 'disabled'
          : window.open
            ? 'idle'
            : 'waiting for window';
      const lastCopy = lastSession(history, job.name);
      const next = nextRunOf(job, lastCopy, now);
      const lastCheck = lastSession(history, job.name, 'health');
      const health = job.enabled
        ? nextHealth(job, lastCheck ? new Date(lastCheck.summary.startedAt) : undefined)
        : undefined;
      return {
        name: job.name,
        mode: job.mode,
        enabled: job.enabled,
        state,
        ...(run ? {run} : {}),
        ...(lastCopy
          ? {
              last: {
                runId: lastCopy.runId,
                result: lastCopy.summary.result,
                startedAt: lastCopy.summary.startedAt,
                endedAt: lastCopy.summary.endedAt,
                exitCode: lastCopy.exitCode,
                pointsCopied: lastCopy.summary.pointsCopied,
              },
            }
          : {}),
        ...(next ? {nextRun: next.toISOString()} : {}),
        schedule: describeSchedule(job),
        ...(health ? {nextHealthCheck: health.toISOString()} : {}),
        window: {open: window.open, ...(window.changesAt ? {changesAt: window.changesAt.toISOString()} : {})},
        ...(options.withRpo ? {rpo: await rpoStatus(job, now, opened)} : {}),
        ...retentionOf(history, job.name),
      };
    }),
  );
}
