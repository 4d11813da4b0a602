/**
 * Runs a copy (run.ts) in a worker thread, so the caller's thread — the TUI's
 * render loop — only receives progress events: reading, hashing, writing and
 * parsing trees and indexes all happen in the worker. Same contract as
 * runCopy: the same typed events in the same order, the summary on success,
 * and on failure the same error (a BackhaulError keeps its code, message and
 * hint). Aborting the signal asks the worker to cancel; the promise settles
 * once the worker's run has released the target, so the target is consistent.
 *
 * The worker entry is copy-worker.ts, an entry of its own in the bundle,
 * started through workers/start.ts.
 */
import {BackhaulError, type ErrorCode} from '../errors.js';
import {startWorker} from '../workers/start.js';
import type {CopyEvent, CopyListener, CopySummary} from './events.js';
import type {CopyPlan} from './plan.js';
import type {RunOptions} from './run.js';

/** What the worker is started with: repositories by name or location (it opens them itself). */
export interface WorkerInput {
  source: string;
  target: string;
  plan: CopyPlan;
  options: Pick<RunOptions, 'concurrency' | 'waitMs'>;
}
export type ToWorker = {type: 'cancel'};
type WorkerError =
  | {backhaul: true; code: ErrorCode; message: string; hint: string}
  | {backhaul: false; message: string; stack?: string; code?: unknown};
export type FromWorker =
  | {type: 'event'; event: Exclude<CopyEvent, {type: 'copy.start'}> | {type: 'copy.start'}}
  | {type: 'done'; summary: CopySummary}
  | {type: 'error'; error: WorkerError};

const ENTRY = {bundled: 'copy-worker', source: new URL('./copy-worker.ts', import.meta.url)};

function toError(e: WorkerError): Error {
  if (e.backhaul) return new BackhaulError(e.code, e.message, e.hint);
  return Object.assign(new Error(e.message), e.stack ? {stack: e.stack} : {}, e.code === undefined ? {} : {code: e.code});
}

/**
 * runCopy in a worker thread. `source` and `target` are what resolveRepository
 * accepts (a registered name, a path, s3://...), opened in the worker.
 */
export function runCopyInWorker(source: string, target: string, plan: CopyPlan,
  options: Omit<RunOptions, 'onEvent'> & {onEvent?: CopyListener} = {}): Promise<CopySummary> {
  const emit = options.onEvent ?? (() => {});
  const {signal, concurrency, waitMs} = options;
  const workerData: WorkerInput = {source, target, plan, options: {concurrency, waitMs}};
  const worker = startWorker<ToWorker, FromWorker>(ENTRY, {workerData});
  const cancel = () => worker.send({type: 'cancel'});
  if (signal?.aborted) cancel();
  signal?.addEventListener('abort', cancel, {once: true});
  return new Promise<CopySummary>((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', cancel);
      void worker.terminate();
      fn();
    };
    worker.receive((m) => {
      if (m.type === 'event') emit(m.event.type === 'copy.start' ? {type: 'copy.start', plan} : m.event);
      else if (m.type === 'done') settle(() => resolve(m.summary));
      else settle(() => reject(toError(m.error)));
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`The copy worker stopped (exit code ${code}) before finishing.`))));
  });
}
