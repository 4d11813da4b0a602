/**
 * The body of a chunking worker thread: it reads small files (synchronously —
 * it has its own thread) and cuts them, or cuts the segments of a stream the
 * main thread read, hashes every chunk and encodes the ones the repository
 * did not hold when the pool started, so the main thread only reads streams,
 * packs and writes. `chunkWorker` is stringified into the worker
 * (see chunk-pool.ts), so it MUST NOT reference anything outside its own body
 * and parameters.
 *
 * Messages in:  {share: slot, sab}                        a buffer shared with the main thread
 *               {task, rawSlot, packedSlot, kind: 'files', paths, sizes}  read, cut, hash, encode whole files
 *               {task, rawSlot, packedSlot, kind: 'stream', start, end, eof}  cut a stream segment, hash, encode
 *               {recycle: ArrayBuffer[]}                  private buffers the main thread is done with
 * Messages out: {task, cut}                                where a stream segment's uncut tail starts (early)
 *               {task, files: FileOut[] | chunks: ChunkOut[], rawSlot | raw, packedSlot | packed}
 *               | {task, error: {code, message}}
 * The data as read stays in the raw slot (a raw chunk's payload is never
 * copied), compressed payloads go to the packed slot; only if a slot
 * overflows (a file grew while read) is a private buffer transferred instead.
 */
import type {CutPoint} from '../repository/chunker.js';

/**
 * [chunk id, raw length, encoding, payload offset, payload length]. Encoding -1: already in the
 * repository (no payload); 0: payload in `raw`; 1: payload in `packed`.
 */
export type ChunkOut = [id: string, rawLength: number, encoding: number, offset: number, length: number];
export type FileOut = {chunks: ChunkOut[]; size: number} | {error: {code?: string; message: string}};

export function chunkWorker(require: NodeJS.Require, cutPoint: CutPoint, known: Set<string>): void {
  const {parentPort} = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const {createHash} = require('node:crypto') as typeof import('node:crypto');
  const zlib = require('node:zlib') as typeof import('node:zlib');
  // Same policy as blob.ts encodeBlobAsync: compress when a 16 KiB sample shrinks under 85%.
  const SAMPLE = 16 * 1024;
  const WORTH = 0.85;
  const port = parentPort!;

  /** Buffers shared with the main thread, by slot (see chunk-pool.ts takeSlot). */
  const shared = new Map<number, Buffer>();
  // Reused private buffers (a slot overflowed): fresh memory costs a page fault per 4 KiB, which on a busy VM is slower than reading.
  const spare: Buffer[] = [];
  function take(min: number): Buffer {
    const i = spare.findIndex((b) => b.length >= min);
    if (i >= 0) return spare.splice(i, 1)[0]!;
    return Buffer.allocUnsafeSlow(Math.max(min, 9 * 1024 * 1024));
  }
  function give(b: Buffer): void {
    if (spare.length < 6 && !(b.buffer instanceof SharedArrayBuffer)) spare.push(b);
  }

  class Out {
    used = 0;
    constructor(public buf: Buffer) {}
    /** Makes room for `n` more bytes at `used`. */
    reserve(n: number): void {
      if (this.used + n > this.buf.length) {
        const bigger = take(Math.max(this.buf.length * 2, this.used + n));
        this.buf.copy(bigger, 0, 0, this.used);
        give(this.buf);
        this.buf = bigger;
      }
    }
  }

  /**
   * Deflates `data` (raw deflate) into `out` at `at` if the result fits in
   * `limit` bytes; returns its length, or -1. One long-lived zlib stream is
   * reset between chunks: a fresh stream per chunk allocates ~400 KiB of
   * state, which costs more than compressing a small file. Falls back to
   * deflateRawSync where the stream internals are not there.
   */
  // An 8 KiB window and the larger hash: measured 1.5-2x faster than the defaults at level 1 for
  // the same ratio (±0.1%) on text and disk images. Any inflater reads it (windows up to 32 KiB).
  const DEFLATE = {level: 1, windowBits: 13, memLevel: 9};
  const engine = zlib.createDeflateRaw(DEFLATE) as unknown as {_handle?: {writeSync: (...a: unknown[]) => void; reset: () => void}; _writeState?: Uint32Array};
  let handle = engine._handle;
  const state = engine._writeState;
  function deflateInto(data: Uint8Array, out: Buffer, at: number, limit: number): number {
    if (!handle || !state) {
      const z = zlib.deflateRawSync(data, DEFLATE);
      if (z.length > limit) return -1;
      out.set(z, at);
      return z.length;
    }
    handle.writeSync(zlib.constants.Z_FINISH, data, 0, data.length, out, at, limit);
    const availOut = state[0]!;
    const availIn = state[1]!;
    handle.reset();
    return availOut === 0 || availIn !== 0 ? -1 : limit - availOut;
  }
  // The stream internals are not a public API: one round trip through the public inflater at
  // start proves they still behave, or the worker uses deflateRawSync.
  if (handle) {
    const sample = Buffer.from('backhaul deflate self-check '.repeat(200));
    const out = Buffer.alloc(sample.length);
    let ok = false;
    try {
      const n = deflateInto(sample, out, 0, out.length);
      ok = n > 0 && zlib.inflateRawSync(out.subarray(0, n)).equals(sample);
    } catch {
      ok = false;
    }
    if (!ok) handle = undefined;
  }
  const probeOut = Buffer.allocUnsafeSlow(SAMPLE);

  /** `data` is a view of the raw buffer at `at`. */
  function addChunk(data: Buffer, at: number, out: Out, list: ChunkOut[]): void {
    const id = createHash('sha256').update(data).digest('hex');
    if (known.has(id)) {
      list.push([id, data.length, -1, 0, 0]);
      return;
    }
    if (data.length >= 512 && (data.length <= SAMPLE * 2 || deflateInto(data.subarray(0, SAMPLE), probeOut, 0, Math.floor(SAMPLE * WORTH)) >= 0)) {
      const limit = Math.ceil(data.length * WORTH) - 1;
      out.reserve(limit);
      const n = deflateInto(data, out.buf, out.used, limit);
      if (n >= 0 && n < data.length * WORTH) {
        list.push([id, data.length, 1, out.used, n]);
        out.used += n;
        return;
      }
    }
    list.push([id, data.length, 0, at, data.length]);
  }

  /**
   * Reads a whole file into `into` at `at` (growing it if the file grew); returns the buffer
   * and the bytes read. A short read is end of file (regular files): a small file costs open+read+close.
   */
  function readWhole(path: string, expected: number, into: Buffer, at: number): [Buffer, number] {
    const fd = fs.openSync(path, 'r');
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
        const r = fs.readSync(fd, into, at + n, want, null);
        n += r;
        if (r === 0 || r < want) break;
      }
      return [into, n];
    } finally {
      fs.closeSync(fd);
    }
  }

  const errorOf = (e: unknown) => ({code: (e as {code?: string}).code, message: (e as Error).message ?? String(e)});

  /** Posts a result: a shared slot is named, a private buffer (the slot overflowed) is transferred. */
  function post(message: Record<string, unknown>, raw: Buffer, rawSlot: number, out: Out, packedSlot: number): void {
    const transfer: ArrayBuffer[] = [];
    if (raw.buffer === shared.get(rawSlot)!.buffer) message.rawSlot = rawSlot;
    else transfer.push((message.raw = raw.buffer as ArrayBuffer));
    if (out.buf.buffer === shared.get(packedSlot)!.buffer) message.packedSlot = packedSlot;
    else transfer.push((message.packed = out.buf.buffer as ArrayBuffer));
    port.postMessage(message, transfer);
  }

  function files(task: number, paths: string[], sizes: number[], rawSlot: number, packedSlot: number): void {
    let raw: Buffer = shared.get(rawSlot)!;
    const out = new Out(shared.get(packedSlot)!);
    const results: FileOut[] = [];
    let at = 0;
    for (let f = 0; f < paths.length; f++) {
      let n: number;
      try {
        [raw, n] = readWhole(paths[f]!, sizes[f]!, raw, at);
      } catch (e) {
        results.push({error: errorOf(e)});
        continue;
      }
      const chunks: ChunkOut[] = [];
      let pos = at;
      const end = at + n;
      while (pos < end) {
        const len = cutPoint(raw, pos, end, true);
        addChunk(raw.subarray(pos, pos + len), pos, out, chunks);
        pos += len;
      }
      results.push({chunks, size: n});
      at = end;
    }
    post({task, files: results}, raw, rawSlot, out, packedSlot);
  }

  /**
   * Cuts a stream's segment (raw slot bytes [start, end): the previous segment's uncut tail, then
   * what was just read), says at once where the uncut tail starts — the next segment cannot be cut
   * before — then hashes and encodes the chunks.
   */
  function stream(task: number, rawSlot: number, start: number, end: number, eof: boolean, packedSlot: number): void {
    const raw = shared.get(rawSlot)!;
    const cuts: number[] = [];
    let pos = start;
    while (pos < end) {
      const n = cutPoint(raw, pos, end, eof);
      if (n < 0) break;
      cuts.push(n);
      pos += n;
    }
    port.postMessage({task, cut: pos});
    const out = new Out(shared.get(packedSlot)!);
    const list: ChunkOut[] = [];
    pos = start;
    for (const n of cuts) {
      addChunk(raw.subarray(pos, pos + n), pos, out, list);
      pos += n;
    }
    post({task, chunks: list}, raw, rawSlot, out, packedSlot);
  }

  type Task = {task: number; rawSlot: number; packedSlot: number} & ({kind: 'files'; paths: string[]; sizes: number[]} | {kind: 'stream'; start: number; end: number; eof: boolean});
  port.on('message', (m: Task | {recycle: ArrayBuffer[]} | {share: number; sab: SharedArrayBuffer}) => {
    if ('share' in m) {
      shared.set(m.share, Buffer.from(m.sab));
      return;
    }
    if ('recycle' in m) {
      for (const ab of m.recycle) give(Buffer.from(ab));
      return;
    }
    try {
      if (m.kind === 'files') files(m.task, m.paths, m.sizes, m.rawSlot, m.packedSlot);
      else stream(m.task, m.rawSlot, m.start, m.end, m.eof, m.packedSlot);
    } catch (e) {
      port.postMessage({task: m.task, error: errorOf(e)});
    }
  });
}
