/**
 * Content-defined chunking (FastCDC with normalised chunking, gear hash), so an
 * insertion or an edit moves only nearby chunk boundaries and everything else
 * deduplicates. The gear table is derived from a fixed seed: it is part of the
 * format (changing it changes every boundary) — NEVER change GEAR_SEED or the
 * parameters of a format version.
 *
 * The chunker is streaming: feed it segments of any size; it returns the chunk
 * lengths it could cut and keeps the tail until more data or `finish()`.
 */
export const CHUNK_MIN = 256 * 1024;
/** Normalisation point: cuts get easier after it. Chunks average ~264 KiB (see FORMAT.md). */
export const CHUNK_AVG = 1024 * 1024;
export const CHUNK_MAX = 4 * 1024 * 1024;
export const GEAR_SEED = 0x9e3779b9;

function makeGear(): Uint32Array {
  const gear = new Uint32Array(256);
  let x = GEAR_SEED >>> 0;
  for (let i = 0; i < 256; i++) {
    // xorshift32: deterministic and good enough to spread byte values.
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    gear[i] = x;
  }
  return gear;
}
const GEAR = makeGear();
// Normalised chunking: a stricter mask before the average size, a looser one after.
export const MASK_S = 0xfff80000 >>> 0; // 13 bits set → harder to cut (below avg)
export const MASK_L = 0xff800000 >>> 0; // 9 bits set → easier to cut (above avg)

export type CutPoint = (data: Uint8Array, start: number, end: number, final: boolean) => number;

/** Builds the cut-point function from the format's parameters (the chunking workers import `cutPoint` itself). */
function makeCutPoint(
  gear: Uint32Array,
  min: number,
  avg: number,
  max: number,
  maskS: number,
  maskL: number,
): CutPoint {
  /** Returns the length of the first chunk of `data` starting at `start`, or -1 if more data is needed. */
  return function cutPoint(data: Uint8Array, start: number, end: number, final: boolean): number {
    const available = end - start;
    if (available <= min) return final ? available : -1;
    const limit = Math.min(available, max);
    const normal = Math.min(limit, avg);
    let hash = 0;
    let i = min;
    for (; i < normal; i++) {
      hash = ((hash << 1) + gear[data[start + i]!]!) >>> 0;
      if ((hash & maskS) === 0) return i + 1;
    }
    for (; i < limit; i++) {
      hash = ((hash << 1) + gear[data[start + i]!]!) >>> 0;
      if ((hash & maskL) === 0) return i + 1;
    }
    if (limit === max) return max;
    return final ? available : -1;
  };
}

export const cutPoint: CutPoint = makeCutPoint(GEAR, CHUNK_MIN, CHUNK_AVG, CHUNK_MAX, MASK_S, MASK_L);

/** Splits a whole buffer into chunk lengths. */
export function chunkBuffer(data: Uint8Array): number[] {
  const lengths: number[] = [];
  let pos = 0;
  while (pos < data.length) {
    const n = cutPoint(data, pos, data.length, true);
    lengths.push(n);
    pos += n;
  }
  return lengths;
}

/**
 * Streaming chunker: push segments, receive complete chunks. Chunks lying
 * inside a segment are views of it (no copy); only the one chunk that
 * straddles two segments is copied. So callers MUST NOT reuse a segment's
 * buffer after pushing it.
 */
export class StreamChunker {
  private carry: Buffer = Buffer.alloc(0);

  push(segment: Buffer): Buffer[] {
    const chunks: Buffer[] = [];
    let data = segment;
    let pos = 0;
    if (this.carry.length > 0) {
      // Join the carried tail with just enough of the segment to find the next cut.
      const head = Buffer.concat([this.carry, segment.subarray(0, Math.max(0, CHUNK_MAX - this.carry.length))]);
      const n = cutPoint(head, 0, head.length, false);
      if (n < 0 || n < this.carry.length) {
        if (head.length === this.carry.length + segment.length) {
          // The whole segment fit in the head and no cut yet: keep it all.
          this.carry = head;
          return chunks;
        }
        data = Buffer.concat([this.carry, segment]);
      } else {
        chunks.push(head.subarray(0, n));
        pos = n - this.carry.length;
      }
      this.carry = Buffer.alloc(0);
    }
    for (;;) {
      const n = cutPoint(data, pos, data.length, false);
      if (n < 0) break;
      chunks.push(data.subarray(pos, pos + n));
      pos += n;
    }
    this.carry = data.subarray(pos);
    return chunks;
  }

  finish(): Buffer[] {
    const chunks: Buffer[] = [];
    const data = this.carry;
    let pos = 0;
    while (pos < data.length) {
      const n = cutPoint(data, pos, data.length, true);
      chunks.push(data.subarray(pos, pos + n));
      pos += n;
    }
    this.carry = Buffer.alloc(0);
    return chunks;
  }
}
