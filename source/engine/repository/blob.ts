/**
 * Encoding of one chunk inside a pack: stored raw, or deflated when a sample
 * shows it pays. The chunk id is always the SHA-256 of the plaintext, so every
 * read is verified after decoding, whatever the encoding.
 */
import {createHash} from 'node:crypto';
import {promisify} from 'node:util';
import {deflateRaw, deflateRawSync, inflateRawSync} from 'node:zlib';

const deflateAsync = promisify(deflateRaw);
import {corrupt} from '../errors.js';
import type {ChunkId} from '../ids.js';

export const RAW = 0;
export const DEFLATE = 1;
export type Encoding = typeof RAW | typeof DEFLATE;

const SAMPLE = 16 * 1024;
const WORTH = 0.85;

export function hashChunk(data: Uint8Array): ChunkId {
  return createHash('sha256').update(data).digest('hex') as ChunkId;
}

/** Compresses when a sample compresses to under 85%: random data costs one small try, not a full pass. */
export function encodeBlob(data: Buffer): {encoding: Encoding; payload: Buffer} {
  if (data.length < 512) return {encoding: RAW, payload: data};
  const sample = data.length > SAMPLE ? data.subarray(0, SAMPLE) : data;
  const probe = deflateRawSync(sample, {level: 1});
  if (probe.length > sample.length * WORTH) return {encoding: RAW, payload: data};
  const payload = sample === data ? probe : deflateRawSync(data, {level: 1});
  return payload.length < data.length * WORTH ? {encoding: DEFLATE, payload} : {encoding: RAW, payload: data};
}

/** Same decision as encodeBlob, but the full compression runs on libuv's thread pool, off the main thread. */
export async function encodeBlobAsync(data: Buffer): Promise<{encoding: Encoding; payload: Buffer}> {
  if (data.length < 512) return {encoding: RAW, payload: data};
  if (data.length > SAMPLE * 2) {
    const probe = deflateRawSync(data.subarray(0, SAMPLE), {level: 1});
    if (probe.length > SAMPLE * WORTH) return {encoding: RAW, payload: data};
  }
  const payload = await deflateAsync(data, {level: 1});
  return payload.length < data.length * WORTH ? {encoding: DEFLATE, payload} : {encoding: RAW, payload: data};
}

export function decodeBlob(payload: Buffer, encoding: number, rawLength: number, id: ChunkId, where: string): Buffer {
  let data: Buffer;
  try {
    data = encoding === DEFLATE ? inflateRawSync(payload, {maxOutputLength: Math.max(rawLength, 1)}) : payload;
  } catch {
    throw corrupt(`Chunk ${id.slice(0, 12)} in ${where} cannot be decompressed.`);
  }
  if (data.length !== rawLength || hashChunk(data) !== id) {
    throw corrupt(`Chunk ${id.slice(0, 12)} in ${where} does not match its hash.`);
  }
  return data;
}
