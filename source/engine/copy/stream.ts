/**
 * A backup copy job that starts copying while its plan is still counting:
 * once the points to copy are decided (manifests only), the first disk's
 * chunks move as soon as its tree is scanned, and the plan counts the later
 * disks while the earlier ones are on their way (the transfer waits on the
 * disk, the counting on the processors, so the two overlap).
 *
 * "Refused up front, nothing written" still holds: a run starts before its
 * plan is complete only when the target's free space is known and holds
 * even an upper bound of what the copy could store (every chunk of the
 * source the target lacks); otherwise the plan is completed first, and a
 * copy that does not fit is refused before anything is written. Object
 * storage, whose free space cannot be known, is never refused.
 *
 * Nothing is loaded that the plan does not need: the points to copy are
 * decided from manifests and the target's catalogue, and both indexes are
 * read (and the verify workers started) only when there is something to copy.
 */
import {AsyncQueue} from '../util/concurrency.js';
import type {VerifyPool} from '../workers/verify-pool.js';
import type {Repository} from '../repository/repository.js';
import {
  CHUNK_OVERHEAD,
  countPlan,
  planSkeleton,
  refuseIfTooBig,
  type CopyPlan,
  type PlannedDisk,
  type PlannedPoint,
} from './plan.js';
import {runCopy, runPlan, type RunOptions} from './run.js';
import type {CopySummary} from './events.js';
import type {Selection} from './selection.js';

/** The most a copy from `source` could store anywhere: every source chunk, with per-chunk overhead. */
function sourceBound(source: Repository): number {
  return source.index.storedBytesBound(CHUNK_OVERHEAD);
}

/** The most a copy from `source` could store on `target`: every source chunk it lacks, with per-chunk overhead. */
export function storeBound(source: Repository, target: Repository): number {
  return source.index.storedBytesBoundAbsentFrom(target.index, CHUNK_OVERHEAD);
}

export interface CopyJobOptions extends RunOptions {
  pool: VerifyPool;
}

/**
 * Plans and runs a copy, streamed where the target's free space allows (see
 * the header). A `copy.plan` event says when the plan is complete: before
 * the run starts, or while it goes.
 */
export async function copyWhilePlanning(
  source: Repository,
  target: Repository,
  selection: Selection,
  options: CopyJobOptions,
): Promise<{plan: CopyPlan; summary: CopySummary}> {
  const skeleton = await planSkeleton(source, target, selection);
  const copying = skeleton.plan.pointsToCopy > 0;
  if (copying) {
    // The workers load while the indexes do; with nothing to copy (a re-run) neither is needed.
    options.pool.warm();
    // The bound sums the source's index, which must know every chunk of the points just listed: an index
    // loaded before another writer committed one of them would understate it (refreshIndex loads one not loaded yet).
    // The target's loads meanwhile, and on while the workers scan the first trees (countPlan waits for it to count).
    void target.loadIndex().catch(() => {}); // awaited where it is needed, which reports its failure
    await source.refreshIndex();
  }
  const free = copying ? await target.storage.freeSpace() : undefined;
  // Where even the whole source fits, the target's index is not waited for to know that the copy does.
  const tooBig = async (room: number) =>
    sourceBound(source) > room && (await target.loadIndex(), storeBound(source, target) > room);
  if (!copying || (free !== undefined && (await tooBig(free)))) {
    const plan = await countPlan(source, target, skeleton, options.pool);
    refuseIfTooBig(plan);
    options.onEvent?.({type: 'copy.plan', plan});
    return {plan, summary: await runCopy(source, target, plan, options)};
  }
  const disks = new AsyncQueue<PlannedDisk | undefined>();
  const counting = countPlan(source, target, skeleton, options.pool, disk => disks.push(disk)).then(
    plan => {
      disks.end();
      return plan;
    },
    (e: unknown) => {
      disks.fail(e);
      throw e;
    },
  );
  counting.catch(() => {}); // the run reports it
  const disksOf = new Map<PlannedPoint, number>();
  for (const task of skeleton.tasks) disksOf.set(task.point, (disksOf.get(task.point) ?? 0) + 1);
  const summary = await runPlan(source, target, {plan: skeleton.plan, disksOf, disks, counting}, options);
  return {plan: skeleton.plan, summary};
}
