/**
 * Content-defined chunking (FastCDC with normalised chunking, gear hash), so an
 * insertion or an edit moves only nearby chunk boundaries and everything else
 * deduplicates. The gear table is derived from a fixed seed and the parameters
 * are named in each repository's config: they are part of the format (changing
 * them changes every boundary) — NEVER change GEAR_SEED or a parameter set.
 *
 * Two parameter sets exist (FORMAT.md, "Chunking"): FIRST_CHUNKER (version 1,
 * upgraded repositories and version 2 repositories made before the second set)
 * and CHUNKER (new repositories). A writer cuts with the set its repository's
 * config names, so what it writes deduplicates against what is there.
 *
 * The chunker is streaming: feed it segments of any size; it returns the chunk
 * lengths it could cut and keeps the tail until more data or `finish()`.
 */
export const GEAR_SEED = 0x9e3779b9;

/** One parameter set: bytes, and the masks of the gear hash before and after the normalisation point. */
export interface ChunkerParams {
  min: number;
  /** The normalisation point: cuts get easier after it (not the mean chunk size). */
  avg: number;
  max: number;
  maskS: number;
  maskL: number;
}

/** The first set: 13/9-bit masks make cuts so easy that chunks are min + ~8 KiB (~264 KiB), all about one size. */
export const FIRST_CHUNKER: Readonly<ChunkerParams> = Object.freeze({
  min: 256 * 1024,
  avg: 1024 * 1024,
  max: 4 * 1024 * 1024,
  maskS: 0xfff80000 >>> 0,
  maskL: 0xff800000 >>> 0,
});

/**
 * New repositories: min 128 KiB, normalised at 256 KiB with 18/17-bit masks,
 * chunks ~320 KiB on random data. Chosen on issue 15's ext4 image (400 MiB of
 * /usr/share/doc, 40 random 40 KiB writes), against the first set and other
 * masks around 256 KiB: smaller chunks re-store less per write, larger ones
 * compress better; this set stores both the full and the incremental under
 * restic's (FORMAT.md, "Chunking").
 */
export const CHUNKER: Readonly<ChunkerParams> = Object.freeze({
  min: 128 * 1024,
  avg: 256 * 1024,
  max: 4 * 1024 * 1024,
  maskS: 0xffffc000 >>> 0,
  maskL: 0xffff8000 >>> 0,
});

/** The largest chunk of any parameter set (buffers and record checks are sized by it). */
export const CHUNK_MAX = 4 * 1024 * 1024;

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

export type CutPoint = (data: Uint8Array, start: number, end: number, final: boolean) => number;

/** Builds the cut-point function of one parameter set. */
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

const cutPoints = new Map<string, CutPoint>();

/** The cut-point function of a parameter set (made once per set: the hot loop closes over constants). */
export function cutPointFor(params: Readonly<ChunkerParams>): CutPoint {
  const key = `${params.min}/${params.avg}/${params.max}/${params.maskS}/${params.maskL}`;
  let cut = cutPoints.get(key);
  if (!cut) {
    cut = makeCutPoint(GEAR, params.min, params.avg, params.max, params.maskS, params.maskL);
    cutPoints.set(key, cut);
  }
  return cut;
}

/** Splits a whole buffer into chunk lengths. */
export function chunkBuffer(data: Uint8Array, params: Readonly<ChunkerParams> = CHUNKER): number[] {
  const cutPoint = cutPointFor(params);
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
  private readonly cutPoint: CutPoint;

  constructor(params: Readonly<ChunkerParams> = CHUNKER) {
    this.cutPoint = cutPointFor(params);
  }

  push(segment: Buffer): Buffer[] {
    const chunks: Buffer[] = [];
    let data = segment;
    let pos = 0;
    if (this.carry.length > 0) {
      // Join the carried tail with just enough of the segment to find the next cut.
      const head = Buffer.concat([this.carry, segment.subarray(0, Math.max(0, CHUNK_MAX - this.carry.length))]);
      const n = this.cutPoint(head, 0, head.length, false);
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
      const n = this.cutPoint(data, pos, data.length, false);
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
      const n = this.cutPoint(data, pos, data.length, true);
      chunks.push(data.subarray(pos, pos + n));
      pos += n;
    }
    this.carry = Buffer.alloc(0);
    return chunks;
  }
}
