/**
 * Verifies packs off the main thread, so the main thread (and the TUI) keeps
 * doing I/O and answering keys. A pack passed through whole is checked by the
 * SHA-256 of its bytes against its id, plus its trailer against the blobs the
 * index names (about 1.5 GB/s a core); blobs picked out of a pack, and every
 * blob of a pack whose hash does not match, are decoded and hashed one by
 * one, so a damaged chunk is named and the sound ones still usable. Between
 * two directories a worker copies a pack itself once it checked it
 * (copyPack), past the page cache. The workers also
 * decode and scan a copy plan's file-tree chunks (treeChunk). Pooled buffers
 * are taken only when a worker is free, so no more of them are touched than
 * there are workers (fresh memory costs a page fault per 4 KiB). The worker
 * source is inline so it loads the same way from the bundle and tests.
 */
import {availableParallelism} from 'node:os';
import {Worker} from 'node:worker_threads';
import {SCAN_TREE_IDS_SOURCE} from '../repository/tree-ids.js';

const WORKER = `
const {parentPort} = require('node:worker_threads');
const {createHash} = require('node:crypto');
const {inflateRawSync} = require('node:zlib');
const {openSync, readSync, fstatSync, closeSync, constants} = require('node:fs');
const fsp = require('node:fs/promises');
const scanTreeIds = new Function('data', 'start', 'end', ${JSON.stringify(SCAN_TREE_IDS_SOURCE)});

// The blobs a pack's own trailer lists must be exactly the given ones, tiling
// the pack from offset 0 up to the trailer.
function layoutOk(data, blobs) {
  if (data.length < 12) return false;
  const len = data.readUInt32LE(data.length - 12);
  const start = data.length - 12 - len;
  return start >= 0 && layoutOkAt(data.subarray(start), start, blobs);
}

// The same, given only the pack's end: its trailer, length and magic ('tail'),
// and where that trailer starts in the pack.
function layoutOkAt(tail, start, blobs) {
  try {
    if (tail.length < 12 || tail.latin1Slice(tail.length - 8, tail.length) !== 'BHPACK01') return false;
    if (tail.readUInt32LE(tail.length - 12) !== tail.length - 12) return false;
    const listed = JSON.parse(tail.utf8Slice(0, tail.length - 12)).blobs;
    if (!Array.isArray(listed) || listed.length !== blobs.length) return false;
    const want = new Map();
    for (const b of blobs) want.set(b[0], b);
    for (const b of listed) {
      const w = want.get(b[0]);
      if (!w || w[1] !== b[1] || w[2] !== b[2] || w[3] !== b[3] || w[4] !== b[4]) return false;
      want.delete(b[0]);
    }
    // Offsets in order, each blob starting where the one before ended.
    let end = 0;
    for (const b of listed.sort((x, y) => x[1] - y[1])) {
      if (b[1] !== end) return false;
      end += b[2];
    }
    return end === start;
  } catch { return false; }
}

// Reads a whole file into the given buffer (a bigger one if it does not fit),
// to its end whatever its size was when opened. Reading into reused memory
// matters: a fresh buffer per pack costs more in page faults than the copy.
function readInto(path, buffer) {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size >= buffer.byteLength) buffer = new ArrayBuffer(size + 4096);
    let view = new Uint8Array(buffer);
    let length = 0;
    for (;;) {
      if (length === view.length) {
        const bigger = new Uint8Array(view.length * 2);
        bigger.set(view);
        view = bigger;
      }
      const n = readSync(fd, view, length, view.length - length, length);
      if (n === 0) return {buffer: view.buffer, length};
      length += n;
    }
  } finally {
    closeSync(fd);
  }
}

// Tree chunks are read into this worker's own scratch memory (they are small, and not sent back).
let scratch = new Uint8Array(0);
function readRange(path, offset, length) {
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, 1 << 20));
  const fd = openSync(path, 'r');
  try {
    let done = 0;
    while (done < length) {
      const n = readSync(fd, scratch, done, length - done, offset + done);
      if (n === 0) throw Object.assign(new Error('short read'), {code: 'ESHORT'});
      done += n;
    }
    return Buffer.from(scratch.buffer, 0, length);
  } finally {
    closeSync(fd);
  }
}

// A tree chunk: decoded, checked against its id, and scanned for the chunk ids
// of its complete lines; the partial lines at both ends go back as bytes.
function treeChunk({job, path, data, blob}) {
  const [id, off, len, raw, enc] = blob;
  try {
    const payload = path ? readRange(path, off, len) : data;
    const plain = enc === 1 ? inflateRawSync(payload, {maxOutputLength: Math.max(raw, 1), chunkSize: Math.max(1024, Math.min(raw, 1 << 22))}) : payload;
    if (plain.length !== raw || createHash('sha256').update(plain).digest('hex') !== id) return {job, error: 'hash'};
    const first = plain.indexOf(10);
    if (first < 0) return {job, head: plain.slice()};
    const last = plain.lastIndexOf(10);
    const ids = scanTreeIds(plain, first + 1, last + 1).join('');
    return {job, ids, head: plain.slice(0, first), tail: plain.slice(last + 1)};
  } catch (e) {
    // The caller reads it again on its own thread, which names the problem.
    return {job, error: String(e && e.code || e)};
  }
}

// A pack copied by this worker to a temporary file beside its target key,
// past the page cache: read whole into page-aligned memory (a WebAssembly
// memory starts on a page boundary, which O_DIRECT needs), checked like any
// pack passed through (its SHA-256 against its id, its trailer against the
// blobs), and written only if sound — the block-aligned head with O_DIRECT,
// the tail through the cache. New page-cache pages are the dearest part of a
// copy on virtual machines that hand freed memory back to their host.
//
// The write goes out asynchronously (libuv's thread pool) and the worker
// tells the pool it is free as soon as the pack is checked, so it reads and
// hashes the next pack while the disk writes this one: the disk is kept
// busy instead of waiting on the hash, and the processor on the disk. Each
// worker has COPY_BUFFERS aligned buffers: one being filled, the others
// being written.
const COPY_BUFFERS = 2;
const alignedFree = [];
let alignedMade = 0;
const alignedWaiting = [];
let directIo = true;
function newAligned(size) {
  // Without WebAssembly (--jitless) the memory is not aligned: O_DIRECT refuses it and the write goes through the cache.
  return typeof WebAssembly === 'undefined' ? Buffer.allocUnsafeSlow(size + 65536)
    : Buffer.from(new WebAssembly.Memory({initial: Math.ceil((size + 65536) / 65536)}).buffer);
}
async function takeAligned(size) {
  for (;;) {
    const i = alignedFree.findIndex((b) => b.length >= size);
    if (i >= 0) return alignedFree.splice(i, 1)[0];
    if (alignedFree.length > 0) {
      alignedFree.pop(); // too small for this pack: replaced by one that fits
      return newAligned(size);
    }
    if (alignedMade < COPY_BUFFERS) {
      alignedMade++;
      return newAligned(size);
    }
    await new Promise((resolve) => alignedWaiting.push(resolve));
  }
}
function giveAligned(buffer) {
  alignedFree.push(buffer);
  alignedWaiting.shift()?.();
}
async function writeTemp(temp, data) {
  const out = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  let done = 0;
  try {
    const head = directIo ? data.length - (data.length % 4096) : 0;
    let direct;
    if (head > 0) {
      try {
        direct = await fsp.open(temp, constants.O_WRONLY | constants.O_DIRECT);
      } catch (e) {
        if (e.code !== 'EINVAL') throw e;
        directIo = false; // the filesystem does not do direct I/O
      }
    }
    if (direct !== undefined) {
      try {
        while (done < head) {
          const {bytesWritten} = await direct.write(data, done, head - done, done);
          done += bytesWritten;
          if (bytesWritten === 0 || done % 4096 !== 0) break; // the rest goes through the cache
        }
      } catch (e) {
        if (e.code !== 'EINVAL') throw e;
        directIo = false;
      } finally {
        await direct.close();
      }
    }
    while (done < data.length) done += (await out.write(data, done, data.length - done, done)).bytesWritten;
  } finally {
    await out.close();
  }
}
async function copyPack({job, source, temp, packId, blobs}) {
  let fd;
  let buffer;
  try {
    fd = openSync(source, 'r');
    const size = fstatSync(fd).size;
    buffer = await takeAligned(size);
    let length = 0;
    while (length < size) {
      const n = readSync(fd, buffer, length, size - length, length);
      if (n === 0) break;
      length += n;
    }
    closeSync(fd);
    fd = undefined;
    const data = buffer.subarray(0, length);
    if (length !== size || createHash('sha256').update(data).digest('hex') !== packId || !layoutOk(data, blobs)) return {job, packOk: false};
    parentPort.postMessage({job, free: true});
    await writeTemp(temp, data);
    return {job, packOk: true};
  } catch (e) {
    return {job, error: String(e && e.code || e)};
  } finally {
    if (fd !== undefined) closeSync(fd);
    if (buffer) giveAligned(buffer);
  }
}

parentPort.on('message', (message) => {
  if (message.exit) {
    parentPort.close(); // the thread ends once the writes it started are done
    return;
  }
  if (message.copy) {
    void copyPack(message).then((reply) => parentPort.postMessage(reply));
    return;
  }
  if (message.tree) {
    parentPort.postMessage(treeChunk(message));
    return;
  }
  let {job, buffer, length, path, packId, blobs, layoutOnly} = message;
  if (path) {
    try {
      ({buffer, length} = readInto(path, buffer));
    } catch (e) {
      parentPort.postMessage({job, buffer, length: 0, packOk: false, bad: [], error: String(e && e.code || e)}, [buffer]);
      return;
    }
  }
  const data = Buffer.from(buffer, 0, length);
  // A pack passed through whole is verified by one SHA-256 of all its bytes
  // against its id (FORMAT.md: the id is that hash), which covers every stored
  // byte of every blob. Only when that fails (or for blobs picked out of a
  // pack) is each blob decoded and hashed, so a damaged chunk is named.
  // layoutOnly: the hash is left to whoever stores the pack (a server checking it as the payload hash).
  if (layoutOnly) {
    parentPort.postMessage({job, buffer, length, packOk: layoutOk(data, blobs), bad: []}, [buffer]);
    return;
  }
  const packOk = Boolean(packId) && createHash('sha256').update(data).digest('hex') === packId && layoutOk(data, blobs);
  const bad = [];
  if (!packOk) {
    for (const [id, off, len, raw, enc] of blobs) {
      try {
        if (off + len > data.length) throw new Error('range');
        const payload = data.subarray(off, off + len);
        const plain = enc === 1 ? inflateRawSync(payload, {maxOutputLength: Math.max(raw, 1)}) : payload;
        if (plain.length !== raw || createHash('sha256').update(plain).digest('hex') !== id) bad.push(id);
      } catch { bad.push(id); }
    }
  }
  parentPort.postMessage({job, buffer, length, packOk, bad}, [buffer]);
});`;

export type BlobRef = [id: string, offset: number, length: number, rawLength: number, encoding: number];

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

interface Reply {
  job: number;
  buffer: ArrayBuffer;
  length: number;
  packOk: boolean;
  bad: string[];
  error?: string;
}

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

export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly waiting: Record<Lane, ((worker: Worker | undefined) => void)[]> = {data: [], scan: []};
  private lastLane = 0;
  private closed = false;
  private readonly exited = new WeakSet<Worker>();
  /** Jobs sent and not answered; `freed`: the worker said it can take the next one while it finishes this one (a write). */
  private readonly pending = new Map<number, {resolve: (r: unknown) => void; reject: (e: unknown) => void; freed?: boolean}>();
  private readonly free: ArrayBuffer[] = [];
  private next = 0;

  constructor(size = Math.max(1, Math.min(4, availableParallelism()))) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER, {eval: true});
      worker.unref();
      worker.on('message', (m: {job: number; free?: boolean}) => {
        const p = this.pending.get(m.job)!;
        if (m.free) {
          p.freed = true;
          this.releaseWorker(worker);
          return;
        }
        this.pending.delete(m.job);
        p.resolve(m);
        if (!p.freed) this.releaseWorker(worker);
      });
      worker.once('exit', () => this.exited.add(worker));
      worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  /** A free worker goes to the next waiting job, the lanes taking turns. */
  private releaseWorker(worker: Worker): void {
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
   * `pooled`: the message takes a buffer from the pool, only once a worker is
   * free (so only as many as workers are touched). Jobs wait in their lane.
   */
  private async dispatch<R>(message: {buffer?: ArrayBuffer; [field: string]: unknown}, pooled = false, lane: Lane = 'data'): Promise<R> {
    const worker = this.closed ? undefined : this.idle.pop() ?? await new Promise<Worker | undefined>((resolve) => this.waiting[lane].push(resolve));
    if (!worker) throw new Error('The verify pool is closed.');
    const job = this.next++;
    if (pooled) message.buffer = this.take();
    return new Promise<R>((resolve, reject) => {
      this.pending.set(job, {resolve: resolve as (r: unknown) => void, reject});
      worker.postMessage({job, ...message}, message.buffer ? [message.buffer] : []);
    });
  }

  private async send(message: {buffer?: ArrayBuffer; length: number; path?: string; packId?: string; blobs: BlobRef[]; layoutOnly?: boolean}): Promise<Checked & {error?: string}> {
    const reply = await this.dispatch<Reply>(message, message.buffer === undefined);
    let released = false;
    return {
      data: Buffer.from(reply.buffer, 0, reply.length), packOk: reply.packOk, bad: reply.bad, error: reply.error,
      release: () => {
        if (released) return;
        released = true;
        if (this.free.length < KEEP && reply.buffer.byteLength >= POOLED) this.free.push(reply.buffer);
      },
    };
  }

  private take(): ArrayBuffer {
    return this.free.pop() ?? new ArrayBuffer(POOLED);
  }

  /**
   * Checks a pack (against its id when given) and the listed blobs. The
   * buffer is moved to the worker: do not use `data` again, use the result's.
   */
  async verify(data: Buffer, packId: string | undefined, blobs: BlobRef[]): Promise<Checked> {
    // Only a buffer that owns its whole ArrayBuffer can be transferred safely.
    const own = data.byteOffset === 0 && data.buffer.byteLength === data.length && !(data.buffer instanceof SharedArrayBuffer) ? data : Buffer.from(data);
    return this.send({buffer: own.buffer as ArrayBuffer, length: own.length, packId, blobs});
  }

  /**
   * Like verify(), but a worker reads the pack from a local file itself, into
   * pooled memory. Returns undefined when the file cannot be read (the caller
   * then reads it through its storage, which reports why).
   */
  async verifyFile(path: string, packId: string | undefined, blobs: BlobRef[]): Promise<Checked | undefined> {
    const result = await this.send({length: 0, path, packId, blobs});
    if (result.error === undefined) return result;
    result.release();
    return undefined;
  }

  /**
   * Reads a pack (from a local file when `path` is given, else takes `data`)
   * and checks only its trailer against the blobs, not its hash: for a target
   * that checks the hash itself as it stores the pack. `packOk` says whether
   * the trailer matched. Undefined when the file cannot be read.
   */
  async layout(input: {path: string} | {data: Buffer}, blobs: BlobRef[]): Promise<Checked | undefined> {
    if ('path' in input) {
      const result = await this.send({length: 0, path: input.path, blobs, layoutOnly: true});
      if (result.error === undefined) return result;
      result.release();
      return undefined;
    }
    const data = input.data;
    const own = data.byteOffset === 0 && data.buffer.byteLength === data.length && !(data.buffer instanceof SharedArrayBuffer) ? data : Buffer.from(data);
    return this.send({buffer: own.buffer as ArrayBuffer, length: own.length, blobs, layoutOnly: true});
  }

  /**
   * Copies a local pack file to `temp` (which must not exist) if it is sound:
   * its bytes hash to `packId` and its trailer lists exactly `blobs`. Written
   * past the page cache where the filesystem allows; not fsynced (the
   * storage does that, see FilesystemStorage.stageWritten). False: the source is not
   * sound and nothing was written; a failure to read or write rejects with
   * its error code (the temporary file may be left for the caller to remove).
   */
  async copyPack(source: string, temp: string, packId: string, blobs: BlobRef[]): Promise<boolean> {
    const reply = await this.dispatch<{packOk?: boolean; error?: string}>({copy: true, source, temp, packId, blobs});
    if (reply.error !== undefined) throw Object.assign(new Error(`Copying a pack failed: ${reply.error}`), {code: reply.error});
    return reply.packOk === true;
  }


  /**
   * Decodes one tree chunk (read from the pack file at `path`, or given as
   * its stored bytes), checks it against its id, and scans its complete lines
   * for chunk ids (tree-ids.ts). Undefined if anything is wrong: the caller
   * then reads the chunk itself, which says what.
   */
  async treeChunk(input: {path: string} | {data: Buffer}, blob: BlobRef): Promise<TreeChunkIds | undefined> {
    const reply = await this.dispatch<{error?: string; ids?: string; head: Uint8Array; tail?: Uint8Array}>({tree: true, ...input, blob}, false, 'scan');
    if (reply.error !== undefined) return undefined;
    const text = reply.ids ?? '';
    const ids: string[] = new Array(text.length / 64);
    for (let i = 0; i < ids.length; i++) ids[i] = text.slice(i * 64, i * 64 + 64);
    const view = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    return {ids, head: view(reply.head), tail: reply.tail && view(reply.tail)};
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
    await Promise.all(this.workers.map(async (w) => {
      if (this.exited.has(w)) return;
      const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
      w.ref(); // awaited: the process stays up until it has ended
      w.postMessage({exit: true});
      const grace = setTimeout(() => void w.terminate(), CLOSE_GRACE_MS);
      grace.unref();
      await exited;
      clearTimeout(grace);
    }));
    for (const p of this.pending.values()) p.reject(new Error('The verify pool was closed before this job was done.'));
    this.pending.clear();
  }
}
