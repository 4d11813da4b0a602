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
 * The worker entry is copy-worker.ts: in the shipped bundle, dist/copy-worker.js
 * (a second esbuild entry point, beside cli.js or one level up from a chunk in
 * dist/lib); from source under tsx, the .ts file, loaded through tsx's loader
 * registered in the worker (Node 20 does not pass `--import tsx` on to workers).
 */
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {Worker} from 'node:worker_threads';
import {BackhaulError, type ErrorCode} from '../errors.js';
import type {CopyEvent} from '../copy/events.js';
import type {CopyPlan} from '../copy/plan.js';
import type {CopyRunOptions} from './copy-here.js';
import type {CopyJob, CopyOutcome} from './copy-job.js';

export type ToWorker = {type: 'cancel'};
type WorkerError =
  | {backhaul: true; code: ErrorCode; message: string; hint: string}
  | {backhaul: false; message: string; stack?: string; code?: unknown};
export type FromWorker =
  | {type: 'event'; event: CopyEvent}
  | {type: 'done'; outcome: CopyOutcome}
  | {type: 'error'; error: WorkerError};

/** A plan as it crosses the thread: the same, without its disks' chunk lists. */
export function withoutChunks(plan: CopyPlan): CopyPlan {
  return {...plan, backups: plan.backups.map((b) => ({...b, points: b.points.map((p) => ({...p, disks: p.disks.map((d) => ({...d, chunks: []}))}))}))};
}

/** The worker, from the bundle if this module is bundled, else the TypeScript source. */
function startWorker(job: CopyJob): Worker {
  for (const candidate of ['./copy-worker.js', '../copy-worker.js']) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(fileURLToPath(url))) return new Worker(url, {workerData: job});
  }
  const source = new URL('./copy-worker.ts', import.meta.url).href;
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, {eval: true, workerData: job});
}

function toError(e: WorkerError): Error {
  if (e.backhaul) return new BackhaulError(e.code, e.message, e.hint);
  return Object.assign(new Error(e.message), e.stack ? {stack: e.stack} : {}, e.code === undefined ? {} : {code: e.code});
}

/** runCopyHere in a worker thread (`watch` does not apply: the storages live in the worker, their notices arrive as `copy.log` events). */
export function runCopyInWorker(job: CopyJob, options: Omit<CopyRunOptions, 'watch'> = {}): Promise<CopyOutcome> {
  const emit = options.onEvent ?? (() => {});
  const {signal} = options;
  const worker = startWorker(job);
  const cancel = () => worker.postMessage({type: 'cancel'} satisfies ToWorker);
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
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'event') emit(m.event);
      else if (m.type === 'done') settle(() => resolve(m.outcome));
      else settle(() => reject(toError(m.error)));
    });
    worker.on('error', (e) => settle(() => reject(e)));
    worker.on('exit', (code) => settle(() => reject(new Error(`The copy worker stopped (exit code ${code}) before finishing.`))));
  });
}
