/**
 * A pool of chunking worker threads (chunk-worker.ts) for agent backups:
 * reading, FastCDC, SHA-256 and compression run on every core, while the main
 * thread walks, packs and writes. Payloads come back in one transferred
 * ArrayBuffer per message (no copy across threads).
 *
 * Workers are told which chunk ids the repository held when the pool started
 * (durable and indexed, so it is safe to skip encoding them); any other
 * duplicate is still caught by the writer's own dedup. The worker source is
 * inline (eval) so it loads the same way from the bundle and from tests.
 */
import {availableParallelism} from 'node:os';
import {Worker} from 'node:worker_threads';
import {cutPointSource} from '../repository/chunker.js';
import {chunkWorker, type ChunkOut, type FileOut} from './chunk-worker.js';

export type {ChunkOut, FileOut};
export interface StreamPart { buffer: Buffer; chunks: ChunkOut[]; bytes: number; done: boolean; size?: number }
export const STREAM_SEGMENT = 32 * 1024 * 1024;

interface Job {
  send: (worker: Worker) => void;
  cost: number;
  onMessage: (m: Record<string, unknown>) => void;
  fail: (e: unknown) => void;
  worker?: Worker;
}

const CAPACITY = 2;

export class ChunkPool {
  private readonly workers: {worker: Worker; load: number}[] = [];
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<number, Job>();
  private next = 0;

  constructor(known: Iterable<string>, size = Math.max(1, Math.min(4, availableParallelism()))) {
    // keepNames (tsx) may wrap functions in __name(): a no-op stand-in keeps the source valid.
    const source = `const __name = (f) => f;\n(${String(chunkWorker)})(require, ${cutPointSource()}, new Set(require('node:worker_threads').workerData.known), ${STREAM_SEGMENT});`;
    const list = [...known];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(source, {eval: true, workerData: {known: list}});
      worker.unref();
      const slot = {worker, load: 0};
      worker.on('message', (m: Record<string, unknown>) => this.jobs.get(m.task as number)?.onMessage(m));
      worker.on('error', (e) => {
        for (const job of this.jobs.values()) if (job.worker === worker) job.fail(e);
      });
      this.workers.push(slot);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.workers.filter((w) => w.load + this.queue[0]!.cost <= CAPACITY).sort((a, b) => a.load - b.load)[0];
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.load += job.cost;
      job.worker = slot.worker;
      job.send(slot.worker);
    }
  }

  private submit(cost: number, send: (task: number, worker: Worker) => void, onMessage: (m: Record<string, unknown>, finish: () => void) => void, fail: (e: unknown) => void): void {
    const task = this.next++;
    const finish = () => {
      this.jobs.delete(task);
      const slot = this.workers.find((w) => w.worker === job.worker);
      if (slot) slot.load -= cost;
      this.pump();
    };
    const job: Job = {cost, send: (w) => send(task, w), onMessage: (m) => onMessage(m, finish), fail: (e) => { finish(); fail(e); }};
    this.jobs.set(task, job);
    this.queue.push(job);
    this.pump();
  }

  /** Reads, chunks, hashes and encodes whole files; one result per path, in order. */
  files(paths: string[], sizes: number[]): Promise<{buffer: Buffer; files: FileOut[]}> {
    return new Promise((resolve, reject) => {
      this.submit(1, (task, w) => w.postMessage({task, kind: 'files', paths, sizes}), (m, finish) => {
        finish();
        if (m.error) reject(workerError(m.error));
        else resolve({buffer: Buffer.from(m.buffer as ArrayBuffer), files: m.files as FileOut[]});
      }, reject);
    });
  }

  /**
   * Streams one file or image through a worker; `onPart` gets its parts in
   * order, one at a time (the worker reads ahead at most two parts).
   */
  stream(path: string, onPart: (part: StreamPart) => Promise<void>): Promise<number> {
    return new Promise((resolve, reject) => {
      let chain = Promise.resolve();
      let failed = false;
      let worker: Worker | undefined;
      this.submit(CAPACITY, (task, w) => {
        worker = w;
        w.postMessage({task, kind: 'stream', path});
      }, (m, finish) => {
        if (failed) return;
        if (m.error) {
          failed = true;
          finish();
          reject(workerError(m.error));
          return;
        }
        const part: StreamPart = {buffer: Buffer.from(m.buffer as ArrayBuffer), chunks: m.chunks as ChunkOut[], bytes: m.bytes as number, done: m.done as boolean, size: m.size as number | undefined};
        if (part.done) finish();
        chain = chain.then(() => onPart(part)).then(() => {
          if (part.done) resolve(part.size!);
          else worker!.postMessage({credit: m.task});
        }, (e: unknown) => {
          if (!failed) {
            failed = true;
            if (!part.done) finish();
            reject(e);
          }
        });
      }, reject);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

function workerError(e: unknown): Error {
  const {code, message} = e as {code?: string; message: string};
  return Object.assign(new Error(message), code ? {code} : {});
}
