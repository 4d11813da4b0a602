/**
 * A set of chunk ids for worker threads: 32-byte ids sorted in ascending
 * byte order, with their first four bytes as numbers, in shared memory. An
 * agent backup tells its chunking workers which chunks the repository holds
 * (so they do not compress what is stored already): as strings, that was a
 * copy of every id of the index into each worker and a set built in each,
 * seconds and a gigabyte for a 2,000,000-chunk repository; this is 36 bytes
 * a chunk, made once (ChunkIndex.knownIds) and read by every worker in place.
 */
import {hexPrefix, lowerBound} from './index-table.js';
import {isChunkId} from './record-checks.js';

const ID = 32;

export interface KnownIds {
  /** n ids of 32 bytes, ascending (an id may repeat). */
  readonly ids: Uint8Array;
  /** The first four bytes of each, big-endian. */
  readonly prefix: Uint32Array;
}

/** Ids (64 hex digits each; others are left out) and their prefixes, sorted, in shared memory. */
export function knownIdsOf(hexIds: Iterable<string>): KnownIds {
  const list = [...hexIds].filter(isChunkId).sort();
  const known = sharedKnownIds(list.length);
  const ids = Buffer.from(known.ids.buffer, known.ids.byteOffset, known.ids.byteLength);
  list.forEach((id, i) => {
    ids.write(id, i * ID, ID, 'hex');
    known.prefix[i] = hexPrefix(id);
  });
  return known;
}

/** Room for n ids in shared memory (filled by the caller, sorted). */
export function sharedKnownIds(n: number): KnownIds {
  return {
    ids: new Uint8Array(new SharedArrayBuffer(Math.max(1, n * ID)), 0, n * ID),
    prefix: new Uint32Array(new SharedArrayBuffer(Math.max(4, n * 4)), 0, n),
  };
}

/** Sorts the ids of each run of equal prefixes by their other bytes (rows in prefix order, then any). */
export function sortEqualPrefixes(known: KnownIds): void {
  const {prefix} = known;
  const ids = Buffer.from(known.ids.buffer, known.ids.byteOffset, known.ids.byteLength);
  for (let start = 0; start < prefix.length;) {
    let end = start + 1;
    while (end < prefix.length && prefix[end] === prefix[start]) end++;
    if (end - start > 1) {
      const run = Array.from({length: end - start}, (_, i) =>
        Buffer.from(ids.subarray((start + i) * ID, (start + i + 1) * ID)),
      );
      run.sort(Buffer.compare).forEach((id, i) => id.copy(ids, (start + i) * ID));
    }
    start = end;
  }
}

/** A reader of a KnownIds (in any thread): has(id) by binary search, most misses decided by the prefix alone. */
export class KnownIdSet {
  private readonly ids: Buffer;
  private readonly prefix: Uint32Array;

  constructor(known: KnownIds) {
    this.ids = Buffer.from(known.ids.buffer, known.ids.byteOffset, known.ids.byteLength);
    this.prefix = known.prefix;
  }

  get size(): number {
    return this.prefix.length;
  }

  has(id: string): boolean {
    const pre = hexPrefix(id);
    if (pre < 0) return false;
    const n = this.prefix.length;
    let lo = lowerBound(this.prefix, pre, 0, n);
    if (lo === n || this.prefix[lo] !== pre) return false;
    let hi = lowerBound(this.prefix, pre + 1, lo, n);
    const query = Buffer.from(id, 'hex');
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids.compare(query, 0, ID, mid * ID, (mid + 1) * ID) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < n && this.ids.compare(query, 0, ID, lo * ID, (lo + 1) * ID) === 0;
  }
}
