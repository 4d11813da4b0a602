/**
 * Index files of format 3 (FORMAT.md, "Index files of format 3"): the same
 * packs and blob entries as a JSON index file, as fixed-width binary rows
 * sorted by chunk id, so that a reader looks chunks up by binary search in
 * the bytes it read instead of parsing and hashing every id into a map. A
 * 62,000-chunk index is 3.2 MB instead of 5.4 MB of JSON, and opening it
 * costs a hash check and one pass over the rows.
 *
 * Guarantees: a table parseIndexTable returns has exactly the length its
 * counts say, its pack ids are ascending and distinct, its chunk ids
 * ascending (equal ids are one chunk stored in two packs), every row names a
 * pack of the file, an encoding of 0–2 and a raw length of at most
 * CHUNK_MAX. Every lookup is then O(log n) whatever the file holds: a
 * hostile file can make a reader miss chunks (they are then re-read or
 * called missing, and every chunk read is checked against its id), never
 * loop or read outside the file.
 */
import {endianness} from 'node:os';
import type {ChunkId, PackId} from '../ids.js';
import type {Encoding} from './blob.js';
import {CHUNK_MAX} from './chunker.js';
import type {BlobEntry} from './pack.js';

export const TABLE_MAGIC = Buffer.from('BHINDEX3', 'latin1');
const HEADER = 20;
const ID = 32;
/** Pack number, offset, length, raw length, encoding: five little-endian u32s. */
const ROW = 20;
const U32_MAX = 0xffff_ffff;
const WORDS = ROW / 4;
const LITTLE_ENDIAN = endianness() === 'LE';

/** `n` rows of little-endian u32s as words: a view where the bytes are aligned (HEADER and ID keep them so in the file), else a copy. */
function rowWords(rows: Buffer, n: number): Uint32Array {
  if (LITTLE_ENDIAN && rows.byteOffset % 4 === 0) return new Uint32Array(rows.buffer, rows.byteOffset, n * WORDS);
  const words = new Uint32Array(n * WORDS);
  for (let i = 0; i < words.length; i++) words[i] = rows.readUInt32LE(i * 4);
  return words;
}

/** What an index file of format 3 holds, in the shape of the JSON ones (index-file.ts). */
export interface TablePack {
  id: string;
  blobs: BlobEntry[];
}

/** Whether opened index file bytes are format 3 (JSON ones begin with `{`). */
export const isTableBytes = (plain: Buffer): boolean =>
  plain.length >= TABLE_MAGIC.length && plain.subarray(0, TABLE_MAGIC.length).equals(TABLE_MAGIC);

/**
 * The bytes of a format 3 index file (before sealing). Deterministic: packs
 * sorted by id, rows by chunk id then pack, so the same content always
 * gives the same bytes (and the same name).
 */
export function encodeIndexTable(supersedes: readonly string[], packs: readonly TablePack[]): Buffer {
  const sortedPacks = [...packs].sort((a, b) => compareStrings(a.id, b.id));
  for (let i = 1; i < sortedPacks.length; i++)
    if (sortedPacks[i]!.id === sortedPacks[i - 1]!.id) throw new Error(`pack ${sortedPacks[i]!.id} is listed twice`);
  const rows: {id: string; pack: number; blob: BlobEntry}[] = [];
  sortedPacks.forEach((p, pack) => {
    for (const blob of p.blobs) rows.push({id: blob[0], pack, blob});
  });
  rows.sort((a, b) => compareStrings(a.id, b.id) || a.pack - b.pack);
  const n = rows.length;
  const out = Buffer.alloc(HEADER + ID * (supersedes.length + sortedPacks.length + n) + ROW * n);
  TABLE_MAGIC.copy(out, 0);
  out.writeUInt32LE(supersedes.length, 8);
  out.writeUInt32LE(sortedPacks.length, 12);
  out.writeUInt32LE(n, 16);
  let at = HEADER;
  for (const id of [...supersedes, ...sortedPacks.map(p => p.id)]) at += writeHexId(out, at, id);
  for (const row of rows) at += writeHexId(out, at, row.id);
  for (const {pack, blob} of rows) {
    for (const value of [pack, blob[1], blob[2], blob[3], blob[4]]) {
      if (!Number.isInteger(value) || value < 0 || value > U32_MAX)
        throw new Error(`blob ${blob[0].slice(0, 12)} has ${value}, which does not fit an index file of format 3`);
      out.writeUInt32LE(value, at);
      at += 4;
    }
  }
  return out;
}

/** The number the first 8 hex digits of an id of 64 lowercase hex digits spell, or -1 for anything else. */
export function hexPrefix(id: string): number {
  if (id.length !== 64) return -1;
  let value = 0;
  for (let i = 0; i < 8; i++) {
    const c = id.charCodeAt(i);
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

/** Each character code's value as a lowercase hex digit; 0x100 (which no byte matches) for anything else. */
const NIBBLE = new Uint16Array(65536).fill(0x100);
for (let c = 0; c < 16; c++) NIBBLE['0123456789abcdef'.charCodeAt(c)] = c;
const nibble = (c: number): number => NIBBLE[c]!;

/** The first index in [lo, hi) of the sorted `values` whose value is not below `value`. */
export function lowerBound(values: Uint32Array, value: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
const compareStrings = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function writeHexId(out: Buffer, at: number, id: string): number {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new Error(`${JSON.stringify(id.slice(0, 80))} is not an id of 64 hex digits`);
  out.write(id, at, ID, 'hex');
  return ID;
}

/**
 * A format 3 index file, checked (see the header), read in place: rows are
 * decoded only when looked up. Throws an Error saying what is wrong; the
 * caller names the file and calls it corrupt.
 */
export class IndexTable {
  readonly supersedes: string[] = [];
  readonly packIds: PackId[] = [];
  /** Blob rows (a chunk stored in two packs has two). */
  readonly size: number;
  private readonly ids: Buffer;
  /** The rows as u32 words, ROW / 4 a row (a view of the file's bytes where they are aligned, else a copy). */
  private readonly words: Uint32Array;
  /** The first four bytes of each chunk id, big-endian: most comparisons of a search end here. */
  private readonly prefix: Uint32Array;

  constructor(plain: Buffer) {
    if (!isTableBytes(plain)) throw new Error('it does not begin with BHINDEX3');
    if (plain.length < HEADER) throw new Error('it is shorter than its header');
    const s = plain.readUInt32LE(8);
    const p = plain.readUInt32LE(12);
    const n = plain.readUInt32LE(16);
    const expected = HEADER + ID * (s + p + n) + ROW * n;
    if (expected !== plain.length)
      throw new Error(
        `its counts (${s} superseded, ${p} packs, ${n} blobs) need ${expected} bytes, not ${plain.length}`,
      );
    let at = HEADER;
    for (let i = 0; i < s; i++, at += ID) this.supersedes.push(plain.toString('hex', at, at + ID));
    for (let i = 0; i < p; i++, at += ID) {
      if (i > 0 && plain.compare(plain, at - ID, at, at, at + ID) <= 0)
        throw new Error(`its pack ids are not in ascending order at pack ${i + 1}`);
      this.packIds.push(plain.toString('hex', at, at + ID) as PackId);
    }
    this.ids = plain.subarray(at, at + ID * n);
    this.words = rowWords(plain.subarray(at + ID * n), n);
    this.size = n;
    this.prefix = new Uint32Array(n);
    const ids = this.ids;
    const words = this.words;
    for (let i = 0; i < n; i++) {
      const o = i * ID;
      const pre = ((ids[o]! << 24) | (ids[o + 1]! << 16) | (ids[o + 2]! << 8) | ids[o + 3]!) >>> 0;
      this.prefix[i] = pre;
      // Ascending ids are what makes the binary search right (and bounded) on any input.
      if (i > 0 && pre <= this.prefix[i - 1]!) {
        if (pre < this.prefix[i - 1]! || ids.compare(ids, (i - 1) * ID, i * ID, i * ID, (i + 1) * ID) < 0)
          throw new Error(`its chunk ids are not in ascending order at blob ${i + 1}`);
      }
      const w = i * WORDS;
      if (words[w]! >= p) throw new Error(`blob ${i + 1} names pack ${words[w]} of ${p}`);
      if (words[w + 3]! > CHUNK_MAX) throw new Error(`blob ${i + 1} has a raw length over the chunk maximum`);
      if (words[w + 4]! > 2) throw new Error(`blob ${i + 1} has an unknown encoding`);
    }
  }

  /** The first row holding the chunk (an id of 64 lowercase hex digits), or -1. */
  find(id: string): number {
    const pre = hexPrefix(id);
    if (pre < 0) return -1;
    const prefix = this.prefix;
    let lo = lowerBound(prefix, pre, 0, this.size);
    if (lo === this.size || prefix[lo] !== pre) return -1; // most misses end here, without decoding the id
    const query = Buffer.from(id, 'hex');
    if (query.length !== ID) return -1;
    // Rows sharing the prefix: a binary search on the whole id keeps it O(log n) however many there are.
    let hi = lowerBound(prefix, pre + 1, lo, this.size);
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ids.compare(query, 0, ID, mid * ID, (mid + 1) * ID) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.size && this.rowIs(lo, query) ? lo : -1;
  }

  /** The first four bytes of the row's chunk id, as a number (ids sort by it first). */
  prefixAt(row: number): number {
    return this.prefix[row]!;
  }
  /** Whether the row holds the chunk whose 32 id bytes are `query`. */
  rowIs(row: number, query: Buffer): boolean {
    return this.ids.compare(query, 0, ID, row * ID, (row + 1) * ID) === 0;
  }
  /**
   * Whether the row holds the chunk `id` (64 lowercase hex digits, which the
   * caller has checked: hexPrefix): compared digit by digit, with no buffer
   * made for the id (lookups run by the hundred thousand).
   */
  rowIsHex(row: number, id: string): boolean {
    const ids = this.ids;
    for (let k = 0, o = row * ID; k < ID; k++, o++) {
      const byte = (nibble(id.charCodeAt(2 * k)) << 4) | nibble(id.charCodeAt(2 * k + 1));
      if (byte !== ids[o]) return false;
    }
    return true;
  }
  /** Whether the row holds the same chunk as `other`'s row `otherRow`. */
  sameIdAs(row: number, other: IndexTable, otherRow: number): boolean {
    return this.ids.compare(other.ids, otherRow * ID, (otherRow + 1) * ID, row * ID, (row + 1) * ID) === 0;
  }
  /** Whether two rows hold the same chunk. */
  sameId(a: number, b: number): boolean {
    return this.ids.compare(this.ids, a * ID, (a + 1) * ID, b * ID, (b + 1) * ID) === 0;
  }
  /** Copies the row's 32 id bytes into `out` at `at`. */
  copyId(row: number, out: Uint8Array, at: number): void {
    // A loop, not set(subarray()): a view made per row costs more than the 32 bytes (millions of rows).
    const ids = this.ids;
    for (let k = 0, from = row * ID; k < ID; k++) out[at + k] = ids[from + k]!;
  }
  idAt(row: number): ChunkId {
    return this.ids.toString('hex', row * ID, (row + 1) * ID) as ChunkId;
  }
  /** The row's pack, as its number in packIds. */
  packAt(row: number): number {
    return this.words[row * WORDS]!;
  }
  lengthAt(row: number): number {
    return this.words[row * WORDS + 2]!;
  }
  blobAt(row: number): BlobEntry {
    const w = row * WORDS;
    const words = this.words;
    return [this.idAt(row), words[w + 1]!, words[w + 2]!, words[w + 3]!, words[w + 4]! as Encoding];
  }

  /** The packs and their blobs (sorted by offset), in the shape of a JSON index file. */
  packs(): TablePack[] {
    const packs = this.packIds.map(id => ({id, blobs: [] as BlobEntry[]}));
    for (let row = 0; row < this.size; row++) packs[this.packAt(row)]!.blobs.push(this.blobAt(row));
    for (const p of packs) p.blobs.sort((a, b) => a[1] - b[1]);
    return packs;
  }
}
