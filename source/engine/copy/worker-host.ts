/**
 * Runs a copy (run.ts) in a worker thread, so the caller's thread — the TUI's
 * render loop — only receives progress events: reading, hashing, writing and
 * parsing trees and indexes all happen in the worker. Same contract as
 * runCopy: the same typed events in the same order, the summary on success,
 * and on failure the same error (a BackhaulError keeps its code, message and
 * hint). Aborting the signal asks the worker to cancel; the promise settles
 * once the worker's run has released the target, so the target is consistent.
 *
 * The worker entry is copy-worker.ts: in the shipped bundle, dist/copy-worker.js
 * (a second esbuild entry point, beside cli.js or one level up from a chunk in
 * dist/lib); from source under tsx, the .ts file, loaded through tsx's loader
 * registered in the worker (Node 20 does not pass `--import tsx` on to workers).
 */
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';
import {BackhaulError, type ErrorCode} from '../errors.js';
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

/** The worker, from the bundle if this module is bundled, else the TypeScript source. */
function startWorker(input: WorkerInput): Worker {
  for (const candidate of ['./copy-worker.js', '../copy-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return new Worker(url, {workerData: input});
  }
  const source = new URL('./copy-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, {eval: true, workerData: input});
}

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
  const worker = startWorker({source, target, plan, options: {concurrency, waitMs}});
  const cancel = () => worker.postMessage({type: 'cancel'} satisfies ToWorker);
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
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'event') emit(m.event.type === 'copy.start' ? {type: 'copy.start', plan} : m.event);
      else if (m.type === 'done') settle(() => resolve(m.summary));
      else settle(() => reject(toError(m.error)));
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`The copy worker stopped (exit code ${code}) before finishing.`))));
  });
}
