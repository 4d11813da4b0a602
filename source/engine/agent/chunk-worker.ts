/**
 * A chunking worker thread (an entry of its own in the bundle; see
 * chunk-pool.ts): it reads small files (synchronously — it has its own
 * thread) and cuts them, or cuts the segments of a stream the main thread
 * read, hashes every chunk and encodes the ones the repository did not hold
 * when the pool started, so the main thread only reads streams, packs and
 * writes. It cuts, hashes and encodes with the format's own functions
 * (chunker.ts, blob.ts), as the main thread would.
 *
 * The data as read stays in the raw slot (a raw chunk's payload is never
 * copied), compressed payloads go to the packed slot; only if a slot
 * overflows (a file grew while read) is a private buffer transferred instead.
 */
import {closeSync, openSync, readSync} from 'node:fs';
import {workerData} from 'node:worker_threads';
import {encodeBlob, RAW, type Encoded} from '../repository/blob.js';
import {codecFromParams} from '../repository/codec.js';
import {KnownIdSet} from '../repository/known-ids.js';
import {cutPointFor} from '../repository/chunker.js';
import {parentChannel} from '../workers/port.js';
import type {
  ChunkOut,
  ChunkWorkerData,
  FileOut,
  FromChunkWorker,
  Payload,
  ToChunkWorker,
  WorkerError,
} from './chunk-messages.js';

const port = parentChannel<ToChunkWorker, FromChunkWorker>();
const data0 = workerData as ChunkWorkerData;
const known = new KnownIdSet(data0.known);
const compression = data0.compression;
const codec = codecFromParams(data0.codec);
const cutPoint = cutPointFor(data0.chunker);
/** Buffers shared with the main thread, by slot. */
const shared = new Map<number, Buffer>();
// Reused private buffers (a slot overflowed): fresh memory costs a page fault per 4 KiB, which on a busy VM is slower than reading.
const spare: Buffer[] = [];

function take(min: number): Buffer {
  const i = spare.findIndex(b => b.length >= min);
  if (i >= 0) return spare.splice(i, 1)[0]!;
  return Buffer.allocUnsafeSlow(Math.max(min, 9 * 1024 * 1024));
}

/** While a task's chunks are being compressed, buffers given back wait here: the compressor may still be reading them. */
let holding: Buffer[] | undefined;

function give(b: Buffer): void {
  if (holding) {
    holding.push(b);
    return;
  }
  if (spare.length < 6 && !(b.buffer instanceof SharedArrayBuffer)) spare.push(b);
}

/** Compressed payloads, appended. */
class Out {
  used = 0;
  constructor(public buf: Buffer) {}

  append(payload: Buffer): number {
    if (this.used + payload.length > this.buf.length) {
      const bigger = take(Math.max(this.buf.length * 2, this.used + payload.length));
      this.buf.copy(bigger, 0, 0, this.used);
      give(this.buf);
      this.buf = bigger;
    }
    const at = this.used;
    this.used += payload.copy(this.buf, at);
    return at;
  }
}

/** A chunk being encoded (on libuv's pool: zstd's bindings are asynchronous), in the order it was cut. */
type Pending = {id: string; length: number; at: number; job?: Promise<Encoded>};

/** `data` is a view of the raw buffer at `at`; encoding starts at once, so a batch's chunks compress in parallel. */
function addChunk(data: Buffer, at: number, list: Pending[]): void {
  const id = codec.chunkId(data);
  if (known.has(id)) list.push({id, length: data.length, at});
  else list.push({id, length: data.length, at, job: encodeBlob(data, compression)});
}

/** The chunks' entries, in order; compressed payloads appended to `out`, sealed by the codec; raw ones stay in the raw slot. */
async function finish(list: Pending[], out: Out): Promise<ChunkOut[]> {
  const encoded = await Promise.all(list.map(p => p.job));
  return list.map(({id, length, at}, i): ChunkOut => {
    const e = encoded[i];
    if (!e) return [id, length, -1, 0, 0];
    if (e.encoding === RAW && !codec.encrypted) return [id, length, RAW, at, length];
    const payload = codec.sealBlob(e.payload);
    return [id, length, e.encoding, out.append(payload), payload.length];
  });
}

/**
 * Reads a whole file into `into` at `at` (growing it if the file grew); returns the buffer
 * and the bytes read. A short read is end of file (regular files): a small file costs open+read+close.
 */
function readWhole(path: string, expected: number, into: Buffer, at: number): [Buffer, number] {
  const fd = openSync(path, 'r');
  try {
    let n = 0;
    for (;;) {
      if (at + n === into.length) {
        const bigger = take(into.length * 2 + 65536);
        into.copy(bigger, 0, 0, at + n);
        give(into);
        into = bigger;
      }
      const room = into.length - at - n;
      const want = expected + 1 - n > 0 ? Math.min(room, expected + 1 - n) : room;
      const r = readSync(fd, into, at + n, want, null);
      n += r;
      if (r === 0 || r < want) break;
    }
    return [into, n];
  } finally {
    closeSync(fd);
  }
}

const errorOf = (e: unknown): WorkerError => ({
  code: (e as {code?: string}).code,
  message: (e as Error).message ?? String(e),
});

/** A shared slot is named; a private buffer (the slot overflowed) is transferred. */
function where(buffer: Buffer, slot: number, transfer: ArrayBuffer[]): Payload {
  if (buffer.buffer === shared.get(slot)!.buffer) return {slot};
  transfer.push(buffer.buffer as ArrayBuffer);
  return {buffer: buffer.buffer as ArrayBuffer};
}

async function files(m: Extract<ToChunkWorker, {type: 'files'}>): Promise<void> {
  const held: Buffer[] = (holding = []);
  try {
    await filesHeld(m);
  } finally {
    holding = undefined;
    for (const b of held) give(b);
  }
}

async function filesHeld(m: Extract<ToChunkWorker, {type: 'files'}>): Promise<void> {
  let raw: Buffer = shared.get(m.rawSlot)!;
  const out = new Out(shared.get(m.packedSlot)!);
  const results: ({list: Pending[]; size: number} | {error: WorkerError})[] = [];
  let at = 0;
  for (let f = 0; f < m.paths.length; f++) {
    let n: number;
    try {
      [raw, n] = readWhole(m.paths[f]!, m.sizes[f]!, raw, at);
    } catch (e) {
      results.push({error: errorOf(e)});
      continue;
    }
    const list: Pending[] = [];
    for (let pos = at, end = at + n; pos < end;) {
      const len = cutPoint(raw, pos, end, true);
      addChunk(raw.subarray(pos, pos + len), pos, list);
      pos += len;
    }
    results.push({list, size: n});
    at += n;
  }
  const done: FileOut[] = [];
  for (const r of results) done.push('error' in r ? r : {chunks: await finish(r.list, out), size: r.size});
  const transfer: ArrayBuffer[] = [];
  const payloads = {raw: where(raw, m.rawSlot, transfer), packed: where(out.buf, m.packedSlot, transfer)};
  port.send({type: 'files', task: m.task, files: done, ...payloads}, transfer);
}

/**
 * Cuts a stream's segment (the previous segment's uncut tail, then what was
 * just read), says at once where the uncut tail starts — the next segment
 * cannot be cut before — then hashes and encodes the chunks.
 */
async function stream(m: Extract<ToChunkWorker, {type: 'stream'}>): Promise<void> {
  const raw = shared.get(m.rawSlot)!;
  const cuts: number[] = [];
  let pos = m.start;
  while (pos < m.end) {
    const n = cutPoint(raw, pos, m.end, m.eof);
    if (n < 0) break;
    cuts.push(n);
    pos += n;
  }
  port.send({type: 'cut', task: m.task, at: pos});
  const out = new Out(shared.get(m.packedSlot)!);
  const list: Pending[] = [];
  pos = m.start;
  for (const n of cuts) {
    addChunk(raw.subarray(pos, pos + n), pos, list);
    pos += n;
  }
  const chunks = await finish(list, out);
  const transfer: ArrayBuffer[] = [];
  const payloads = {raw: where(raw, m.rawSlot, transfer), packed: where(out.buf, m.packedSlot, transfer)};
  port.send({type: 'stream', task: m.task, chunks, ...payloads}, transfer);
}

let queue: Promise<void> = Promise.resolve();

port.receive(m => {
  if (m.type === 'share') {
    shared.set(m.slot, Buffer.from(m.sab));
    return;
  }
  if (m.type === 'recycle') {
    for (const buffer of m.buffers) give(Buffer.from(buffer));
    return;
  }
  // One task at a time, in the order sent (as when the work was synchronous): a task's slots are its own until it answers.
  queue = queue
    .then(() => (m.type === 'files' ? files(m) : stream(m)))
    .catch((e: unknown) => {
      port.send({type: 'error', task: m.task, error: errorOf(e)});
    });
});
