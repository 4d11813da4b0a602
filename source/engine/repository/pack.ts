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
import {parseChunkId, type ChunkId, type PackId} from '../ids.js';
import type {Encoding} from './blob.js';

export const PACK_MAGIC = Buffer.from('BHPACK01');
export const PACK_TARGET = 8 * 1024 * 1024;

export type BlobEntry = [id: ChunkId, offset: number, length: number, rawLength: number, encoding: Encoding];

export function packKey(id: PackId | string): string {
  return `data/${id.slice(0, 2)}/${id}`;
}

export class PackBuilder {
  private parts: Buffer[] = [];
  private entries: BlobEntry[] = [];
  private size = 0;

  get bytes(): number {
    return this.size;
  }
  get count(): number {
    return this.entries.length;
  }

  add(id: ChunkId, payload: Buffer, rawLength: number, encoding: Encoding): void {
    this.entries.push([id, this.size, payload.length, rawLength, encoding]);
    this.parts.push(payload);
    this.size += payload.length;
  }

  /**
   * Seals the pack: returns its parts (written with one gathered write, never
   * joined in memory), id and entries, and empties the builder.
   */
  seal(): {id: PackId; parts: Buffer[]; blobs: BlobEntry[]} {
    const trailer = Buffer.from(JSON.stringify({blobs: this.entries}));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(trailer.length);
    const parts = [...this.parts, trailer, length, PACK_MAGIC];
    const hash = createHash('sha256');
    for (const part of parts) hash.update(part);
    const id = hash.digest('hex') as PackId;
    const blobs = this.entries;
    this.parts = [];
    this.entries = [];
    this.size = 0;
    return {id, parts, blobs};
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
    const parsed = JSON.parse(data.subarray(data.length - tail - length, data.length - tail).toString('utf8')) as {blobs: BlobEntry[]};
    for (const b of parsed.blobs) parseChunkId(b[0]);
    return parsed.blobs;
  } catch {
    throw corrupt(`Pack ${where} has a damaged trailer.`);
  }
}
