/**
 * Verifies packs off the main thread: a small pool of worker threads checks a
 * pack's SHA-256 against its id and decodes and hashes every blob in it, so a
 * copy verifies every chunk at several hundred MB/s while the main thread
 * (and the TUI) keeps doing I/O and answering keys. The worker source is
 * inline so it loads the same way from the bundle and from tests.
 */
import {availableParallelism} from 'node:os';
import {Worker} from 'node:worker_threads';

const WORKER = `
const {parentPort} = require('node:worker_threads');
const {createHash} = require('node:crypto');
const {inflateRawSync} = require('node:zlib');
parentPort.on('message', ({job, buffer, offset, length, packId, blobs}) => {
  const data = Buffer.from(buffer, offset, length);
  // A pack passed through whole is checked byte for byte without a second
  // hash pass: its blobs must tile it from offset 0 and its trailer must list
  // exactly these blobs; every blob is then decoded and hashed below.
  let packOk = true;
  if (packId) {
    try {
      const magic = data.subarray(data.length - 8).toString('latin1');
      const len = data.readUInt32LE(data.length - 12);
      const start = data.length - 12 - len;
      const listed = JSON.parse(data.subarray(start, data.length - 12).toString('utf8')).blobs;
      const key = (b) => b.join(',');
      const want = new Set(blobs.map(key));
      let end = 0;
      for (const b of [...listed].sort((x, y) => x[1] - y[1])) {
        if (b[1] !== end || !want.has(key(b))) throw new Error('layout');
        end += b[2];
      }
      packOk = magic === 'BHPACK01' && end === start && listed.length === blobs.length;
    } catch { packOk = false; }
  }
  const bad = [];
  for (const [id, off, len, raw, enc] of blobs) {
    try {
      if (off + len > data.length) throw new Error('range');
      const payload = data.subarray(off, off + len);
      const plain = enc === 1 ? inflateRawSync(payload, {maxOutputLength: Math.max(raw, 1)}) : payload;
      if (plain.length !== raw || createHash('sha256').update(plain).digest('hex') !== id) bad.push(id);
    } catch { bad.push(id); }
  }
  parentPort.postMessage({job, buffer, packOk, bad}, [buffer]);
});`;

export type BlobRef = [id: string, offset: number, length: number, rawLength: number, encoding: number];

interface Pending {
  resolve: (r: {data: Buffer; packOk: boolean; bad: string[]}) => void;
  reject: (e: unknown) => void;
  offset: number;
  length: number;
}

export class VerifyPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private next = 0;

  constructor(size = Math.max(1, Math.min(4, availableParallelism()))) {
    for (let i = 0; i < size; i++) {
      const worker = new Worker(WORKER, {eval: true});
      worker.unref();
      worker.on('message', (m: {job: number; buffer: ArrayBuffer; packOk: boolean; bad: string[]}) => {
        const p = this.pending.get(m.job)!;
        this.pending.delete(m.job);
        p.resolve({data: Buffer.from(m.buffer, p.offset, p.length), packOk: m.packOk, bad: m.bad});
        this.release(worker);
      });
      worker.on('error', (e) => {
        for (const p of this.pending.values()) p.reject(e);
        this.pending.clear();
      });
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  private release(worker: Worker): void {
    const waiting = this.queue.shift();
    if (waiting) waiting();
    this.idle.push(worker);
  }

  /**
   * Checks a pack (its id when given) and the listed blobs. The buffer is
   * moved to the worker and handed back in the result: do not use `data`
   * again, use the returned one.
   */
  async verify(data: Buffer, packId: string | undefined, blobs: BlobRef[]): Promise<{data: Buffer; packOk: boolean; bad: string[]}> {
    // Only a buffer that owns its whole ArrayBuffer can be transferred safely.
    const own = data.byteOffset === 0 && data.buffer.byteLength === data.length && !(data.buffer instanceof SharedArrayBuffer) ? data : Buffer.from(data);
    while (this.idle.length === 0) await new Promise<void>((resolve) => this.queue.push(resolve));
    const worker = this.idle.pop()!;
    const job = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(job, {resolve, reject, offset: 0, length: own.length});
      worker.postMessage({job, buffer: own.buffer, offset: 0, length: own.length, packId, blobs}, [own.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
