/**
 * A pool of chunking worker threads (chunk-worker.ts) for agent backups:
 * reading and cutting small files, SHA-256 and compression run on every
 * core, while the main thread walks, reads and cuts streams, packs and
 * writes. Buffers cross threads by transfer, never by copy, and go back to
 * whoever allocated them (`recycle`), so memory stays mapped and bounded.
 *
 * Workers are told which chunk ids the repository held when the pool started
 * (durable and indexed, so it is safe not to encode them); any other
 * duplicate is still caught by the writer's own dedup. The workers run
 * chunk-worker.ts (an entry of its own in the bundle, see workers/start.ts).
 */
import type {Compression} from '../repository/blob.js';
import type {ObjectCodec} from '../repository/codec.js';
import type {KnownIds} from '../repository/known-ids.js';
import {availableParallelism} from 'node:os';
import {CHUNK_MAX, type ChunkerParams} from '../repository/chunker.js';
import {startWorker, type TypedWorker} from '../workers/start.js';
import type {
  ChunkOut,
  ChunkWorkerData,
  FileOut,
  FromChunkWorker,
  Payload,
  ToChunkWorker,
  WorkerError,
} from './chunk-messages.js';

export type {ChunkOut, FileOut};
/** A result's buffers: `raw` as read, `packed` compressed payloads; call `done` once the writer has them. */
export interface Payloads {
  raw: Buffer;
  packed: Buffer;
  done: () => void;
}
/** Shared slot sizes: a batch of small files (at most 8 MiB, see file-content.ts), a stream segment. */
export const FILES_SLOT = 9 * 1024 * 1024;
/** Bytes read per stream segment; its slot has CHUNK_MAX in front for the previous segment's uncut tail. */
export const SEGMENT = 8 * 1024 * 1024;
export const STREAM_SLOT = CHUNK_MAX + SEGMENT;

type ChunkWorker = TypedWorker<ToChunkWorker, FromChunkWorker>;
type Task = Extract<ToChunkWorker, {type: 'files' | 'stream'}>;
type Result<T extends FromChunkWorker['type']> = Extract<FromChunkWorker, {type: T}>;

interface Job {
  send: (worker: ChunkWorker) => void;
  settle: (m: Result<'files' | 'stream' | 'error'> | undefined, e?: unknown) => void;
  /** A stream segment's early answer: where its uncut tail starts. */
  onCut?: (at: number) => void;
  worker?: ChunkWorker;
}

/** Sees every path a worker is asked to read (tests check which files a backup reads). */
export const workerReads: {observe?: (path: string) => void} = {};

/** Tasks a worker holds at once (one running, one queued behind it). */
const CAPACITY = 2;
const ENTRY = {bundled: 'chunk-worker', source: new URL('./chunk-worker.ts', import.meta.url)};

export class ChunkPool {
  private readonly workers: {worker: ChunkWorker; load: number}[] = [];
  private readonly queue: Job[] = [];
  private readonly jobs = new Map<number, Job>();
  private next = 0;
  /** Segment buffers shared with every worker (streams): sent once, then named by id. */
  private readonly shared = new Map<number, Buffer>();
  private readonly freeSlots: number[] = [];

  constructor(
    known: KnownIds,
    encode: {compression: Compression; codec: ObjectCodec; chunker: Readonly<ChunkerParams>},
    size = Math.max(1, Math.min(4, availableParallelism())),
  ) {
    const workerData: ChunkWorkerData = {
      known,
      compression: encode.compression,
      codec: encode.codec.params(),
      chunker: {...encode.chunker},
    };
    for (let i = 0; i < size; i++) {
      const worker = startWorker<ToChunkWorker, FromChunkWorker>(ENTRY, {workerData});
      worker.unref();
      this.workers.push({worker, load: 0});
      worker.receive(m => {
        const job = this.jobs.get(m.task);
        if (m.type === 'cut') job?.onCut?.(m.at);
        else job?.settle(m);
      });
      worker.on('error', e => {
        for (const job of [...this.jobs.values()]) if (job.worker === worker) job.settle(undefined, e);
      });
    }
  }

  get size(): number {
    return this.workers.length;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      const slot = this.workers.filter(w => w.load < CAPACITY).sort((a, b) => a.load - b.load)[0];
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.load++;
      job.worker = slot.worker;
      job.send(slot.worker);
    }
  }

  /** Queues a task (`message` gets its number); settles with the worker's answer and its buffers. */
  private submit<T extends Task['type']>(
    message: (task: number) => Extract<Task, {type: T}>,
    onCut?: (at: number) => void,
  ): Promise<Result<T> & Payloads> {
    return new Promise((resolve, reject) => {
      const task = this.next++;
      const sent = message(task);
      const job: Job = {
        onCut,
        send: w => w.send(sent),
        settle: (m, e) => {
          this.jobs.delete(task);
          const slot = this.workers.find(w => w.worker === job.worker);
          if (slot) slot.load--;
          this.pump();
          if (!m) reject(e);
          else if (m.type === 'error') reject(workerError(m.error));
          else resolve({...(m as Result<T>), ...this.payloads(m, sent, job.worker!)});
        },
      };
      this.jobs.set(task, job);
      this.queue.push(job);
      this.pump();
    });
  }

  /** The result's buffers, and how to give them back (slots to the pool, private buffers to their worker). */
  private payloads(
    m: Result<'files' | 'stream'>,
    sent: {rawSlot: number; packedSlot: number},
    worker: ChunkWorker,
  ): Payloads {
    const privates: ArrayBuffer[] = [];
    const view = (payload: Payload) => {
      if ('slot' in payload) return this.shared.get(payload.slot)!;
      privates.push(payload.buffer);
      return Buffer.from(payload.buffer);
    };
    return {
      raw: view(m.raw),
      packed: view(m.packed),
      done: () => {
        this.releaseSlot(sent.rawSlot);
        this.releaseSlot(sent.packedSlot);
        if (privates.length > 0) worker.send({type: 'recycle', buffers: privates}, privates);
      },
    };
  }

  /** Reads, cuts, hashes and encodes whole files; one result per path, in order. */
  async files(paths: string[], sizes: number[]): Promise<Payloads & {files: FileOut[]}> {
    if (workerReads.observe) for (const p of paths) workerReads.observe(p);
    const rawSlot = this.takeSlot(FILES_SLOT).slot;
    const packedSlot = this.takeSlot(FILES_SLOT).slot;
    const r = await this.submit<'files'>(task => ({type: 'files', task, paths, sizes, rawSlot, packedSlot}));
    return {raw: r.raw, packed: r.packed, done: r.done, files: r.files};
  }

  /**
   * A segment buffer shared with the workers (no transfer, no fresh memory
   * per segment, no external-memory churn for the garbage collector). Give it
   * back with `releaseSlot` once no chunk of it is needed any more.
   */
  takeSlot(bytes: number): {slot: number; buffer: Buffer} {
    const free = this.freeSlots.findIndex(id => this.shared.get(id)!.length === bytes);
    if (free >= 0) {
      const slot = this.freeSlots.splice(free, 1)[0]!;
      return {slot, buffer: this.shared.get(slot)!};
    }
    const sab = new SharedArrayBuffer(bytes);
    const slot = this.shared.size;
    this.shared.set(slot, Buffer.from(sab));
    for (const w of this.workers) w.worker.send({type: 'share', slot, sab});
    return {slot, buffer: this.shared.get(slot)!};
  }

  releaseSlot(slot: number): void {
    this.freeSlots.push(slot);
  }

  /**
   * Cuts, hashes and encodes a stream segment: bytes [start, end) of a slot
   * from takeSlot(STREAM_SLOT). `cut` settles first, with where the uncut
   * tail starts (the next segment begins with it); `result` once the chunks
   * are hashed. The slot is the pool's again after `done`.
   */
  stream(
    rawSlot: number,
    start: number,
    end: number,
    eof: boolean,
  ): {cut: Promise<number>; result: Promise<Payloads & {chunks: ChunkOut[]}>} {
    const packedSlot = this.takeSlot(STREAM_SLOT).slot;
    let settleCut!: (at: number) => void;
    const cut = new Promise<number>(resolve => (settleCut = resolve));
    const result = this.submit<'stream'>(
      task => ({type: 'stream', task, rawSlot, packedSlot, start, end, eof}),
      settleCut,
    ).then(r => ({raw: r.raw, packed: r.packed, done: r.done, chunks: r.chunks}));
    // A failed task never sends its cut: the caller learns of it from `result`.
    result.catch(() => settleCut(-1));
    return {cut, result};
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map(w => w.worker.terminate()));
  }
}

function workerError({code, message}: WorkerError): Error {
  return Object.assign(new Error(message), code ? {code} : {});
}
