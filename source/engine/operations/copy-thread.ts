/**
 * A backup copy job run in a worker thread, so the caller's thread — the
 * TUI's render loop — only receives progress events: opening the
 * repositories, planning, reading, hashing, writing and parsing trees and
 * indexes all happen in the worker, which runs the very function a copy on
 * the caller's thread runs (copy-here.ts runCopyHere). Same contract: the same
 * typed events in the same order, the outcome on success, and on failure the
 * same error (a BackhaulError keeps its code, message and hint). Aborting the
 * signal asks the worker to cancel; the promise settles once the worker's run
 * has released the target, so the target is consistent.
 *
 * Plans cross the thread without their chunk lists (PlannedDisk.chunks, the
 * run's own business, can hold millions of ids): every total and every point
 * and disk is there.
 *
 * The worker entry is copy-worker.ts, an entry of its own in the bundle,
 * started through workers/start.ts; the messages both ways are typed in
 * copy-messages.ts.
 */
import {BackhaulError} from '../errors.js';
import {startWorker} from '../workers/start.js';
import type {CopyRunOptions} from './copy-here.js';
import type {CopyJob, CopyOutcome} from './copy-job.js';
import type {FromCopyWorker, ToCopyWorker, WorkerError} from './copy-messages.js';

const ENTRY = {bundled: 'copy-worker', source: new URL('./copy-worker.ts', import.meta.url)};

function toError(e: WorkerError): Error {
  if (e.backhaul) return new BackhaulError(e.code, e.message, e.hint);
  return Object.assign(
    new Error(e.message),
    e.stack ? {stack: e.stack} : {},
    e.code === undefined ? {} : {code: e.code},
  );
}

/** runCopyHere in a worker thread (`watch` does not apply: the storages live in the worker, their notices arrive as `copy.log` events). */
export function runCopyInWorker(job: CopyJob, options: Omit<CopyRunOptions, 'watch'> = {}): Promise<CopyOutcome> {
  const emit = options.onEvent ?? (() => {});
  const {signal} = options;
  const worker = startWorker<ToCopyWorker, FromCopyWorker>(ENTRY, {workerData: job});
  const cancel = () => worker.send({type: 'cancel'});
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, {once: true});
  return new Promise<CopyOutcome>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', cancel);
      void worker.terminate();
      fn();
    };
    worker.receive(m => {
      if (m.type === 'event') emit(m.event);
      else if (m.type === 'done') settle(() => resolve(m.outcome));
      else settle(() => reject(toError(m.error)));
    });
    worker.on('error', e => settle(() => reject(e)));
    worker.on('exit', code =>
      settle(() => reject(new Error(`The copy worker stopped (exit code ${code}) before finishing.`))),
    );
  });
}
