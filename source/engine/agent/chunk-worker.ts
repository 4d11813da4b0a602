/**
 * The body of a chunking worker thread: it reads files (synchronously — it
 * has its own thread), cuts them into chunks, hashes every chunk and encodes
 * the ones the repository did not hold when the pool started, so the main
 * thread only packs and writes. `chunkWorker` is stringified into the worker
 * (see chunk-pool.ts), so it MUST NOT reference anything outside its own body
 * and parameters.
 *
 * Messages in:  {task, kind: 'files', paths, sizes} | {task, kind: 'stream', path} | {credit: task}
 * Messages out: {task, buffer, files: FileOut[]} (one per files task)
 *               {task, buffer, chunks, bytes, done, size?} (several per stream task; the
 *               worker waits for a credit after two unacknowledged parts)
 *               {task, error: {code, message}}
 * `buffer` is a transferred ArrayBuffer holding the payloads of new chunks.
 */
import type {CutPoint} from '../repository/chunker.js';

/** [chunk id, raw length, encoding, payload offset in buffer, payload length]; encoding -1: already in the repository. */
export type ChunkOut = [id: string, rawLength: number, encoding: number, offset: number, length: number];
export type FileOut = {chunks: ChunkOut[]; size: number} | {error: {code?: string; message: string}};

export function chunkWorker(require: NodeJS.Require, cutPoint: CutPoint, known: Set<string>, segment: number): void {
  const {parentPort} = require('node:worker_threads') as typeof import('node:worker_threads');
  const fs = require('node:fs') as typeof import('node:fs');
  const {createHash} = require('node:crypto') as typeof import('node:crypto');
  const {deflateRawSync} = require('node:zlib') as typeof import('node:zlib');
  // Same policy as blob.ts encodeBlobAsync: compress when a 16 KiB sample shrinks under 85%.
  const SAMPLE = 16 * 1024;
  const WORTH = 0.85;
  const port = parentPort!;

  class Out {
    buf = Buffer.allocUnsafeSlow(1 << 20);
    used = 0;
    push(data: Uint8Array): number {
      if (this.used + data.length > this.buf.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + data.length));
        this.buf.copy(bigger, 0, 0, this.used);
        this.buf = bigger;
      }
      this.buf.set(data, this.used);
      this.used += data.length;
      return this.used - data.length;
    }
    take(): ArrayBuffer {
      const ab = this.buf.buffer as ArrayBuffer;
      this.buf = Buffer.allocUnsafeSlow(1 << 20);
      this.used = 0;
      return ab;
    }
  }

  function addChunk(data: Buffer, out: Out, list: ChunkOut[]): void {
    const id = createHash('sha256').update(data).digest('hex');
    if (known.has(id)) {
      list.push([id, data.length, -1, 0, 0]);
      return;
    }
    let encoding = 0;
    let payload: Uint8Array = data;
    if (data.length >= 512) {
      const probe = data.length > SAMPLE * 2 ? deflateRawSync(data.subarray(0, SAMPLE), {level: 1}) : undefined;
      if (!probe || probe.length <= SAMPLE * WORTH) {
        const z = deflateRawSync(data, {level: 1});
        if (z.length < data.length * WORTH) {
          encoding = 1;
          payload = z;
        }
      }
    }
    list.push([id, data.length, encoding, out.push(payload), payload.length]);
  }

  let scratch = Buffer.allocUnsafeSlow(1 << 20);
  /** Reads a whole file; a short read is end of file (regular files), so a small file costs open+read+close. */
  function readWhole(path: string, expected: number): Buffer {
    const fd = fs.openSync(path, 'r');
    try {
      if (scratch.length < expected + 1) scratch = Buffer.allocUnsafeSlow(expected + 1 + (expected >> 3));
      let n = 0;
      for (;;) {
        if (n === scratch.length) {
          const bigger = Buffer.allocUnsafeSlow(scratch.length * 2);
          scratch.copy(bigger, 0, 0, n);
          scratch = bigger;
        }
        const want = scratch.length - n;
        const r = fs.readSync(fd, scratch, n, want, null);
        n += r;
        if (r === 0 || r < want) break;
      }
      return scratch.subarray(0, n);
    } finally {
      fs.closeSync(fd);
    }
  }

  const errorOf = (e: unknown) => ({code: (e as {code?: string}).code, message: (e as Error).message ?? String(e)});

  function files(task: number, paths: string[], sizes: number[]): void {
    const out = new Out();
    const results: FileOut[] = [];
    for (let f = 0; f < paths.length; f++) {
      let data: Buffer;
      try {
        data = readWhole(paths[f]!, sizes[f]!);
      } catch (e) {
        results.push({error: errorOf(e)});
        continue;
      }
      const chunks: ChunkOut[] = [];
      let pos = 0;
      while (pos < data.length) {
        const n = cutPoint(data, pos, data.length, true);
        addChunk(data.subarray(pos, pos + n), out, chunks);
        pos += n;
      }
      results.push({chunks, size: data.length});
    }
    const buffer = out.take();
    port.postMessage({task, buffer, files: results}, [buffer]);
  }

  const acks = new Map<number, {acked: number; wake?: () => void}>();
  async function stream(task: number, path: string): Promise<void> {
    const fd = fs.openSync(path, 'r');
    try {
      const buf = Buffer.allocUnsafeSlow(segment);
      let len = 0;
      let total = 0;
      let sent = 0;
      const ack: {acked: number; wake?: () => void} = {acked: 0};
      acks.set(task, ack);
      for (;;) {
        const before = len;
        let eof = false;
        while (len < buf.length) {
          const r = fs.readSync(fd, buf, len, buf.length - len, null);
          if (r === 0) {
            eof = true;
            break;
          }
          len += r;
        }
        const bytes = len - before;
        total += bytes;
        const out = new Out();
        const chunks: ChunkOut[] = [];
        let pos = 0;
        while (pos < len) {
          const n = cutPoint(buf, pos, len, eof);
          if (n < 0) break;
          addChunk(buf.subarray(pos, pos + n), out, chunks);
          pos += n;
        }
        buf.copyWithin(0, pos, len);
        len -= pos;
        const done = eof && len === 0;
        // Bounded memory: at most two parts wait on the main thread.
        while (sent - ack.acked >= 2) await new Promise<void>((resolve) => (ack.wake = resolve));
        const buffer = out.take();
        port.postMessage({task, buffer, chunks, bytes, done, ...(done ? {size: total} : {})}, [buffer]);
        sent++;
        if (done) return;
      }
    } finally {
      acks.delete(task);
      fs.closeSync(fd);
    }
  }

  type Task = {task: number; kind: 'files'; paths: string[]; sizes: number[]} | {task: number; kind: 'stream'; path: string};
  const queue: Task[] = [];
  let running = false;
  async function drain(): Promise<void> {
    if (running) return;
    running = true;
    while (queue.length > 0) {
      const t = queue.shift()!;
      try {
        if (t.kind === 'files') files(t.task, t.paths, t.sizes);
        else await stream(t.task, t.path);
      } catch (e) {
        port.postMessage({task: t.task, error: errorOf(e)});
      }
    }
    running = false;
  }
  port.on('message', (m: Task | {credit: number}) => {
    if ('credit' in m) {
      const ack = acks.get(m.credit);
      if (ack) {
        ack.acked++;
        ack.wake?.();
        ack.wake = undefined;
      }
      return;
    }
    queue.push(m);
    void drain();
  });
}
