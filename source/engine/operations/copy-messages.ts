/**
 * The messages between a copy run in a worker thread (copy-thread.ts) and
 * the worker (copy-worker.ts), both ways: the one place their shape is
 * written, so the compiler checks each side against the other. The job
 * itself goes as the worker's workerData (a CopyJob); events, then the
 * outcome or the error, come back in that order.
 *
 * Plans cross the thread without their chunk lists (PlannedDisk.chunks, the
 * run's own business, can hold millions of ids): every total and every
 * point and disk is there.
 */
import type {CopyEvent} from '../copy/events.js';
import type {CopyPlan} from '../copy/plan.js';
import type {ErrorCode} from '../errors.js';
import type {CopyOutcome} from './copy-job.js';

export type ToCopyWorker = {type: 'cancel'};

/** An error as it crosses the thread: a BackhaulError keeps its code, message and hint. */
export type WorkerError =
  | {backhaul: true; code: ErrorCode; message: string; hint: string}
  | {backhaul: false; message: string; stack?: string; code?: unknown};

export type FromCopyWorker =
  {type: 'event'; event: CopyEvent} | {type: 'done'; outcome: CopyOutcome} | {type: 'error'; error: WorkerError};

/** A plan as it crosses the thread: the same, without its disks' chunk lists. */
export function withoutChunks(plan: CopyPlan): CopyPlan {
  return {
    ...plan,
    backups: plan.backups.map(b => ({
      ...b,
      points: b.points.map(p => ({...p, disks: p.disks.map(d => ({...d, chunks: []}))})),
    })),
  };
}
