/**
 * A backup copy job run on the caller's thread: both repositories opened by
 * the names the user gave (at once; should both fail, the source's error is
 * the one reported; their indexes are read only once the plan finds
 * something to copy), the copy rights checked on both sides, then the plan and
 * the run (copy/stream.ts: chunks move while the plan still counts, where the
 * target's free space allows). The worker thread runs exactly this function
 * (copy-worker.ts), so a copy from either face is the same copy.
 */
import {requireCopyRights} from '../access/view.js';
import type {CopyListener} from '../copy/events.js';
import type {CopyGate} from '../copy/gate.js';
import {copyWhilePlanning} from '../copy/stream.js';
import type {Repository} from '../repository/repository.js';
import type {Storage} from '../storage/storage.js';
import {VerifyPool} from '../workers/verify-pool.js';
import {resolveRepository} from '../workspace/open.js';
import type {CopyJob, CopyOutcome} from './copy-job.js';

export interface CopyRunOptions {
  signal?: AbortSignal;
  onEvent?: CopyListener;
  /** Sees each storage as it is opened, before its first request (a face printing its retries and stalls as they come). */
  watch?: (storage: Storage) => void;
  /** Asked before each pack is sent (copy/gate.ts): a bandwidth limit, a saved job's copy window. */
  gate?: CopyGate;
}

async function openBoth(job: CopyJob, watch?: (storage: Storage) => void): Promise<[Repository, Repository]> {
  const [source, target] = await Promise.allSettled([
    resolveRepository(job.source, watch, {deferIndex: true}),
    resolveRepository(job.target, watch, {deferIndex: true}),
  ]);
  if (source.status === 'rejected') throw source.reason;
  if (target.status === 'rejected') throw target.reason;
  return [source.value, target.value];
}

export async function runCopyHere(job: CopyJob, options: CopyRunOptions = {}): Promise<CopyOutcome> {
  // One set of verify workers for the plan and the run, started once there is something to copy
  // (copy/stream.ts): they then load while the indexes do. The indexes are read only then too.
  let pool = new VerifyPool();
  try {
    const [source, target] = await openBoth(job, options.watch);
    await requireCopyRights(source, target);
    pool = await poolFor(source, pool);
    return await copyWhilePlanning(source, target, job.selection, {
      concurrency: job.concurrency,
      waitMs: job.waitMs ?? 0,
      signal: options.signal,
      onEvent: options.onEvent,
      pool,
      gate: options.gate,
    });
  } finally {
    await pool.close();
  }
}

/** The warm plain pool, or (an encrypted source) one whose workers hold the source's keys instead. */
export async function poolFor(source: Repository, warm: VerifyPool): Promise<VerifyPool> {
  if (!source.codec.encrypted) return warm;
  await warm.close();
  return new VerifyPool(undefined, source.codec.params());
}
