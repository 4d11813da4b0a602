/**
 * `backhaul job run|stop|status|history`: a saved job's runs. `job run`
 * ("Sync now") starts the run detached — its own session, nothing tied to
 * this terminal — prints its run id and returns; `backhaul attach` shows it.
 */
import {usageError} from '../engine/errors.js';
import {
  checkJobName,
  getJob,
  jobHistory,
  jobStatuses,
  listJobs,
  reapRuns,
  retentionWords,
  sessionHeadline,
  startJobRun,
  stopJob,
  type JobStatus,
  type SessionRecord,
} from '../engine/jobs/index.js';
import {defineCommand, flag, type Command, type CommandContext} from './command.js';
import {option} from './options.js';
import {formatBytes, formatDuration, printJson, safeText, table} from './render/output.js';

function oneName(positionals: string[], command: string): string {
  if (positionals.length !== 1)
    throw usageError(`\`backhaul ${command}\` takes one job name.`, `Example: backhaul ${command} nightly`);
  return checkJobName(positionals[0]!);
}

export const jobRun: Command = defineCommand({
  name: 'job run',
  summary: 'run a saved job now, detached ("Sync now"): prints the run id and returns',
  usage: 'Usage: backhaul job run NAME [--latest | --all | --health-check] [--json]',
  description: `Starts a run of the job in its own session: it goes on when this terminal or
SSH session goes away. Follow it with \`backhaul attach RUN\` (or the job's name),
stop it with \`backhaul job stop NAME\`. A job already running is not started
again (exit 11, naming the run). Runs inside the job's copy window wait for it
to open.`,
  arguments: [{name: 'NAME', description: 'the job'}],
  options: [
    option.flag('latest', 'copy only the newest restore point of each backup'),
    option.flag('all', 'copy every restore point the target lacks'),
    option.flag('health-check', "run the job's health check now instead: verify the target, repair it from the source"),
    option.flag('json', 'print the run as JSON'),
  ],
  positionals: true,
  async run(ctx, values, positionals) {
    const name = oneName(positionals, 'job run');
    if (flag(values, 'latest') && flag(values, 'all'))
      throw usageError(
        'Pass --latest or --all, not both.',
        '--latest: the newest point of each backup; --all: every point the target lacks.',
      );
    const points = flag(values, 'all') ? 'all' : flag(values, 'latest') ? 'latest' : undefined;
    const run = await startJobRun(name, {points, healthCheck: flag(values, 'health-check')});
    if (flag(values, 'json')) printJson(ctx, run);
    else
      ctx.out.write(
        `Started run ${run.runId} of job ${name} (pid ${run.pid}). Follow it with \`backhaul attach ${run.runId}\`.\n`,
      );
    return 0;
  },
});

export const jobStop: Command = defineCommand({
  name: 'job stop',
  summary: "stop a job's running run cleanly",
  usage: 'Usage: backhaul job stop NAME',
  description: `Sends the run SIGTERM: it stops like a Ctrl-C'd copy (the point in progress is not
committed; the next run resumes it, sending nothing that landed) and is recorded
as cancelled. Exit 13 when the job is not running.`,
  arguments: [{name: 'NAME', description: 'the job'}],
  options: [],
  positionals: true,
  async run(ctx, _values, positionals) {
    const run = stopJob(oneName(positionals, 'job stop'));
    ctx.out.write(`Asked run ${run.runId} (pid ${run.pid}) to stop.\n`);
    return 0;
  },
});

const age = (iso: string | undefined, now: number) =>
  iso ? formatDuration(Math.abs(Date.parse(iso) - now) / 1000) : '';

function statusRow(s: JobStatus, now: number): string[] {
  const state =
    s.state === 'waiting for window' && s.window.changesAt
      ? `waiting for window (${age(s.window.changesAt, now)})`
      : s.state;
  const last = s.last ? `${s.last.result} ${age(s.last.endedAt, now)} ago` : 'never ran';
  const next =
    s.state === 'running'
      ? `run ${s.run!.runId}`
      : s.nextRun
        ? Date.parse(s.nextRun) <= now
          ? 'now'
          : `in ${age(s.nextRun, now)}`
        : s.enabled
          ? s.schedule
          : '-';
  const rpo = !s.rpo
    ? '-'
    : s.rpo.status === 'warning'
      ? `WARNING: ${s.rpo.behind!.machine} ${age(s.rpo.behind!.time, now)} behind (RPO ${s.rpo.rpo})`
      : s.rpo.status;
  return [s.name, state, last, next, rpo];
}

function retentionLine(s: JobStatus, now: number): string {
  const r = s.retention!;
  const pruned = r.lastPrune ? `last prune ${age(r.lastPrune, now)} ago` : 'never pruned';
  return `${s.name} retention (${age(r.at, now)} ago): ${retentionWords(r)}; ${pruned}`;
}

export const jobStatus: Command = defineCommand({
  name: 'job status',
  summary: 'every job: state, last result, next run, RPO',
  usage: 'Usage: backhaul job status [NAME ...] [--json]',
  description: `State is idle, running, waiting for window (inside its prohibited hours, or a
run paused there) or disabled. RPO: a warning when the newest restore point of a
backup the job copies is not on the target and is older than the job's RPO
(counted from when the point was made). A run found killed is recorded as
interrupted here. A job with a retention policy gets a line with what its last
retention kept, removed and freed, and when it last pruned (--json: retention.kept,
retention.removed, retention.bytesFreed, retention.lastPrune).`,
  arguments: [{name: 'NAME ...', description: 'these jobs (default: all)'}],
  options: [option.flag('json', 'print the statuses as JSON (an array)')],
  positionals: true,
  async run(ctx, values, positionals) {
    await reapRuns();
    const jobs = positionals.length > 0 ? positionals.map(n => getJob(checkJobName(n))) : listJobs();
    const statuses = await jobStatuses(jobs, {withRpo: true});
    if (flag(values, 'json')) {
      printJson(ctx, statuses);
      return 0;
    }
    if (statuses.length === 0) {
      ctx.out.write('No jobs yet: add one with `backhaul job add`.\n');
      return 0;
    }
    const now = Date.now();
    ctx.out.write(
      table(
        statuses.map(s => statusRow(s, now).map(c => safeText(c))),
        ['JOB', 'STATE', 'LAST', 'NEXT', 'RPO'],
      ),
    );
    for (const s of statuses.filter(x => x.retention)) ctx.out.write(safeText(retentionLine(s, now)) + '\n');
    return 0;
  },
});

function historyLine(s: SessionRecord): string {
  const what =
    s.kind === 'health'
      ? `health check ${s.summary.result}${s.health ? `: ${s.health.points} point(s), ${s.health.chunksRepaired} chunk(s) repaired` : ''}`
      : `${sessionHeadline(s.summary)} read ${formatBytes(s.summary.readBytes)}, transferred ${formatBytes(s.summary.transferredBytes)}, stored ${formatBytes(s.summary.storedBytes)}; bottleneck ${s.summary.bottleneck}`;
  const retention = s.retention
    ? `; retention ${retentionWords(s.retention)}${s.retention.pruned ? ', pruned' : ''}`
    : '';
  return `${s.summary.startedAt}  ${s.runId ?? '-'}  ${s.trigger ?? '-'}  ${what}${retention}`;
}

export const jobHistoryCommand: Command = defineCommand({
  name: 'job history',
  summary: 'every run of a job: start, end, result, bytes, warnings, log',
  usage: 'Usage: backhaul job history NAME [--json]',
  description: `One line per run, oldest first: start, run id, what started it, the result (success,
warning, failed, interrupted, cancelled), bytes read / transferred / stored and the
bottleneck. --json prints the whole records (per-backup results, warnings, log).`,
  arguments: [{name: 'NAME', description: 'the job'}],
  options: [option.flag('json', 'print the sessions as JSON (an array)')],
  positionals: true,
  async run(ctx: CommandContext, values, positionals) {
    const name = oneName(positionals, 'job history');
    const sessions = await jobHistory(name);
    if (sessions.length === 0) getJob(name); // an unknown name is an error; a removed job's runs are still shown
    if (flag(values, 'json')) printJson(ctx, sessions);
    else if (sessions.length === 0) ctx.out.write(`Job ${name} has not run yet.\n`);
    else ctx.out.write(sessions.map(s => safeText(historyLine(s))).join('\n') + '\n');
    return 0;
  },
});
