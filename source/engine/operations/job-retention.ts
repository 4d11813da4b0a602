/**
 * A job's retention, as one step of its run (operations/job-run.ts), after
 * a successful copy: forget with the job's policy on the target, for the
 * backups the job copies (its selection, matched on the target) and no
 * other; then, when the prune schedule is due (jobs/job-retention.ts), prune
 * the target. The source is never opened here.
 *
 * Both take the target's exclusive lock, waiting up to the spec's
 * `retentionWaitMs` for another writer. A lock still held then is not a
 * failure: the step is postponed (a warning; the next run does it: forget
 * judges every point again, and a prune not done stays due). Any other error
 * is thrown, typed, saying the copied points stay; job-run.ts fails the run
 * with it.
 */
import {BackhaulError, isBackhaulError} from '../errors.js';
import {selectBackups} from '../copy/selection.js';
import {readHistory} from '../jobs/history.js';
import {lastPruneOf, pruneDue, type RetentionOutcome} from '../jobs/job-retention.js';
import {policyOf} from '../jobs/start.js';
import {lockWasBusy} from '../repository/exclusive-lock.js';
import {forget} from '../retention/forget.js';
import {prune} from '../retention/prune.js';
import {formatBytes} from '../util/format.js';
import {resolveRepository} from '../workspace/open.js';
import type {RunReporter} from './job-run.js';

/** The retention failed: the copy's points stay, and the message says so. */
function retentionFailed(target: string, e: unknown): BackhaulError {
  const message = e instanceof Error ? e.message : String(e);
  if (isBackhaulError(e) && e.code === 'cancelled') return e;
  return new BackhaulError(
    isBackhaulError(e) ? e.code : 'failure',
    `Retention on ${target} failed after the copy (the copied restore points stay): ${message}`,
    isBackhaulError(e) && e.hint
      ? e.hint
      : 'Run `backhaul forget` and `backhaul prune` on the target by hand to see why.',
  );
}

/** Runs the spec's retention on its target (see the header); `now` decides whether the prune is due. */
export async function runJobRetention(
  r: RunReporter,
  signal: AbortSignal,
  now: () => Date = () => new Date(),
): Promise<RetentionOutcome> {
  const spec = r.spec;
  const retention = spec.retention!;
  const outcome: RetentionOutcome = {kept: 0, removed: 0, bytesFreed: 0, pruned: false};
  const lock = {
    signal,
    waitMs: spec.retentionWaitMs ?? 0,
    onNotice: (n: {message: string}) => r.say('info', n.message),
  };
  r.phase('retention');
  try {
    const target = await resolveRepository(spec.target);
    const ids = selectBackups(await target.listBackups(), {
      ...spec.selection,
      backups: undefined,
      retention: undefined,
    }).map(b => b.id);
    r.say('info', `Retention on ${spec.target}: ${ids.length} backup(s) of this job.`);
    try {
      const done = await forget(target, policyOf(retention), {...lock, backups: ids});
      for (const b of done.backups) {
        outcome.kept += b.kept.length;
        outcome.removed += b.removed.length;
      }
      r.say('info', `Retention kept ${outcome.kept} restore point(s) and removed ${outcome.removed}.`);
    } catch (e) {
      if (!lockWasBusy(e)) throw e;
      r.say('warning', `Retention postponed to the next run: ${(e as Error).message}`);
      return {...outcome, postponed: 'forget'};
    }
    const job = spec.job ?? '';
    if (!pruneDue(retention, spec.created ?? now().toISOString(), lastPruneOf(await readHistory(), job), now()))
      return outcome;
    try {
      const pruned = await prune(target, lock);
      outcome.pruned = true;
      outcome.bytesFreed = pruned.bytesFreed;
      r.say(
        'info',
        `Prune freed ${formatBytes(pruned.bytesFreed)} (${pruned.packsDeleted} pack(s) deleted, ${pruned.packsRepacked} repacked).`,
      );
    } catch (e) {
      if (!lockWasBusy(e)) throw e;
      r.say('warning', `Prune postponed to the next run: ${(e as Error).message}`);
      outcome.postponed = 'prune';
    }
    return outcome;
  } catch (e) {
    throw retentionFailed(spec.target, e);
  }
}
