/**
 * Starting a run detached: the run is its own process, in its own session
 * (`detached: true` is setsid(2) on Linux), stdin /dev/null, stdout and
 * stderr on a file beside its log, nothing tied to the terminal that asked
 * for it — so a dropped SSH session, a killed tmux or a quit TUI never ends
 * it (`nohup` would not do: Node resets an ignored SIGHUP at start-up). The
 * child gets this process's environment, hence the same XDG directories and
 * so the same configuration, jobs and history.
 *
 * What the run does is written first (`RUN.spec.json`); the child reads it
 * (`backhaul _run RUN`, operations/job-run.ts). A job's run lock is taken
 * here, before the child exists, so two starts of one job cannot both win.
 */
import {spawn} from 'node:child_process';
import {closeSync, mkdirSync, openSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {BackhaulError, quoted} from '../errors.js';
import type {Selection} from '../copy/selection.js';
import type {RetentionPolicy} from '../retention/policy.js';
import {processStamp} from '../util/process.js';
import type {RunTrigger} from './history.js';
import type {JobDefinition, JobRetention} from './job.js';
import {runsDir} from './run-log.js';
import {handOverJobLock, lockJob, newRunId, registerRun, unlockJob, type LiveRun} from './runs.js';

/** Everything a run needs, saved before it starts (so a job edited meanwhile does not change a run under way). */
export interface RunSpec {
  runId: string;
  kind: 'copy' | 'health';
  /** The saved job it runs, if any (`backhaul copy --detach` runs none). */
  job?: string;
  trigger: RunTrigger;
  /** Repositories as the user named them. */
  source: string;
  target: string;
  selection: Selection;
  concurrency?: number;
  waitMs?: number;
  /** MB/s. */
  throttle?: number;
  windows?: readonly string[];
  pre?: string;
  post?: string;
  scriptTimeout?: string;
  /** The job's retention on the target after a successful copy, and when the job was made (its prune schedule counts from it). */
  retention?: JobRetention;
  created?: string;
  /** How long retention waits for another writer on the target before it is postponed to the next run. */
  retentionWaitMs?: number;
}

export const specFile = (runId: string) => join(runsDir(), `${runId}.spec.json`);
export const outputFile = (runId: string) => join(runsDir(), `${runId}.out`);

export function readSpec(runId: string): RunSpec {
  try {
    return JSON.parse(readFileSync(specFile(runId), 'utf8')) as RunSpec;
  } catch {
    throw new BackhaulError(
      'not-found',
      `No run ${quoted(runId)} is waiting to start.`,
      'Runs are started with `backhaul job run NAME` or `backhaul copy ... --detach`.',
    );
  }
}

/**
 * What a saved job's run copies: "Sync now" takes `latest` or `all`;
 * otherwise the job's own rule (see job.ts `points`); with a retention
 * policy, not the points it would remove at once.
 */
export function jobSelection(job: JobDefinition, points: string | undefined, firstRun: boolean): Selection {
  const rule = points ?? (job.mode === 'immediate' && !firstRun ? `since:${job.created}` : job.points);
  return {
    machine: job.machines.length > 0 ? [...job.machines] : undefined,
    job: job.agentJobs.length > 0 ? [...job.agentJobs] : undefined,
    points: rule,
    ...(job.nodes.length > 0 ? {nodes: [...job.nodes]} : {}),
    // What the job's retention would remove at once is not copied (copy/plan-retention.ts).
    ...(job.retention ? {retention: policyOf(job.retention)} : {}),
  };
}

/** The forget policy of a job's retention (without its prune schedule). */
export function policyOf(r: JobRetention): RetentionPolicy {
  return {
    keepLast: r.keepLast,
    keepWeekly: r.keepWeekly,
    keepMonthly: r.keepMonthly,
    keepYearly: r.keepYearly,
    weeklyDay: r.weeklyDay,
    monthlyDay: r.monthlyDay,
    yearlyMonth: r.yearlyMonth,
  };
}

/**
 * How long a job's run waits for another writer on its target (another job's
 * run, an agent backup) before it fails: nobody is there to run it again.
 */
export const TARGET_WAIT_MS = 10 * 60_000;

/**
 * How long a run's retention waits for the exclusive lock on its target
 * before it is postponed: the copy is done, and the next run retries.
 */
export const RETENTION_WAIT_MS = 2 * 60_000;

/** A run spec for a saved job. */
export function jobRunSpec(
  job: JobDefinition,
  options: {kind?: 'copy' | 'health'; trigger: RunTrigger; points?: string; firstRun?: boolean},
): Omit<RunSpec, 'runId'> {
  return {
    kind: options.kind ?? 'copy',
    job: job.name,
    trigger: options.trigger,
    source: job.source,
    target: job.target,
    selection: jobSelection(job, options.points, options.firstRun ?? false),
    throttle: job.throttle,
    windows: job.windows,
    pre: job.pre,
    post: job.post,
    scriptTimeout: job.scriptTimeout,
    waitMs: TARGET_WAIT_MS,
    ...(job.retention ? {retention: job.retention, created: job.created, retentionWaitMs: RETENTION_WAIT_MS} : {}),
  };
}

/** Passwords of encrypted repositories a face knows (typed in the TUI), handed to the run it starts. */
export interface RunPasswords {
  source?: string;
  target?: string;
}

/**
 * The child's environment: this process's, plus the passwords given — in
 * the environment, never in a file (the spec and the log are files): only
 * the run's own user and root can read a process's environment. The run
 * reads them as any detached run does (workspace/passwords.ts, runPasswordRule).
 */
function runEnvironment(passwords: RunPasswords | undefined): NodeJS.ProcessEnv {
  const env = {...process.env};
  if (passwords?.source) env.BACKHAUL_PASSWORD = passwords.source;
  if (passwords?.target) env.BACKHAUL_TO_PASSWORD = passwords.target;
  return env;
}

/** How to start this program again: node and the CLI's script (what the faces run from). */
export function defaultRunner(): string[] {
  return [process.execPath, process.argv[1]!];
}

/**
 * Starts a run detached (see the header); returns it once its process
 * exists. A job already running is refused (exit 11, naming the run).
 */
export async function startRun(
  spec: Omit<RunSpec, 'runId'>,
  runner: readonly string[] = defaultRunner(),
  options: {passwords?: RunPasswords} = {},
): Promise<LiveRun> {
  const runId = newRunId();
  if (spec.job) await lockJob(spec.job, runId);
  try {
    // A run that is not a job's (a detached copy) may be the first: nothing has made the directory yet.
    mkdirSync(runsDir(), {recursive: true, mode: 0o700});
    writeFileSync(specFile(runId), JSON.stringify({...spec, runId}) + '\n', {mode: 0o600});
    const out = openSync(outputFile(runId), 'a', 0o600);
    let pid: number | undefined;
    try {
      const child = spawn(runner[0]!, [...runner.slice(1), '_run', runId], {
        detached: true,
        stdio: ['ignore', out, out],
        env: runEnvironment(options.passwords),
        cwd: process.cwd(),
      });
      pid = child.pid;
      child.unref();
    } finally {
      closeSync(out);
    }
    if (pid === undefined)
      throw new BackhaulError(
        'failure',
        `The run could not be started (${runner[0]}).`,
        'See that node and the backhaul script exist.',
      );
    const run: LiveRun = {
      runId,
      job: spec.job,
      kind: spec.kind,
      pid,
      stamp: processStamp(pid),
      startedAt: new Date().toISOString(),
      trigger: spec.trigger,
      source: spec.source,
      target: spec.target,
    };
    registerRun(run);
    if (spec.job) handOverJobLock(spec.job, runId, pid);
    return run;
  } catch (e) {
    if (spec.job) unlockJob(spec.job, runId);
    throw e;
  }
}
