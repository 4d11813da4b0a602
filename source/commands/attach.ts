/**
 * `backhaul attach RUN|JOB`: the live progress of a run (a saved job's, or a
 * `copy --detach`), rendered from its run log with the CLI's own progress
 * renderer — bars on a terminal, plain lines on a pipe. Any number of
 * viewers may watch one run. Ctrl-C leaves the viewer, never the run (the
 * run is in its own session and reads no terminal). When the run ends the
 * viewer prints its summary and exits with the run's exit code; a run that
 * already ended is replayed to its end at once.
 */
import {usageError} from '../engine/errors.js';
import {
  followRun,
  getJob,
  jobHistory,
  liveRunOf,
  liveRuns,
  readRunLog,
  RUN_ID,
  sessionHeadline,
  type LoggedCopyEvent,
  type StampedEntry,
} from '../engine/jobs/index.js';
import {defineCommand, type Command, type CommandContext} from './command.js';
import {createProgress, type ProgressView} from './render/progress.js';
import {formatBytes, safeText} from './render/output.js';

/** The run a RUN|JOB argument names: a run id, or a job's live run (else its last one). */
async function runOf(arg: string): Promise<string> {
  if (RUN_ID.test(arg)) {
    if (!(await readRunLog(arg)) && !liveRuns().some(r => r.runId === arg)) {
      throw usageError(
        `No run ${JSON.stringify(arg)}.`,
        'Run ids are printed by `backhaul job run` and `copy --detach`; `backhaul job history NAME` lists them.',
      );
    }
    return arg;
  }
  const job = getJob(arg);
  const live = liveRunOf(job.name);
  if (live) return live.runId;
  const last = (await jobHistory(job.name)).filter(s => s.runId).at(-1);
  if (!last?.runId)
    throw usageError(
      `The job ${JSON.stringify(job.name)} has no run to attach to.`,
      `Start one with \`backhaul job run ${job.name}\`.`,
    );
  return last.runId;
}

function showCopy(view: ProgressView, e: LoggedCopyEvent): void {
  if (e.type === 'copy.plan' || e.type === 'copy.start') {
    if (e.type === 'copy.plan')
      view.log(
        `Plan: ${e.plan.pointsToCopy} point(s) to copy, ${e.plan.pointsOnTarget} already on target; transfer ${formatBytes(e.plan.transferBytes)}.`,
      );
  } else if (e.type === 'copy.stats') {
    view.update('overall', {
      label: 'overall',
      done: e.stats.transferredBytes,
      total: e.totalTransfer,
      detail: `${formatBytes(e.stats.rate)}/s, bottleneck ${e.stats.bottleneck}`,
    });
  } else if (e.type === 'copy.disk') {
    view.update('disk', {
      label: `${e.machine}/${e.node}/${e.disk}`,
      done: e.bytesDone,
      total: e.bytesTotal,
      detail: `${e.chunksDone}/${e.chunksTotal} chunks`,
    });
  } else if (e.type === 'copy.point' && e.status === 'failed') view.log(`FAILED ${safeText(e.message ?? e.pointId)}`);
}

function show(view: ProgressView, entry: StampedEntry): void {
  const at = new Date(entry.t).toISOString().slice(11, 19);
  switch (entry.type) {
    case 'run.start':
      view.log(
        `${at} Run ${entry.runId}${entry.job ? ` of job ${safeText(entry.job)}` : ''} (${entry.trigger}): ${safeText(entry.source)} → ${safeText(entry.target)}`,
      );
      break;
    case 'run.phase':
      view.log(`${at} ${entry.phase}${entry.until ? ` until ${entry.until}` : ''}`);
      break;
    case 'run.log':
      view.log(`${at} ${safeText(entry.text)}`);
      break;
    case 'copy':
      showCopy(view, entry.event);
      break;
    default:
      break;
  }
}

async function watch(ctx: CommandContext, runId: string): Promise<number> {
  const view = createProgress(ctx.err, false);
  let end: Extract<StampedEntry, {type: 'run.end'}> | undefined;
  try {
    for await (const entry of followRun(runId, ctx.signal)) {
      if (entry.type === 'run.end') end = entry;
      else show(view, entry);
    }
  } finally {
    view.stop();
  }
  if (!end) {
    ctx.err.write(`Left the viewer; run ${runId} goes on (\`backhaul attach ${runId}\` to watch it again).\n`);
    return 0;
  }
  const s = end.summary;
  ctx.out.write(`Run ${runId} ended: ${end.result} (exit ${end.exitCode}).\n`);
  if (s)
    ctx.out.write(
      `  ${sessionHeadline(s)} Read ${formatBytes(s.readBytes)}, transferred ${formatBytes(s.transferredBytes)}, stored ${formatBytes(s.storedBytes)}.\n`,
    );
  if (end.message) ctx.out.write(`  ${safeText(end.message)}\n`);
  return end.exitCode;
}

export const attach: Command = defineCommand({
  name: 'attach',
  summary: "watch a running run (a job's or a detached copy's); Ctrl-C leaves, the run goes on",
  usage: 'Usage: backhaul attach RUN|JOB',
  description: `Shows the run's progress as \`backhaul copy\` does (bars on a terminal, plain lines
otherwise), from its run log: any number of viewers may watch one run. Ctrl-C
leaves the viewer (exit 0) and never stops the run (\`backhaul job stop\` does).
When the run ends, prints its summary and exits with the run's exit code. A
JOB name attaches to its running run, or replays its last one.`,
  arguments: [{name: 'RUN|JOB', description: 'a run id (printed by `job run`, `copy --detach`) or a job name'}],
  options: [],
  positionals: true,
  async run(ctx, _values, positionals) {
    if (positionals.length !== 1)
      throw usageError('`backhaul attach` takes one run id or job name.', 'Example: backhaul attach nightly');
    return watch(ctx, await runOf(positionals[0]!));
  },
});
