/**
 * Pack files: several MiB of blobs followed by a trailer that describes them,
 * so an index can always be rebuilt from the packs alone.
 *
 *   pack    = blob* trailer-json u32le(len(trailer-json)) "BHPACK01"
 *   trailer = {"blobs":[[chunkId, offset, length, rawLength, encoding], ...]}
 *
 * The pack id is the SHA-256 of the whole file; it is stored at data/<id[0:2]>/<id>.
 */
import {createHash} from 'node:crypto';
import {corrupt} from '../errors.js';
import type {ChunkId, PackId} from '../ids.js';
import {checkBlobEntries} from './records.js';
import {allocAligned} from '../util/aligned.js';
import type {Encoding} from './blob.js';

export const PACK_MAGIC = Buffer.from('BHPACK01');
export const PACK_TARGET = 8 * 1024 * 1024;

export type BlobEntry = [id: ChunkId, offset: number, length: number, rawLength: number, encoding: Encoding];

export function packKey(id: PackId | string): string {
  return `data/${id.slice(0, 2)}/${id}`;
}

/**
 * Builds one pack at a time in a contiguous body buffer: `add` copies the
 * payload, so callers may reuse their buffers as soon as it returns. Bodies
 * are recycled once their pack is written (`recycle`): fresh memory costs a
 * page fault per 4 KiB, and on busy virtual machines that is slower than the
 * copy. Bodies are page-aligned and the sealed pack is one buffer whenever the
 * trailer fits behind the blobs, so a filesystem can write it past the page
 * cache (see FilesystemStorage).
 */
export class PackBuilder {
  private body: Buffer | undefined;
  private readonly spare: Buffer[] = [];
  private entries: BlobEntry[] = [];
  private size = 0;

  get bytes(): number {
    return this.size;
  }
  get count(): number {
    return this.entries.length;
  }

  add(id: ChunkId, payload: Uint8Array, rawLength: number, encoding: Encoding): void {
    if (!this.body || this.size + payload.length > this.body.length) {
      const bigger = this.spare.pop() ?? allocAligned(PACK_TARGET + 4 * 1024 * 1024 + 65536);
      const next = bigger.length >= this.size + payload.length ? bigger : allocAligned(2 * (this.size + payload.length));
      if (this.body && this.size > 0) this.body.copy(next, 0, 0, this.size);
      this.body = next;
    }
    // Buffer#copy is a memmove; TypedArray#set measured several times slower here.
    (Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)).copy(this.body, this.size);
    this.entries.push([id, this.size, payload.length, rawLength, encoding]);
    this.size += payload.length;
  }

  /**
   * Seals the pack: returns its parts (written with one gathered write, never
   * joined in memory), id and entries, and empties the builder. `body` may be
   * passed to `recycle` once the parts are written.
   */
  seal(): {id: PackId; parts: Buffer[]; blobs: BlobEntry[]; body: Buffer} {
    const body = this.body ?? Buffer.alloc(0);
    const trailer = Buffer.from(JSON.stringify({blobs: this.entries}));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(trailer.length);
    let parts = [body.subarray(0, this.size), trailer, length, PACK_MAGIC];
    const total = this.size + trailer.length + length.length + PACK_MAGIC.length;
    if (total <= body.length) {
      let at = this.size;
      for (const part of parts.slice(1)) at += part.copy(body, at);
      parts = [body.subarray(0, total)];
    }
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part);
    const id = hash.digest('hex') as PackId;
    const blobs = this.entries;
    this.body = undefined;
    this.entries = [];
    this.size = 0;
    return {id, parts, blobs, body};
  }

  /** Gives back the body of a sealed pack once it is written. */
  recycle(body: Buffer): void {
    if (this.spare.length < 16 && body.length >= PACK_TARGET) this.spare.push(body); // as many as packs in flight
  }
}

/** Reads the trailer of a whole pack (used by verify and index rebuild). */
export function parsePackTrailer(data: Buffer, where: string): BlobEntry[] {
  const tail = PACK_MAGIC.length + 4;
  if (data.length < tail || !data.subarray(data.length - PACK_MAGIC.length).equals(PACK_MAGIC)) {
    throw corrupt(`Pack ${where} has no valid trailer.`);
  }
  const length = data.readUInt32LE(data.length - tail);
  if (length > data.length - tail) throw corrupt(`Pack ${where} has a damaged trailer.`);
  try {
    const parsed = JSON.parse(data.subarray(data.length - tail - length, data.length - tail).toString('utf8')) as {blobs: unknown} | null;
    return checkBlobEntries(parsed?.blobs, `Pack ${where}`);
  } catch {
    throw corrupt(`Pack ${where} has a damaged trailer.`);
  }
}
