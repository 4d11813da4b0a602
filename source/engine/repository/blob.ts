/**
 * Encoding of one chunk inside a pack (FORMAT.md, "Blob encodings"): stored
 * raw (0), raw deflate (1: version 1 repositories), or a zstd frame (2:
 * version 2). The chunk id is computed from the plaintext, so every read is
 * verified after decoding, whatever the encoding.
 *
 * The one definition of the compression rule and of decoding a blob against
 * its id: the main thread and the workers (agent's chunk workers, the verify
 * pool) call these very functions. Version 2's rule: the WHOLE chunk is
 * compressed with zstd at the repository's level and kept when it takes at
 * most 97 % of the raw size (an all-zero chunk becomes a few hundred bytes).
 * Version 1's rule (a sample, deflate, under 85 %) stays for writers adding
 * to a repository that was not upgraded, so that older readers still read it.
 *
 * Decoding a zstd blob is bounded before it starts: the frame must be one
 * frame spanning the payload, and its blocks cannot produce more than the
 * raw length plus one block (zstd-frame.ts), so a crafted blob cannot make
 * a reader allocate without end.
 */
import {createHash} from 'node:crypto';
import {promisify} from 'node:util';
import {deflateRaw, deflateRawSync, inflateRawSync, type ZlibOptions} from 'node:zlib';
import {corrupt} from '../errors.js';
import type {ChunkId} from '../ids.js';
import {CHUNK_MAX} from './chunker.js';
import {zstdFrameBound} from './zstd-frame.js';

const deflateAsync = promisify(deflateRaw);

/**
 * The native bindings, not the package's index.js: in 1.2.2 its `compress`
 * drops the level argument (every level compresses at zstd's default).
 * Imported on first use (the bundle carries them as a chunk of their own and
 * copies the .node file beside it: scripts/bundle.mjs): opening the addon
 * costs every process tens of milliseconds, and a copy that passes packs
 * through, or finds nothing to copy, never compresses or decompresses.
 */
type Zstd = typeof import('@mongodb-js/zstd/bindings.js').default;
let zstdLoading: Promise<Zstd> | undefined;
const zstdBindings = (): Promise<Zstd> => (zstdLoading ??= import('@mongodb-js/zstd/bindings.js').then(m => m.default));

export const RAW = 0;
export const DEFLATE = 1;
export const ZSTD = 2;
export type Encoding = typeof RAW | typeof DEFLATE | typeof ZSTD;

/** How a writer compresses: zstd at a level (version 2), or version 1's deflate rule. */
export type Compression = {algorithm: 'zstd'; level: number} | {algorithm: 'deflate'};
export const V1_COMPRESSION: Compression = {algorithm: 'deflate'};
/** zstd levels a config may name (negative "fast" levels are not used). */
export const ZSTD_LEVEL_MIN = 1;
export const ZSTD_LEVEL_MAX = 19;

/** Below this a chunk is stored raw: compressing it could not save what it costs. */
const SMALLEST = 512;
/** Version 2: compressed data is kept when it takes at most this share of the raw size. */
const KEEP_V2 = 0.97;

// Version 1's rule.
/** Chunks over twice this are tried on a sample of this size first. */
const SAMPLE = 16 * 1024;
/** Compressed data is kept only when it is under this share of the raw size. */
const WORTH_V1 = 0.85;
/** Level 1 with an 8 KiB window and the larger hash: 1.5-2x faster than zlib's defaults at level 1 for the same ratio. */
const DEFLATE_OPTIONS: ZlibOptions = {level: 1, windowBits: 13, memLevel: 9};

export type Encoded = {encoding: Encoding; payload: Buffer};

export function hashChunk(data: Uint8Array): ChunkId {
  return createHash('sha256').update(data).digest('hex') as ChunkId;
}

/** The largest zstd frame kept for `rawLength` bytes (97 % of them). */
export function keepLimitV2(rawLength: number): number {
  return Math.floor(rawLength * KEEP_V2);
}

/**
 * How to store a chunk under `compression`; on libuv's thread pool (zstd's
 * bindings are asynchronous), so callers may have many in flight.
 */
export async function encodeBlob(data: Buffer, compression: Compression): Promise<Encoded> {
  if (compression.algorithm === 'deflate') return encodeV1(data);
  if (data.length < SMALLEST) return {encoding: RAW, payload: data};
  const payload = await (await zstdBindings()).compress(data, compression.level);
  return payload.length <= keepLimitV2(data.length) ? {encoding: ZSTD, payload} : {encoding: RAW, payload: data};
}

/** Deflate options for `length` bytes of input: output in one piece where it fits in 64 KiB, else in 64 KiB pieces. */
function deflateOptions(length: number): ZlibOptions {
  return {...DEFLATE_OPTIONS, chunkSize: Math.max(64, Math.min(length + 64, 64 * 1024))};
}

/** Version 1's rule: a big chunk's first SAMPLE bytes must shrink under 85 % before the whole is tried; kept under 85 %. */
async function encodeV1(data: Buffer): Promise<Encoded> {
  const limit = Math.ceil(data.length * WORTH_V1) - 1;
  const worth =
    data.length >= SMALLEST &&
    (data.length <= SAMPLE * 2 ||
      deflateRawSync(data.subarray(0, SAMPLE), deflateOptions(SAMPLE)).length <= Math.floor(SAMPLE * WORTH_V1));
  if (!worth) return {encoding: RAW, payload: data};
  const payload = await deflateAsync(data, deflateOptions(data.length));
  return payload.length <= limit ? {encoding: DEFLATE, payload} : {encoding: RAW, payload: data};
}

/** An encoded blob's bytes before the id check; throws (anything) if they cannot be decoded. */
async function decoded(payload: Buffer, encoding: number, rawLength: number): Promise<Buffer> {
  if (encoding === RAW) return payload;
  if (encoding === DEFLATE) {
    // One output buffer of the expected size: no joining of 16 KiB pieces.
    return inflateRawSync(payload, {
      maxOutputLength: Math.max(rawLength, 1),
      chunkSize: Math.max(64, Math.min(rawLength, CHUNK_MAX)),
    });
  }
  if (encoding === ZSTD) {
    const bound = zstdFrameBound(payload);
    if (bound === undefined || bound < rawLength || bound > rawLength + 128 * 1024)
      throw new RangeError('not one zstd frame of that size');
    return (await zstdBindings()).decompress(payload);
  }
  throw new RangeError(`unknown encoding ${encoding}`);
}

/**
 * A blob's plaintext, checked: decoded (never far past its raw length),
 * then its length and id (`ids`: the repository's codec; SHA-256 by
 * default) compared with the entry. `payload` is the encoded blob, already
 * opened by the codec. Throws 'corrupt' naming the chunk and `where` otherwise.
 */
export async function decodeBlob(
  payload: Buffer,
  encoding: number,
  rawLength: number,
  id: ChunkId | string,
  where: string,
  ids: {chunkId(data: Uint8Array): string} = {chunkId: hashChunk},
): Promise<Buffer> {
  let data: Buffer;
  try {
    data = await decoded(payload, encoding, rawLength);
  } catch {
    throw corrupt(`Chunk ${id.slice(0, 12)} in ${where} cannot be decompressed.`);
  }
  if (data.length !== rawLength || ids.chunkId(data) !== id) {
    throw corrupt(`Chunk ${id.slice(0, 12)} in ${where} does not match its hash.`);
  }
  return data;
}
