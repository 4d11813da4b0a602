/**
 * Pack files: several MiB of blobs followed by a trailer that describes them,
 * so an index can always be rebuilt from the packs alone.
 *
 *   pack    = blob* trailer u32le(len(trailer)) magic
 *   trailer = {"blobs":[[chunkId, offset, length, rawLength, encoding], ...]} (sealed by the codec)
 *   magic   = "BHPACK02" (version 2 repositories) | "BHPACK01" (version 1; read for ever)
 *
 * The pack id is the SHA-256 of the whole file; it is stored at data/<id[0:2]>/<id>.
 */
import {createHash} from 'node:crypto';
import {corrupt} from '../errors.js';
import type {ChunkId, PackId} from '../ids.js';
import {checkBlobEntries} from './records.js';
import {allocAligned} from '../util/aligned.js';
import type {Encoding} from './blob.js';
import {PLAIN_CODEC, TRAILER_KEY, type ObjectCodec} from './codec.js';

export const PACK_MAGIC_V1 = Buffer.from('BHPACK01');
export const PACK_MAGIC = Buffer.from('BHPACK02');
/** The magic a writer ends its packs with in a repository of `version`. */
export const packMagic = (version: number) => (version >= 2 ? PACK_MAGIC : PACK_MAGIC_V1);
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
      const next =
        bigger.length >= this.size + payload.length ? bigger : allocAligned(2 * (this.size + payload.length));
      if (this.body && this.size > 0) this.body.copy(next, 0, 0, this.size);
      this.body = next;
    }
    // Buffer#copy is a memmove; TypedArray#set measured several times slower here.
    (Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)).copy(
      this.body,
      this.size,
    );
    this.entries.push([id, this.size, payload.length, rawLength, encoding]);
    this.size += payload.length;
  }

  /**
   * Seals the pack: returns its parts (written with one gathered write, never
   * joined in memory), id and entries, and empties the builder. `body` may be
   * passed to `recycle` once the parts are written.
   */
  seal(
    codec: ObjectCodec = PLAIN_CODEC,
    magic: Buffer = PACK_MAGIC,
  ): {id: PackId; parts: Buffer[]; blobs: BlobEntry[]; body: Buffer} {
    const body = this.body ?? Buffer.alloc(0);
    const trailer = codec.sealObject(TRAILER_KEY, Buffer.from(JSON.stringify({blobs: this.entries})));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(trailer.length);
    let parts = [body.subarray(0, this.size), trailer, length, magic];
    const total = this.size + trailer.length + length.length + magic.length;
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

/** A blob's place as any list of them names it: a trailer, the index, a worker's message. */
export type BlobPlace = readonly [id: string, offset: number, length: number, rawLength: number, encoding: number];

const TAIL = PACK_MAGIC.length + 4;

/** The trailer's blobs and where the trailer starts, or what is wrong with it. */
function readTrailer(
  data: Buffer,
  codec: ObjectCodec,
): {blobs: BlobEntry[]; start: number} | 'no valid trailer' | 'a damaged trailer' {
  if (data.length < TAIL) return 'no valid trailer';
  const magic = data.subarray(data.length - PACK_MAGIC.length);
  if (!magic.equals(PACK_MAGIC) && !magic.equals(PACK_MAGIC_V1)) return 'no valid trailer';
  const length = data.readUInt32LE(data.length - TAIL);
  if (length > data.length - TAIL) return 'a damaged trailer';
  const start = data.length - TAIL - length;
  try {
    const plain = codec.openObject(TRAILER_KEY, data.subarray(start, data.length - TAIL));
    const parsed = JSON.parse(plain.toString('utf8')) as {blobs: unknown} | null;
    return {blobs: checkBlobEntries(parsed?.blobs, 'pack'), start};
  } catch {
    return 'a damaged trailer';
  }
}

/** Reads the trailer of a whole pack (index rebuild, a writer adopting packs a killed run left). */
export function parsePackTrailer(data: Buffer, where: string, codec: ObjectCodec = PLAIN_CODEC): BlobEntry[] {
  const trailer = readTrailer(data, codec);
  if (typeof trailer === 'string') throw corrupt(`Pack ${where} has ${trailer}.`);
  return trailer.blobs;
}

/** Blobs sorted by offset tile [0, end): the first at 0, each where the one before ended. */
function tiles(blobs: readonly BlobPlace[], end: number): boolean {
  let at = 0;
  for (const b of [...blobs].sort((x, y) => x[1] - y[1])) {
    if (b[1] !== at) return false;
    at += b[2];
  }
  return at === end;
}

/** The same blobs, whatever their order: every field equal, none twice. */
function sameBlobs(listed: readonly BlobPlace[], expected: readonly BlobPlace[]): boolean {
  if (listed.length !== expected.length) return false;
  const want = new Map(expected.map(b => [b[0], b]));
  for (const b of listed) {
    const w = want.get(b[0]);
    if (!w || w[1] !== b[1] || w[2] !== b[2] || w[3] !== b[3] || w[4] !== b[4]) return false;
    want.delete(b[0]);
  }
  return true;
}

/**
 * What makes `data` not a sound pack, or undefined if it is sound: the one
 * definition every check uses (verify, a writer adopting packs, a copy
 * passing a pack through, on whichever thread). A sound pack (FORMAT.md,
 * "Packs") ends in a well-formed trailer whose blobs tile the bytes before
 * it; with `id`, its SHA-256 is that id (left out where the storage checks
 * the hash itself as it stores the pack); with `blobs`, its trailer lists
 * exactly those (a copy passes a pack through whole only when the index it
 * copies from agrees with the pack). Blob payloads are not decoded here: a
 * pack's id covers every stored byte of them. `codec` opens the trailer
 * (the repository's; a worker builds it with codecFromParams).
 */
export function packProblem(
  data: Buffer,
  expect: {id?: string; blobs?: readonly BlobPlace[]} = {},
  codec: ObjectCodec = PLAIN_CODEC,
): string | undefined {
  const trailer = readTrailer(data, codec);
  if (typeof trailer === 'string') return `it has ${trailer}`;
  if (!tiles(trailer.blobs, trailer.start)) return 'its blobs do not fill it up to its trailer';
  if (expect.blobs && !sameBlobs(trailer.blobs, expect.blobs))
    return 'its trailer does not list the blobs the index names';
  if (expect.id !== undefined && createHash('sha256').update(data).digest('hex') !== expect.id)
    return 'its bytes do not hash to its id';
  return undefined;
}
