/**
 * Verifies packs off the main thread, so the main thread (and the TUI) keeps
 * doing I/O and answering keys. A pack passed through whole is checked by the
 * SHA-256 of its bytes against its id, plus its trailer against the blobs the
 * index names (SHA-256 speed, no decoding); blobs picked out of a pack, and every
 * blob of a pack whose hash does not match, are decoded and hashed one by
 * one, so a damaged chunk is named and the sound ones still usable. Between
 * two directories a worker copies a pack itself once it checked it
 * (copyPack), past the page cache. The workers also decode and scan a copy
 * plan's file-tree chunks (treeChunk). Pooled buffers are taken only when a
 * worker is free, so no more of them are touched than there are workers
 * (fresh memory costs a page fault per 4 KiB).
 *
 * The workers run verify-worker.ts, which calls the format's own checks
 * (pack-checks.ts): they decide exactly what the main thread would.
 */
import {availableParallelism} from 'node:os';
import {unpackIds} from './pack-checks.js';
import type {CodecParams} from '../repository/codec.js';
import {startWorker, type TypedWorker} from './start.js';
import type {BlobRef, CheckKind, FromVerifyWorker, ToVerifyWorker, VerifyWorkerData} from './verify-messages.js';

export type {BlobRef};

export interface Checked {
  /** The pack's bytes (a view of pooled memory: valid until release()). */
  data: Buffer;
  /** The pack matched its id (and its trailer the given blobs): every blob in it is sound. */
  packOk: boolean;
  /** Blobs that failed their own check (checked one by one only when the pack as a whole did not pass). */
  bad: string[];
  /** Hands the memory back for the next pack; call once nothing reads `data` any more. */
  release(): void;
}

/** A tree chunk as the workers return it (see TreeIdCollector.add). */
export interface TreeChunkIds {
  ids: string[];
  head: Buffer;
  /** Undefined: the chunk holds no line break. */
  tail?: Buffer;
}

type VerifyWorker = TypedWorker<ToVerifyWorker, FromVerifyWorker>;
type Reply<T extends FromVerifyWorker['type']> = Extract<FromVerifyWorker, {type: T}>;
/** Each kind of job as sent, without the job number the pool gives it. */
type WithoutJob<M> = M extends unknown ? Omit<M, 'job'> : never;
type JobMessage = WithoutJob<Exclude<ToVerifyWorker, {type: 'exit'}>>;

/**
 * Jobs wait for a worker in one of two lanes that take turns: packs to check
 * or copy ('data'), and a plan's file-tree chunks ('scan'). A run that copies
 * while its plan still counts (copy/stream.ts) then keeps its packs moving
 * while the next disk's tree is scanned, instead of waiting behind all of it.
 */
const LANES = ['data', 'scan'] as const;
type Lane = (typeof LANES)[number];

const POOLED = 16 * 1024 * 1024;
const CLOSE_GRACE_MS = 10_000;
const KEEP = 32;
const ENTRY = {bundled: 'verify-worker', source: new URL('./verify-worker.ts', import.meta.url)};

/** A buffer that can be moved to a worker: one that owns its whole ArrayBuffer, else a copy. */
function movable(data: Buffer): ArrayBuffer {
  const whole =
    data.byteOffset === 0 && data.buffer.byteLength === data.length && !(data.buffer instanceof SharedArrayBuffer);
  return (whole ? data : Buffer.from(data)).buffer as ArrayBuffer;
}

export class VerifyPool {
  private readonly workers: VerifyWorker[] = [];
  private readonly idle: VerifyWorker[] = [];
  private readonly waiting: Record<Lane, ((worker: VerifyWorker | undefined) => void)[]> = {data: [], scan: []};
  private lastLane = 0;
  private closed = false;
  private readonly exited = new WeakSet<VerifyWorker>();
  /** Jobs sent and not answered; `freed`: the worker said it can take the next one while it finishes this one (a write). */
  private readonly pending = new Map<
    number,
    {resolve: (r: FromVerifyWorker) => void; reject: (e: unknown) => void; freed?: boolean}
  >();
  private readonly free: ArrayBuffer[] = [];
  private next = 0;

  private started = false;
  private readonly workerData: VerifyWorkerData;

  /**
   * `codec`: the params of the codec of the repository whose packs this pool
   * checks (plain when absent). No worker starts until the first job or
   * warm(): a copy that finds nothing to copy (a no-op re-run) starts none,
   * and each costs a module load and a heap on a machine that may be busy.
   */
  constructor(
    private readonly size = Math.max(1, Math.min(4, availableParallelism())),
    codec?: CodecParams,
  ) {
    this.workerData = codec ? {codec} : {};
  }

  /** Workers started so far (none before the first job or warm()). */
  get workerCount(): number {
    return this.workers.length;
  }

  /** Starts the workers now (once), so they load while the caller reads indexes. */
  warm(): void {
    if (this.started || this.closed) return;
    this.started = true;
    for (let i = 0; i < this.size; i++) this.startOne();
  }

  private startOne(): void {
    const worker = startWorker<ToVerifyWorker, FromVerifyWorker>(ENTRY, {workerData: this.workerData});
    worker.unref();
    worker.receive(m => {
      const p = this.pending.get(m.job)!;
      if (m.type === 'freed') {
        p.freed = true;
        this.releaseWorker(worker);
        return;
      }
      this.pending.delete(m.job);
      p.resolve(m);
      if (!p.freed) this.releaseWorker(worker);
    });
    worker.once('exit', () => this.exited.add(worker));
    worker.on('error', e => {
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    });
    this.workers.push(worker);
    this.idle.push(worker);
  }

  /** A free worker goes to the next waiting job, the lanes taking turns. */
  private releaseWorker(worker: VerifyWorker): void {
    for (let i = 1; i <= LANES.length; i++) {
      const lane = LANES[(this.lastLane + i) % LANES.length]!;
      const next = this.waiting[lane].shift();
      if (next) {
        this.lastLane = LANES.indexOf(lane);
        next(worker);
        return;
      }
    }
    this.idle.push(worker);
  }

  /**
   * Sends a job once a worker is free (jobs wait in their lane). `pooled`:
   * the job takes a buffer from the pool only then, so only as many are
   * touched as there are workers.
   */
  private async dispatch<R extends FromVerifyWorker>(
    message: JobMessage,
    options: {pooled?: boolean; lane?: Lane} = {},
  ): Promise<R> {
    const lane = this.waiting[options.lane ?? 'data'];
    this.warm();
    const worker = this.closed
      ? undefined
      : (this.idle.pop() ?? (await new Promise<VerifyWorker | undefined>(resolve => lane.push(resolve))));
    if (!worker) throw new Error('The verify pool is closed.');
    const job = this.next++;
    const sent = {...message, job} as ToVerifyWorker;
    if (sent.type === 'check' && options.pooled) sent.buffer = this.take();
    return new Promise<R>((resolve, reject) => {
      this.pending.set(job, {resolve: resolve as (r: FromVerifyWorker) => void, reject});
      worker.send(sent, sent.type === 'check' ? [sent.buffer] : []);
    });
  }

  /** A pack check: `data` is moved to the worker, or (`path`) the worker reads the file into pooled memory. */
  private async check(
    input: {data: Buffer} | {path: string},
    kind: CheckKind,
    packId: string | undefined,
    blobs: BlobRef[],
  ): Promise<Checked & {error?: string}> {
    const given =
      'data' in input
        ? {buffer: movable(input.data), length: input.data.length}
        : {buffer: new ArrayBuffer(0), length: 0, path: input.path}; // the pool's buffer replaces the empty one
    const reply = await this.dispatch<Reply<'checked'>>(
      {type: 'check', kind, packId, blobs, ...given},
      {pooled: !('data' in input)},
    );
    let released = false;
    return {
      data: Buffer.from(reply.buffer, 0, reply.length),
      packOk: reply.packOk,
      bad: reply.bad,
      error: reply.error,
      release: () => {
        if (released) return;
        released = true;
        if (this.free.length < KEEP && reply.buffer.byteLength >= POOLED) this.free.push(reply.buffer);
      },
    };
  }

  /** A file check's result, or undefined (its memory given back) if the file could not be read. */
  private readable(result: Checked & {error?: string}): Checked | undefined {
    if (result.error === undefined) return result;
    result.release();
    return undefined;
  }

  private take(): ArrayBuffer {
    return this.free.pop() ?? new ArrayBuffer(POOLED);
  }

  /**
   * Checks a pack (whole against its id when given, else blob by blob) and
   * the listed blobs. The buffer is moved to the worker: do not use `data`
   * again, use the result's.
   */
  async verify(data: Buffer, packId: string | undefined, blobs: BlobRef[]): Promise<Checked> {
    return this.check({data}, packId === undefined ? 'blobs' : 'pack', packId, blobs);
  }

  /**
   * Like verify(), but a worker reads the pack from a local file itself, into
   * pooled memory. Returns undefined when the file cannot be read (the caller
   * then reads it through its storage, which reports why).
   */
  async verifyFile(path: string, packId: string | undefined, blobs: BlobRef[]): Promise<Checked | undefined> {
    return this.readable(await this.check({path}, packId === undefined ? 'blobs' : 'pack', packId, blobs));
  }

  /**
   * Reads a pack (from a local file when `path` is given, else takes `data`)
   * and checks only its trailer against the blobs, not its hash: for a target
   * that checks the hash itself as it stores the pack. `packOk` says whether
   * the trailer matched. Undefined when the file cannot be read.
   */
  async layout(input: {path: string} | {data: Buffer}, blobs: BlobRef[]): Promise<Checked | undefined> {
    return this.readable(await this.check(input, 'layout', undefined, blobs));
  }

  /**
   * Copies a local pack file to `temp` (which must not exist) if it is sound:
   * its bytes hash to `packId` and its trailer lists exactly `blobs`. Written
   * past the page cache where the filesystem allows; not fsynced (the
   * storage does that when the staged file is committed, see LocalFiles.stage).
   * False: the source is not sound and nothing was written; a failure to read
   * or write rejects with its error code (the temporary file may be left for
   * the caller to remove).
   */
  async copyPack(source: string, temp: string, packId: string, blobs: BlobRef[]): Promise<boolean> {
    const reply = await this.dispatch<Reply<'copied'>>({type: 'copy', source, temp, packId, blobs});
    if (reply.error !== undefined)
      throw Object.assign(new Error(`Copying a pack failed: ${reply.error}`), {code: reply.error});
    return reply.packOk;
  }

  /**
   * Decodes one tree chunk (read from the pack file at `path`, or given as
   * its stored bytes), checks it against its id, and scans its complete lines
   * for chunk ids (tree-ids.ts). Undefined if anything is wrong: the caller
   * then reads the chunk itself, which says what.
   */
  async treeChunk(input: {path: string} | {data: Buffer}, blob: BlobRef): Promise<TreeChunkIds | undefined> {
    const reply = await this.dispatch<Reply<'tree'>>({type: 'tree', blob, ...input}, {lane: 'scan'});
    if ('error' in reply) return undefined;
    const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    return {ids: unpackIds(reply.ids), head: view(reply.head), tail: reply.tail && view(reply.tail)};
  }

  /**
   * Stops the workers once they are done with the jobs they have (their
   * writes included). Not terminate() first: a worker terminated inside a
   * zlib call aborts the whole process (Node 20: "close before init" in the
   * worker's cleanup), which a plan abandoned mid-scan did. A worker still
   * busy after CLOSE_GRACE_MS is terminated anyway. Jobs not yet sent to a
   * worker are refused.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const lane of LANES) for (const waiting of this.waiting[lane].splice(0)) waiting(undefined);
    await Promise.all(
      this.workers.map(async w => {
        if (this.exited.has(w)) return;
        const exited = new Promise<void>(resolve => w.once('exit', () => resolve()));
        w.ref(); // awaited: the process stays up until it has ended
        w.send({type: 'exit'});
        const grace = setTimeout(() => void w.terminate(), CLOSE_GRACE_MS);
        grace.unref();
        await exited;
        clearTimeout(grace);
      }),
    );
    for (const p of this.pending.values()) p.reject(new Error('The verify pool was closed before this job was done.'));
    this.pending.clear();
  }
}
