/**
 * Encoding of one chunk inside a pack: stored raw, or deflated when a sample
 * shows it pays. The chunk id is always the SHA-256 of the plaintext, so every
 * read is verified after decoding, whatever the encoding.
 *
 * The one definition of the compression rule (FORMAT.md, "Packs") and of
 * decoding a blob against its id: the main thread and the workers (agent's
 * chunk workers, the verify pool) call these very functions.
 */
import {createHash} from 'node:crypto';
import {promisify} from 'node:util';
import {deflateRaw, deflateRawSync, inflateRawSync, type ZlibOptions} from 'node:zlib';
import {corrupt} from '../errors.js';
import type {ChunkId} from '../ids.js';
import {CHUNK_MAX} from './chunker.js';

const deflateAsync = promisify(deflateRaw);

export const RAW = 0;
export const DEFLATE = 1;
export type Encoding = typeof RAW | typeof DEFLATE;

/** Below this a chunk is stored raw: compressing it could not save what it costs. */
const SMALLEST = 512;
/** Chunks over twice this are tried on a sample of this size first: random data costs one small try, not a full pass. */
const SAMPLE = 16 * 1024;
/** Compressed data is kept only when it is under this share of the raw size. */
const WORTH = 0.85;

/**
 * Level 1 with an 8 KiB window and the larger hash: measured 1.5-2x faster
 * than zlib's defaults at level 1 for the same ratio (±0.1 %) on text and
 * disk images. Any inflater reads it (windows up to 32 KiB).
 */
const DEFLATE_OPTIONS: ZlibOptions = {level: 1, windowBits: 13, memLevel: 9};

export type Encoded = {encoding: Encoding; payload: Buffer};

export function hashChunk(data: Uint8Array): ChunkId {
  return createHash('sha256').update(data).digest('hex') as ChunkId;
}

/** The largest compressed size kept for `rawLength` bytes (strictly under WORTH of them). */
function keepLimit(rawLength: number): number {
  return Math.ceil(rawLength * WORTH) - 1;
}

/**
 * Deflate options for `length` bytes of input: output in one piece where it
 * fits in 64 KiB, else in 64 KiB pieces (one piece as large as the input
 * would keep that much memory alive behind a small result). No output limit:
 * zlib reports one by throwing, which cost more than compressing a small
 * chunk (a third of the backups' small files are already compressed).
 */
function options(length: number): ZlibOptions {
  return {...DEFLATE_OPTIONS, chunkSize: Math.max(64, Math.min(length + 64, 64 * 1024))};
}

/** `data` deflated, or undefined when that takes more than `limit` bytes. */
function deflateWithin(data: Uint8Array, limit: number): Buffer | undefined {
  const payload = deflateRawSync(data, options(data.length));
  return payload.length <= limit ? payload : undefined;
}

/** Whether compressing `data` is worth a try: big enough, and for a big chunk its first SAMPLE bytes shrink enough. */
function worthTrying(data: Uint8Array): boolean {
  if (data.length < SMALLEST) return false;
  return data.length <= SAMPLE * 2 || deflateWithin(data.subarray(0, SAMPLE), Math.floor(SAMPLE * WORTH)) !== undefined;
}

/**
 * How to store a chunk: deflated when a try is worth it and the result is
 * under 85 % of the chunk, else raw. On the caller's thread (the chunk
 * workers' own). Slower than it was, on purpose: zlib's public one-shot
 * call builds a stream and its state for every chunk, where the workers
 * used to reset one stream through zlib's private handle. On the agent
 * benchmark's tree of small files (bench/backup-copy.ts) that costs a
 * tenth to a sixth more processor time (user+sys of the backup) for the
 * same bytes stored; its disk image, a few percent. No public API reuses
 * the state, and a limit on the output (maxOutputLength) reports itself by
 * throwing, which costs more than it saves.
 */
export function encodeBlob(data: Buffer): Encoded {
  const payload = worthTrying(data) ? deflateWithin(data, keepLimit(data.length)) : undefined;
  return payload ? {encoding: DEFLATE, payload} : {encoding: RAW, payload: data};
}

/** The same rule as encodeBlob, with the full compression on libuv's thread pool, off the caller's thread. */
export async function encodeBlobAsync(data: Buffer): Promise<Encoded> {
  if (!worthTrying(data)) return {encoding: RAW, payload: data};
  const payload = await deflateAsync(data, options(data.length));
  return payload.length <= keepLimit(data.length) ? {encoding: DEFLATE, payload} : {encoding: RAW, payload: data};
}

/**
 * A blob's plaintext, checked: inflated if it is deflated (never past its
 * raw length), then its length and SHA-256 compared with the entry. Throws
 * 'corrupt' naming the chunk and `where` otherwise.
 */
export function decodeBlob(
  payload: Buffer,
  encoding: number,
  rawLength: number,
  id: ChunkId | string,
  where: string,
): Buffer {
  let data: Buffer;
  try {
    // One output buffer of the expected size: no joining of 16 KiB pieces.
    const inflate = {maxOutputLength: Math.max(rawLength, 1), chunkSize: Math.max(64, Math.min(rawLength, CHUNK_MAX))};
    data = encoding === DEFLATE ? inflateRawSync(payload, inflate) : payload;
  } catch {
    throw corrupt(`Chunk ${id.slice(0, 12)} in ${where} cannot be decompressed.`);
  }
  if (data.length !== rawLength || hashChunk(data) !== id) {
    throw corrupt(`Chunk ${id.slice(0, 12)} in ${where} does not match its hash.`);
  }
  return data;
}
