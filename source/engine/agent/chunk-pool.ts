/**
 * A pool of chunking worker threads (chunk-worker.ts) for agent backups:
 * reading and cutting small files, SHA-256 and compression run on every
 * core, while the main thread walks, reads and cuts streams, packs and
 * writes. Buffers cross threads by transfer, never by copy, and go back to
 * whoever allocated them (`recycle`), so memory stays mapped and bounded.
 *
 * Workers are told which chunk ids the repository held when the pool started
 * (durable and indexed, so it is safe not to encode them); any other
 * duplicate is still caught by the writer's own dedup. The worker source is
 * inline (eval) so it loads the same way from the bundle and from tests.
 */
import {availableParallelism} from 'node:os';
import {Worker} from 'node:worker_threads';
import {cutPointSource} from '../repository/chunker.js';
import {chunkWorker, type ChunkOut, type FileOut} from './chunk-worker.js';

export type {ChunkOut, FileOut};
/** A result's buffers: `raw` as read, `packed` compressed payloads; `from` made them. */
export interface Payloads { raw: Buffer; packed: Buffer; from: Worker }

interface Job {
  send: (worker: Worker) => void;
  settle: (m: Record<string, unknown> | undefined, e?: unknown) => void;
  worker?: Worker;
}

/** Sees every path a worker is asked to read (tests check which files a backup reads). */
export const workerReads: {observe?: (path: string) => void} = {};

/** Tasks a worker holds at once (one running, one queued behind it). */
const CAPACITY = 2;

export class ChunkPool {
  private readonly workers: {worker: Worker; load: number}[] = [];
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<number, Job>();
  private next = 0;

  constructor(known: Iterable<string>, size = Math.max(1, Math.min(4, availableParallelism()))) {
    // keepNames (tsx) may wrap functions in __name(): a no-op stand-in keeps the source valid.
    const source = `const __name = (f) => f;\n(${String(chunkWorker)})(require, ${cutPointSource()}, new Set(require('node:worker_threads').workerData.known));`;
    const list = [...known];
    for (let i = 0; i < size; i++) {
      const worker = new Worker(source, {eval: true, workerData: {known: list}});
      worker.unref();
      this.workers.push({worker, load: 0});
      worker.on('message', (m: Record<string, unknown>) => this.jobs.get(m.task as number)?.settle(m));
      worker.on('error', (e) => {
        for (const job of [...this.jobs.values()]) if (job.worker === worker) job.settle(undefined, e);
      });
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.workers.filter((w) => w.load < CAPACITY).sort((a, b) => a.load - b.load)[0];
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.load++;
      job.worker = slot.worker;
      job.send(slot.worker);
    }
  }

  private submit(message: Record<string, unknown>, transfer: ArrayBuffer[]): Promise<Record<string, unknown> & Payloads> {
    return new Promise((resolve, reject) => {
      const task = this.next++;
      const job: Job = {
        send: (w) => w.postMessage({task, ...message}, transfer),
        settle: (m, e) => {
          this.jobs.delete(task);
          const slot = this.workers.find((w) => w.worker === job.worker);
          if (slot) slot.load--;
          this.pump();
          if (!m) reject(e);
          else if (m.error) reject(workerError(m.error));
          else resolve({...m, raw: Buffer.from(m.raw as ArrayBuffer), packed: Buffer.from(m.packed as ArrayBuffer), from: job.worker!});
        },
      };
      this.jobs.set(task, job);
      this.queue.push(job);
      this.pump();
    });
  }

  /** Reads, cuts, hashes and encodes whole files; one result per path, in order. */
  async files(paths: string[], sizes: number[]): Promise<Payloads & {files: FileOut[]}> {
    if (workerReads.observe) for (const p of paths) workerReads.observe(p);
    const r = await this.submit({kind: 'files', paths, sizes}, []);
    return {raw: r.raw, packed: r.packed, from: r.from, files: r.files as FileOut[]};
  }

  /**
   * Hashes and encodes chunks already cut from `raw` (their lengths, in
   * order). `raw` must own its whole ArrayBuffer: it is moved to the worker
   * and comes back as the result's `raw`.
   */
  async chunks(raw: Buffer, cuts: number[]): Promise<Payloads & {chunks: ChunkOut[]}> {
    const r = await this.submit({kind: 'chunks', raw: raw.buffer, length: cuts.reduce((a, b) => a + b, 0), cuts}, [raw.buffer as ArrayBuffer]);
    return {raw: r.raw, packed: r.packed, from: r.from, chunks: r.chunks as ChunkOut[]};
  }

  /** Hands a worker's buffers back to it for reuse; do not touch them afterwards. */
  recycle(buffers: Buffer[], to: Worker): void {
    const list = buffers.map((b) => b.buffer as ArrayBuffer);
    to.postMessage({recycle: list}, list);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

function workerError(e: unknown): Error {
  const {code, message} = e as {code?: string; message: string};
  return Object.assign(new Error(message), code ? {code} : {});
}
