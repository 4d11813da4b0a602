/**
 * What the verify pool's workers decide about a pack or a tree chunk, as
 * plain functions over bytes: the workers call them (verify-worker.ts), and
 * tests call them on this thread to see that both agree with the main
 * thread's own checks. They only combine the format's single definitions
 * (pack.ts: a sound pack; blob.ts: a blob decoded against its id;
 * tree-ids.ts: the ids a tree chunk lists).
 */
import {decodeBlob} from '../repository/blob.js';
import {packProblem} from '../repository/pack.js';
import {PLAIN_CODEC, type ObjectCodec} from '../repository/codec.js';
import {scanTreeIds} from '../repository/tree-ids.js';
import type {BlobRef, CheckKind, TreeIds} from './verify-messages.js';

/** The ids of the blobs that are out of the pack's range, cannot be decoded, or do not match their id. */
export async function badBlobs(
  data: Buffer,
  blobs: readonly BlobRef[],
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<string[]> {
  const bad: string[] = [];
  for (const [id, offset, length, rawLength, encoding] of blobs) {
    try {
      if (offset + length > data.length) throw new RangeError('outside the pack');
      await decodeBlob(
        codec.openBlob(data.subarray(offset, offset + length), 'pack'),
        encoding,
        rawLength,
        id,
        'pack',
        codec,
      );
    } catch {
      bad.push(id);
    }
  }
  return bad;
}

/**
 * `packOk`: the pack is sound as a whole (kind 'pack': its hash and trailer;
 * 'layout': its trailer), so every blob in it is. A pack passed through whole
 * is verified by one SHA-256 of all its bytes against its id, which covers
 * every stored byte of every blob; only when that fails (or for blobs picked
 * out of a pack) is each blob decoded and hashed, so a damaged chunk is named.
 */
export async function checkPack(
  data: Buffer,
  kind: CheckKind,
  packId: string | undefined,
  blobs: readonly BlobRef[],
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<{packOk: boolean; bad: string[]}> {
  if (kind === 'layout') return {packOk: packProblem(data, {blobs}, codec) === undefined, bad: []};
  const packOk = kind === 'pack' && packId !== undefined && packProblem(data, {id: packId, blobs}, codec) === undefined;
  return {packOk, bad: packOk ? [] : await badBlobs(data, blobs, codec)};
}

/** A copy in memory of its own: a view would carry its whole backing memory across threads. */
const own = (bytes: Uint8Array) => new Uint8Array(bytes);

/** Ids of 64 characters (every valid one) as one string, which crosses threads far faster than an array. */
export function packIds(ids: string[]): TreeIds {
  return ids.every(id => id.length === 64) ? ids.join('') : ids;
}

/** The ids packIds packed. */
export function unpackIds(ids: TreeIds): string[] {
  if (typeof ids !== 'string') return ids;
  const list: string[] = new Array(ids.length / 64);
  for (let i = 0; i < list.length; i++) list[i] = ids.slice(i * 64, i * 64 + 64);
  return list;
}

/**
 * A tree chunk, decoded and checked against its id (throws 'corrupt' if it
 * does not match), split into the part before its first line break
 * (`head`), the ids of its complete lines, and the part after its last line
 * break (`tail`; undefined when it holds no line break at all).
 */
export async function scanTreeChunk(
  stored: Buffer,
  blob: BlobRef,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<{ids: TreeIds; head: Uint8Array; tail?: Uint8Array}> {
  const [id, , , rawLength, encoding] = blob;
  const plain = await decodeBlob(codec.openBlob(stored, 'a file tree'), encoding, rawLength, id, 'a file tree', codec);
  const first = plain.indexOf(10);
  if (first < 0) return {ids: '', head: own(plain)};
  const last = plain.lastIndexOf(10);
  const ids = packIds(scanTreeIds(plain, first + 1, last + 1));
  return {ids, head: own(plain.subarray(0, first)), tail: own(plain.subarray(last + 1))};
}
