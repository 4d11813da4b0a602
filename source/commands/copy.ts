/**
 * `backhaul copy`: a backup copy job from one repository to another, with a
 * plan first. The job and its plan are the engine's (operations/copy.ts, the
 * same entry the TUI uses); this command parses, prints and picks the exit code.
 */
import {BackhaulError, EXIT, usageError} from '../engine/errors.js';
import type {CopyPlan} from '../engine/copy/plan.js';
import type {CopySummary} from '../engine/copy/events.js';
import {copyJob, planCopyJob, type CopyJob} from '../engine/operations/copy.js';
import {startRun} from '../engine/jobs/start.js';
import {actingForSudoCaller} from '../engine/util/sudo-caller.js';
import {VerifyPool} from '../engine/workers/verify-pool.js';
import {poolFor} from '../engine/operations/copy-here.js';
import {defineCommand, flag, num, str, strs, type Command, type CommandContext} from './command.js';
import {option, type OptionDecl} from './options.js';
import {commandPasswords, passwordOptions} from './password.js';
import {locationOf} from '../engine/workspace/open.js';
import {setPasswordRule} from '../engine/workspace/passwords.js';
import {createProgress} from './render/progress.js';
import {formatBytes, formatDuration, printError, printJson, safeText} from './render/output.js';
import {printNotices, sayOnStderr, type Say} from './render/notices.js';
import {openRepoArg} from './repo-arg.js';

/**
 * The plan as text. `points` is the --points spec as given (undefined when
 * it was not): the older points a default run leaves out are said to be
 * left out by the default, not "filtered by --points".
 */
export function describePlan(plan: CopyPlan, points?: string): string {
  const lines = [`Copy plan: ${plan.source.location} → ${plan.target.location}`];
  for (const b of plan.backups) {
    const copy = b.points.filter(p => p.action === 'copy').length;
    lines.push(
      `  ${safeText(b.machine)} (${b.kind}, ${b.backupId}): ${copy} point(s) to copy, logical ${formatBytes(b.logicalBytes)}, transfer ${formatBytes(b.transferBytes)}, already there ${formatBytes(b.presentBytes)}`,
    );
    if (b.kind === 'cluster')
      for (const n of b.nodes)
        lines.push(
          `    node ${n.name}: logical ${formatBytes(n.logicalBytes)}, transfer ${formatBytes(n.transferBytes)}, present ${formatBytes(n.presentBytes)}`,
        );
    for (const p of b.points.filter(x => x.action === 'skip' && x.reason !== 'not selected'))
      lines.push(`    skip ${p.id} (${p.time}): ${p.reason}`);
    for (const p of b.points.filter(x => x.failure))
      lines.push(`    DAMAGED ${p.id} (${p.time}): ${safeText(p.failure!.replace(/\.$/, ''))}; it will not be copied`);
    const filtered = b.points.filter(x => x.reason === 'not selected').length;
    if (filtered)
      lines.push(
        `    ${filtered} point(s) not selected (${points === undefined ? 'only the latest is copied by default; --points all copies every point' : `--points ${safeText(points)}`})`,
      );
  }
  lines.push(
    `  Total: ${plan.pointsToCopy} point(s) to copy, ${plan.pointsOnTarget} already on target, ${plan.pointsNotSelected} not selected; logical ${formatBytes(plan.logicalBytes)}, read ${formatBytes(plan.readBytes)}, transfer ${formatBytes(plan.transferBytes)}, store ${formatBytes(plan.storeBytes)}, present ${formatBytes(plan.presentBytes)}`,
  );
  lines.push(
    `  Free space on target: ${plan.freeBytes === undefined ? 'unknown (object storage)' : formatBytes(plan.freeBytes)}${plan.fits ? '' : ' — NOT ENOUGH'}`,
  );
  for (const n of plan.notes) lines.push(`  Note: ${n}`);
  return lines.join('\n') + '\n';
}

export function planJson(plan: CopyPlan) {
  return {
    ...plan,
    backups: plan.backups.map(({record: _r, points, ...b}) => ({
      ...b,
      points: points.map(({manifest: _m, disks, ...p}) => ({
        ...p,
        disks: disks.map(({chunks, ...d}) => ({...d, chunks: new Set(chunks.flat()).size})),
      })),
    })),
  };
}

const SELECTION = 'Selection (default: every backup, latest point, every node)';

function describeSummary(s: CopySummary): string {
  const lines = [
    `Copy ${s.result}: ${s.pointsCopied} point(s) copied, ${s.pointsSkipped} skipped, ${s.pointsFailed} failed in ${formatDuration(s.seconds)}.`,
    `  processed ${formatBytes(s.logicalBytes)} (${formatBytes(s.rate)}/s), read ${formatBytes(s.readBytes)}, transferred ${formatBytes(s.transferredBytes)} (${formatBytes(s.seconds > 0 ? s.transferredBytes / s.seconds : 0)}/s), stored ${formatBytes(s.storedBytes)}; bottleneck: ${s.bottleneck}`,
  ];
  for (const f of s.failed) lines.push(`  FAILED: ${safeText(f.message)}`);
  return lines.join('\n') + '\n';
}

const options: OptionDecl[] = [
  passwordOptions.file,
  passwordOptions.toFile,
  option.text('machine', 'PATTERN', "backups whose machine matches (shell pattern, e.g. 'ws-*')", {section: SELECTION}),
  option.text('job', 'PATTERN', 'backups whose job matches', {section: SELECTION}),
  option.text(
    'points',
    'SPEC',
    'latest (the default) | latest:N | all | since:DATE | ID,ID,...: one of the forms alone, or restore point ids separated by commas (a form cannot be combined: all already takes every point)',
    {section: SELECTION},
  ),
  option.text('nodes', 'a,b', 'only these nodes of a cluster (later copies can add more)', {section: SELECTION}),
  option.texts('backup', 'ID', 'this backup, like BACKUP_ID', {section: SELECTION}),
  option.text('from', 'SOURCE', 'the repository to copy from: a name, path or s3:// URL (required)'),
  option.text('to', 'TARGET', 'the repository to copy to (required)'),
  option.flag(
    'dry-run',
    'print the plan (logical / read / transfer / store bytes, free space, skipped points) and write nothing',
  ),
  option.flag('json', 'print the plan (with --dry-run) or a final summary as JSON'),
  option.integer('concurrency', 'N', {min: 1, max: 256}, 'source reads in flight', {default: '8, 16 to S3'}),
  option.duration('wait', 'SECONDS', 's', 'wait this long for another writer on the target', {default: 'fail at once'}),
  option.flag(
    'detach',
    'run in its own session, not tied to this terminal: print the run id and return (`backhaul attach RUN` shows it)',
  ),
];

export const copy: Command = defineCommand({
  name: 'copy',
  summary: 'run a backup copy job: copy backups, restore points or cluster nodes to another repository',
  usage: `Usage: backhaul copy --from SOURCE --to TARGET [BACKUP_ID ...] [--machine PATTERN] [--job PATTERN]
                     [--points SPEC] [--nodes a,b] [--dry-run] [--json] [--concurrency N] [--wait SECONDS]
                     [--detach]`,
  description: `Copies agent backups like any backup: each backup keeps its id and each restore
point its id; a failover cluster becomes one backup on the target holding every
copied node. Only chunks the target lacks are read, verified and sent — once,
however many nodes reference them (cluster shared disks are sent and stored once).
Copies keep the owner's name but no access list: only admins see them.
Re-running the same copy sends nothing; a killed copy resumes where it stopped.
The plan is printed (to stderr) once complete. When the target has room even for
everything the source holds, chunks start moving as soon as the first disk is
planned and the plan is completed meanwhile; otherwise the copy is planned first,
and refused with nothing written if it does not fit.`,
  arguments: [{name: 'BACKUP_ID ...', description: 'these backups', section: SELECTION}],
  options,
  after: `The target's lock: in a version 2 target a copy takes a shared lock, so
other copies and backups run into it at the same time; one that finds the
exclusive lock held (an upgrade) fails at once (exit 11), saying who holds it,
how old it is and when it counts as stale (a version 1 target has one writer at
a time, the same way); a stale one (its process gone, or not refreshed for
120 s) is broken, and the copy says so on stderr and in the session log. A copy
whose own lock is removed or taken over while it runs stops without writing
more (exit 11).

Object storage: each request may take 60 s, its retries included (a try with no
reply for 20 s is sent again); then the copy fails (exit 18) saying what stalled.
Set BACKHAUL_S3_TIMEOUT=SECONDS, or \`backhaul repo add NAME LOCATION --timeout
SECONDS\`, to change it. Retries and stalls are printed on stderr as they happen;
the --json summary counts them (retries, stalls, notices).

Exit codes: 0 all copied (or already there), 3 some points failed (the others
were copied, now or before), 12 every selected point failed on damaged source
data (none is on the target), 13 the selection matches no backup or restore
point, 14 not enough space (nothing written), 11 target locked (or its lock
lost), 18 storage failed or stalled, 130 cancelled. With --detach: 0 once the run
has started (\`backhaul attach RUN\` exits with the run's code).`,
  positionals: true,
  async run(ctx, values, positionals) {
    if (!str(values, 'from') || !str(values, 'to'))
      throw usageError(
        'Pass --from SOURCE and --to TARGET.',
        'Example: backhaul copy --from demo-primary --to demo-secondary --points all',
      );
    const nodes = str(values, 'nodes')
      ?.split(',')
      .map(s => s.trim())
      .filter(Boolean);
    const selection = {
      backups: [...positionals, ...strs(values, 'backup')],
      machine: str(values, 'machine'),
      job: str(values, 'job'),
      points: str(values, 'points'),
      nodes,
    };
    const job: CopyJob = {
      source: str(values, 'from')!,
      target: str(values, 'to')!,
      selection,
      concurrency: num(values, 'concurrency'),
      waitMs: num(values, 'wait') ?? 0,
    };
    // The target's password may differ from the source's (--to-password-file, BACKHAUL_TO_PASSWORD).
    // An unknown name is reported when the repositories are opened, the source's first.
    const target = locationOf(job.target);
    if (target !== undefined)
      setPasswordRule(
        commandPasswords(
          values,
          {err: ctx.err},
          new Map([[target, {file: 'to-password-file', env: 'BACKHAUL_TO_PASSWORD'}]]),
        ),
      );
    const json = flag(values, 'json');
    if (flag(values, 'detach')) return detached(ctx, job, json, flag(values, 'dry-run'));
    return flag(values, 'dry-run') ? dryRun(ctx, job, json) : runWithProgress(ctx, job, json);
  },
});

/**
 * --detach: the copy runs as its own process in its own session (engine/jobs/start.ts), so a dropped
 * terminal never ends it; its progress goes to a run log (`backhaul attach RUN`) and its session to the history.
 */
async function detached(ctx: CommandContext, job: CopyJob, json: boolean, dry: boolean): Promise<number> {
  if (dry) throw usageError('--detach runs the copy; --dry-run only plans it.', 'Drop one of them.');
  // The detached process would act with root's rights, outside the access checks this command makes for a sudo caller.
  if (actingForSudoCaller())
    throw usageError(
      '--detach cannot be used through sudo.',
      'Run the copy without --detach, or as root (a saved job: `backhaul job run`).',
    );
  const run = await startRun({
    kind: 'copy',
    trigger: 'manual',
    source: job.source,
    target: job.target,
    selection: job.selection,
    concurrency: job.concurrency,
    waitMs: job.waitMs,
  });
  if (json) printJson(ctx, run);
  else
    ctx.out.write(
      `Started run ${run.runId} (pid ${run.pid}): ${safeText(job.source)} → ${safeText(job.target)}. Follow it with \`backhaul attach ${run.runId}\`.\n`,
    );
  return 0;
}

/** The plan alone (`planCopyJob`, as the TUI's plan screen makes it): exit 14 when it does not fit. */
async function dryRun(ctx: CommandContext, job: CopyJob, json: boolean): Promise<number> {
  // The verify workers start first: they load while the indexes do.
  let pool = new VerifyPool();
  try {
    const say = sayOnStderr(ctx);
    // Both indexes load at once; should both fail, the source's error is the one reported.
    const [opened, openedTarget] = await Promise.allSettled([
      openRepoArg(job.source, '--from', say),
      openRepoArg(job.target, '--to', say),
    ]);
    if (opened.status === 'rejected') throw opened.reason;
    if (openedTarget.status === 'rejected') throw openedTarget.reason;
    pool = await poolFor(opened.value, pool);
    const plan = await planCopyJob(opened.value, openedTarget.value, job.selection, {pool});
    if (json) printJson(ctx, planJson(plan));
    else ctx.out.write(describePlan(plan, job.selection.points));
    return plan.fits ? 0 : 14;
  } finally {
    await pool.close();
  }
}

/**
 * The copy job (`copyJob`, on this thread), with the plan printed (to stderr,
 * unless --json) once it is complete: before the run, or while it goes when
 * the run starts as soon as the first disk is planned (engine/copy/stream.ts).
 */
async function runWithProgress(ctx: CommandContext, job: CopyJob, json: boolean): Promise<number> {
  const view = createProgress(ctx.err, json);
  // With --json the view is silent, but notices still go to stderr (stdout stays the summary); so do
  // notices once the view has stopped.
  let sayNow: Say = json ? sayOnStderr(ctx) : line => view.log(line);
  const say: Say = line => sayNow(line);
  let summary: CopySummary | undefined;
  let planned = false;
  try {
    ({summary} = await copyJob(job, {
      signal: ctx.signal,
      // Storage notices are printed as they come; the lock's, the cleanup's and the history's come only as events.
      watch: storage => void printNotices(storage, say),
      onEvent: e => {
        if (e.type === 'copy.plan') {
          planned = true;
          if (!json) view.log(describePlan(e.plan, job.selection.points).trimEnd());
        } else if (e.type === 'copy.stats') {
          view.update('overall', {
            label: 'overall',
            done: e.stats.transferredBytes,
            total: e.totalTransfer,
            detail: `${formatBytes(e.stats.rate)}/s, bottleneck ${e.stats.bottleneck}${planned ? '' : ' (still planning)'}`,
          });
        } else if (e.type === 'copy.disk')
          view.update('disk', {
            label: `${e.machine}/${e.node}/${e.disk}`,
            done: e.bytesDone,
            total: e.bytesTotal,
            detail: `${e.chunksDone}/${e.chunksTotal} chunks`,
          });
        else if (e.type === 'copy.point' && e.status === 'failed') view.log(`FAILED ${e.message}`);
        else if (e.type === 'copy.log' && e.topic !== undefined && e.topic !== 'storage')
          say(`backhaul: ${safeText(e.message)}`);
        else if (e.type === 'copy.done') summary = e.summary;
      },
    }));
  } finally {
    view.stop();
    sayNow = sayOnStderr(ctx);
  }
  if (json) printJson(ctx, summary);
  else ctx.out.write(describeSummary(summary));
  return exitCode(ctx, summary);
}

/**
 * 0 all copied; 3 (partial) some failed, the others are on the target (copied now or before);
 * every point failed and none is on the target: the failure's own code, said on stderr.
 */
function exitCode(ctx: CommandContext, summary: CopySummary): number {
  if (summary.pointsFailed === 0) return EXIT.ok;
  if (summary.result === 'warning') return EXIT.partial;
  const first = summary.failed[0]!;
  const damaged = first.code === 'corrupt';
  return printError(
    ctx.err,
    new BackhaulError(
      first.code,
      `No restore point was copied: ${summary.pointsFailed} failed${damaged ? ' on damaged source data' : ''} (first: ${first.pointId} of ${safeText(first.machine)}).`,
      damaged
        ? 'Run `backhaul verify --repo SOURCE` to see what is damaged; heal it with --repair-from another copy, then copy again.'
        : 'See the failures above, fix their cause and copy again.',
    ),
  );
}
