/**
 * The chunk index: where each chunk lives (pack, offset, length) and its
 * plaintext length and encoding. Kept in memory while a repository is open,
 * persisted as immutable index files `index/<sha256 of stored bytes>`, each
 * describing whole packs. An index file is written only after the packs it
 * names are durable; a pack no index names is re-indexed from its trailer.
 *
 * Version 2 repositories get index files of format 2, which may name in
 * `supersedes` the index files they replace (index-compact.ts writes them,
 * then deletes those). Loading honours it: a superseded file still found is
 * skipped, and one deleted between the listing and its read is not missed
 * (the file superseding it was durable before it went: the listing is read
 * again until every file listed is read or superseded). Either way the
 * chunks loaded are the union of every index file's.
 */
import {BackhaulError} from '../errors.js';
import type {ChunkId, PackId} from '../ids.js';
import type {ReadableStorage} from '../storage/storage.js';
import type {BlobEntry} from './pack.js';
import {INDEX_KEY, PLAIN_CODEC, type ObjectCodec} from './codec.js';
import {indexIdOf, parseIndexFile, supersededBy, type IndexFile} from './index-file.js';
import {hexPrefix, lowerBound, type IndexTable} from './index-table.js';
import {sharedKnownIds, sortEqualPrefixes, type KnownIds} from './known-ids.js';

// The file format lives in index-file.ts; what other modules imported from here still is.
export {
  encodeIndexFile,
  indexFormatFor,
  indexIdOf,
  indexKey,
  parseIndexFile,
  supersededBy,
  writeIndexFile,
  type IndexedPack,
  type IndexFile,
  type IndexTarget,
} from './index-file.js';

export interface ChunkLocation {
  pack: PackId;
  offset: number;
  length: number;
  rawLength: number;
  encoding: number;
}

/** A format 3 file's rows in the index: slots [base, base + size); its pack numbers here (-1: known before it). */
interface TableEntry {
  table: IndexTable;
  base: number;
  packs: Int32Array;
  /** No pack of it was known before it (no -1 in `packs`). */
  allNew: boolean;
}

/** Every table row by id prefix: the prefix, and which table and row; where each 16-bit bucket of prefixes begins. */
interface Merged {
  prefix: Uint32Array;
  table: Int32Array;
  row: Int32Array;
  directory: Uint32Array;
}

/** Runs being merged have no directory yet (merged() makes one for the result). */
const NO_DIRECTORY = new Uint32Array(0);

/** Room for n rows, no directory yet. */
function newRun(n: number): Merged {
  return {prefix: new Uint32Array(n), table: new Int32Array(n), row: new Int32Array(n), directory: NO_DIRECTORY};
}

/** Two runs in one, by prefix; of equal prefixes, `a`'s first (a's tables come before b's). */
function mergeRuns(a: Merged, b: Merged): Merged {
  const n = a.prefix.length + b.prefix.length;
  const out = newRun(n);
  let i = 0;
  let j = 0;
  for (let k = 0; k < n; k++) {
    const fromA = j >= b.prefix.length || (i < a.prefix.length && a.prefix[i]! <= b.prefix[j]!);
    const src = fromA ? a : b;
    const at = fromA ? i++ : j++;
    out.prefix[k] = src.prefix[at]!;
    out.table[k] = src.table[at]!;
    out.row[k] = src.row[at]!;
  }
  return out;
}

/** `rows` with its directory: directory[b] is the first row whose prefix's top 16 bits are b or more. */
function withDirectory(rows: Merged): Merged {
  const directory = (rows.directory = new Uint32Array(0x10001));
  let row = 0;
  for (let b = 0; b <= 0x10000; b++) {
    while (row < rows.prefix.length && rows.prefix[row]! >>> 16 < b) row++;
    directory[b] = row;
  }
  return rows;
}

/** Rows [from, to) of a run, as a run (views, not copies). */
function sliceRun(run: Merged, from: number, to: number): Merged {
  return {
    prefix: run.prefix.subarray(from, to),
    table: run.table.subarray(from, to),
    row: run.row.subarray(from, to),
    directory: NO_DIRECTORY,
  };
}

/** Rows from which many tables are sorted by counting passes rather than merged two by two. */
const RADIX = 1 << 16;

/**
 * The rows of `run` (tables in order, each sorted by prefix) sorted by
 * prefix, then table, then row: four stable counting passes, a byte of the
 * prefix each from the lowest, so rows of equal prefixes keep the order
 * they came in. (A byte a pass: 256 places written at a time stay in the
 * processor's caches; two passes of 16 bits write to 65,536 and were slower.)
 */
function sortedByPrefix(run: Merged): Merged {
  const n = run.prefix.length;
  // (run is this sort's own: its prefix array is reused as a pass's output.)
  let prefix: Uint32Array = run.prefix;
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let nextPrefix: Uint32Array = new Uint32Array(n);
  let nextOrder = new Int32Array(n);
  const counts = new Uint32Array(257);
  for (let shift = 0; shift < 32; shift += 8) {
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((prefix[i]! >>> shift) & 0xff) + 1]!++;
    for (let b = 1; b <= 256; b++) counts[b]! += counts[b - 1]!;
    for (let i = 0; i < n; i++) {
      const p = prefix[i]!;
      const at = counts[(p >>> shift) & 0xff]!++;
      nextPrefix[at] = p;
      nextOrder[at] = order[i]!;
    }
    [prefix, nextPrefix] = [nextPrefix, prefix];
    [order, nextOrder] = [nextOrder, order];
  }
  const table = new Int32Array(n);
  const row = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = order[i]!;
    table[i] = run.table[k]!;
    row[i] = run.row[k]!;
  }
  return {prefix, table, row, directory: NO_DIRECTORY};
}

/** tableSlot's answer where too many rows share a prefix to walk (a crafted file): search each table instead. */
const CRAFTED = -2;

/** How often a load lists `index/` again when files it listed vanished unexplained (a compaction racing it). */
const MAX_LISTINGS = 20;

export class ChunkIndex {
  // Each chunk maps to a slot: the blob entry as the index file (or pack trailer) gave it, and
  // its pack's number. No object per chunk: a 60,000-chunk index loads in a third of the time
  // and leaves the heap (and the page faults of its growth) that much smaller.
  private readonly slots = new Map<string, number>();
  /** Blob entries by slot: every map entry's, and a table row's once decoded (sparse for tables). */
  private readonly slotBlob: (BlobEntry | undefined)[] = [];
  /** Each slot's pack number, for slots [0, slotTotal); grown by doubling. */
  private slotPack = new Int32Array(1024);
  private slotTotal = 0;
  private readonly packNames: PackId[] = [];
  private readonly packBlobs = new Map<string, number>();
  // Index files of format 3 are not parsed into the map: their rows are looked up where they lie
  // (index-table.ts). Each takes a range of slots, [base, base + size), decoded when first asked for.
  private readonly tables: TableEntry[] = [];
  /** merged(): the rows of tables [0, mergedTables); undefined until first needed. */
  private mergedRows: Merged | undefined;
  private mergedTables = 0;
  /** The tables' count when merged() last decided whether to merge the tail. */
  private checkedTables = 0;
  /** tail(): the rows of tables [mergedTables, tables), merged as they come. */
  private tailRows: {rows: Merged; tables: number} | undefined;
  /** Set once something is dropped from a table: lookups then check these (else they never do). */
  private droppedIds: Set<string> | undefined;
  private droppedPacks: Set<number> | undefined;
  private uniqueCount: number | undefined;
  private byPackCache: Map<string, BlobEntry[]> | undefined;
  private packNumberCache: Map<string, number> | undefined;
  private rowsByPackCache: {start: Int32Array; slots: Int32Array; packs: number; tables: number} | undefined;
  readonly indexKeys = new Set<string>();
  /** Index files that failed their hash check; their packs are re-indexed by the next writer. */
  readonly badIndexFiles: string[] = [];
  /** Something was dropped in memory: the index no longer mirrors its files (refresh must reload). */
  private dropped = false;

  get size(): number {
    if (this.tables.length === 0) return this.slots.size;
    if (this.uniqueCount === undefined) {
      let n = 0;
      for (const _ of this.ids()) n++;
      this.uniqueCount = n;
    }
    return this.uniqueCount;
  }
  /** Entries were dropped in memory on purpose (verify, repair): re-reading the files would bring them back. */
  get edited(): boolean {
    return this.dropped;
  }
  get(id: string): ChunkLocation | undefined {
    const slot = this.slotOf(id);
    if (slot < 0) return undefined;
    const b = this.blobAt(slot);
    return {
      pack: this.packNames[this.packNumberAt(slot)]!,
      offset: b[1],
      length: b[2],
      rawLength: b[3],
      encoding: b[4],
    };
  }
  /** The stored length of a chunk (0 if unknown), without building its location. */
  lengthOf(id: string): number {
    const slot = this.slotOf(id);
    return slot < 0 ? 0 : this.lengthAt(slot);
  }
  /** The chunk's entry as its pack lists it (shared: do not change it), and below, its pack. */
  blobOf(id: string): BlobEntry | undefined {
    const slot = this.slotOf(id);
    return slot < 0 ? undefined : this.blobAt(slot);
  }
  /**
   * The chunk's slot: a small number, stable while the index is open, under
   * which blobAt and packNumberAt find it without hashing its id again (-1:
   * absent). For callers that go through tens of thousands of chunks at once.
   */
  slotOf(id: string): number {
    // Tables first: a hit there costs no hash of the id (the map's keys are hashed on every lookup of a
    // fresh string). A chunk is in the map only if no table had it when it was added, so either order finds it.
    if (this.tables.length > 0 && !this.droppedIds?.has(id)) {
      const slot = this.tableSlot(id);
      if (slot >= 0) return slot;
    }
    return this.slots.size > 0 ? (this.slots.get(id) ?? -1) : -1;
  }

  /** The chunk's slot in the tables, or -1. */
  private tableSlot(id: string): number {
    const pre = hexPrefix(id);
    if (pre < 0) return -1;
    const merged = this.merged();
    // The directory narrows the search to the rows sharing the prefix's top 16 bits (about one in 65,536).
    const bucket = pre >>> 16;
    const slot = this.slotAmong(merged, id, pre, merged.directory[bucket]!, merged.directory[bucket + 1]!);
    if (slot !== -1) return slot === CRAFTED ? this.searchTables(id) : slot;
    // The tables read since (merged's come first: a chunk found there wins, as in searchTables).
    const tail = this.tail();
    if (!tail) return -1;
    const found = this.slotAmong(tail, id, pre, 0, tail.prefix.length);
    return found === CRAFTED ? this.searchTables(id) : found;
  }

  /** The slot of the first wanted row in [start, end) of `rows` holding the chunk; -1; CRAFTED past 8 equal prefixes. */
  private slotAmong(rows: Merged, id: string, pre: number, start: number, end: number): number {
    const prefix = rows.prefix;
    if (end - start > 8) start = lowerBound(prefix, pre, start, end);
    else while (start < end && prefix[start]! < pre) start++;
    let stop = start;
    // (Counting stops past 8: a crafted file's thousands of equal prefixes must not be walked per lookup.)
    while (stop < end && stop - start <= 8 && prefix[stop] === pre) stop++;
    if (stop === start) return -1; // most misses end here, without looking at the id's other digits
    // Many rows sharing a prefix is no accident (a crafted index file): each table's O(log n) search then.
    if (stop - start > 8) return CRAFTED;
    for (let i = start; i < stop; i++) {
      const t = this.tables[rows.table[i]!]!;
      const row = rows.row[i]!;
      if (t.table.rowIsHex(row, id) && this.wanted(t, row)) return t.base + row;
    }
    return -1;
  }

  /** The slot of a chunk in the tables, searching each (first table, first row wins), or -1. */
  private searchTables(id: string): number {
    for (const t of this.tables) {
      const first = t.table.find(id);
      if (first < 0) continue;
      // A chunk in two packs has two rows, next to each other: the first whose pack is still wanted.
      for (let row = first; row < t.table.size && (row === first || t.table.sameId(row, first)); row++)
        if (this.wanted(t, row)) return t.base + row;
    }
    return -1;
  }

  /** Whether a table row's pack counts: not known before the table (-1), not dropped. */
  private wanted(t: TableEntry, row: number): boolean {
    if (t.allNew && this.droppedPacks === undefined) return true; // (the common case: no read of the row)
    const pack = t.packs[t.table.packAt(row)]!;
    return pack >= 0 && !this.droppedPacks?.has(pack);
  }

  /**
   * The rows of the first `mergedTables` tables in one order, by id prefix
   * (then table, then row: the order searchTables finds them in), so a
   * lookup is one binary search of numbers however many index files there
   * are. Tables added later (a refresh) wait in the tail, searched after
   * these, until they hold an eighth as many rows: then both are merged into
   * one. A long-running process re-reading the index after each backup so
   * pays O(new rows) per refresh, amortised, and not a merge of every row.
   */
  private merged(): Merged {
    if (this.mergedRows && this.checkedTables === this.tables.length) return this.mergedRows;
    if (!this.mergedRows) {
      this.mergedRows = withDirectory(this.runOf(0, this.tables.length));
      this.mergedTables = this.tables.length;
    } else if (this.tailRowCount() * 8 >= this.mergedRows.prefix.length) this.mergeTail();
    this.checkedTables = this.tables.length;
    return this.mergedRows;
  }

  /** Every table's rows in merged(), the tail's too (for a walk of all of them). */
  private consolidate(): Merged {
    this.merged();
    if (this.mergedTables < this.tables.length) this.mergeTail();
    return this.mergedRows!;
  }

  private mergeTail(): void {
    this.mergedRows = withDirectory(mergeRuns(this.mergedRows!, this.tail()!));
    this.mergedTables = this.tables.length;
    this.tailRows = undefined;
  }

  /** The tail's rows by prefix (tables [mergedTables, tables.length)), or undefined when there is none. */
  private tail(): Merged | undefined {
    if (this.mergedTables === this.tables.length) return undefined;
    if (this.tailRows?.tables !== this.tables.length) {
      const from = this.tailRows?.tables ?? this.mergedTables;
      const added = this.runOf(from, this.tables.length);
      this.tailRows = {rows: this.tailRows ? mergeRuns(this.tailRows.rows, added) : added, tables: this.tables.length};
    }
    return this.tailRows.rows;
  }

  private tailRowCount(): number {
    let n = 0;
    for (let ti = this.mergedTables; ti < this.tables.length; ti++) n += this.tables[ti]!.table.size;
    return n;
  }

  /** The rows of tables [from, to) by prefix (then table, then row), no directory. */
  private runOf(from: number, to: number): Merged {
    const tables = this.tables.slice(from, to);
    let n = 0;
    for (const {table} of tables) n += table.size;
    const run = newRun(n);
    let k = 0;
    tables.forEach(({table}, i) => {
      run.table.fill(from + i, k, k + table.size);
      for (let row = 0; row < table.size; row++, k++) {
        run.prefix[k] = table.prefixAt(row);
        run.row[k] = row;
      }
    });
    // Each table is sorted already: a few are merged two by two; many (each merge a pass over every row)
    // are sorted by prefix in four counting passes instead, whatever their number.
    if (tables.length > 4 && n >= RADIX) return sortedByPrefix(run);
    let runs: Merged[] = [];
    let at = 0;
    for (const {table} of tables) {
      runs.push(sliceRun(run, at, at + table.size));
      at += table.size;
    }
    while (runs.length > 1) {
      const next: Merged[] = [];
      for (let i = 0; i < runs.length; i += 2)
        next.push(i + 1 < runs.length ? mergeRuns(runs[i]!, runs[i + 1]!) : runs[i]!);
      runs = next;
    }
    // (Called with a table at least: tableSlot is reached only then.)
    return runs[0]!;
  }

  /** Slots are numbered below this. */
  get slotCount(): number {
    return this.slotTotal;
  }
  blobAt(slot: number): BlobEntry {
    let blob = this.slotBlob[slot];
    if (blob === undefined) {
      const t = this.tableOf(slot);
      this.slotBlob[slot] = blob = t.table.blobAt(slot - t.base);
    }
    return blob;
  }
  /** The slot's stored length (blobAt(slot)[2]) without decoding its entry. */
  lengthAt(slot: number): number {
    const blob = this.slotBlob[slot];
    if (blob !== undefined) return blob[2];
    const t = this.tableOf(slot);
    return t.table.lengthAt(slot - t.base);
  }
  /** The number of the slot's pack (packName gives its id). */
  packNumberAt(slot: number): number {
    return this.slotPack[slot]!;
  }
  packName(number: number): PackId {
    return this.packNames[number]!;
  }
  packOf(id: string): PackId | undefined {
    const slot = this.slotOf(id);
    return slot < 0 ? undefined : this.packNames[this.packNumberAt(slot)];
  }
  has(id: string): boolean {
    return this.slotOf(id) >= 0;
  }

  /**
   * Per slot of this index, 1 where `other` holds that slot's chunk (as
   * other.has would answer now), 0 elsewhere, for slots below the array's
   * length. Both indexes' table rows are walked once in id order, side by
   * side, instead of each id being looked up in `other`: a copy's plan asks
   * this of the target for every chunk of the source it counts, and a walk
   * is a few nanoseconds a row where a lookup costs hundreds. Chunks held in
   * either map (JSON index files, packs added in memory) are looked up one
   * by one. The cost is that of both indexes whatever is asked: callers use
   * it once they ask about enough chunks (group-lookups.ts).
   */
  presenceIn(other: ChunkIndex): Uint8Array<ArrayBuffer> {
    const present = new Uint8Array(this.slotCount);
    for (const [id, slot] of this.slots) if (other.has(id)) present[slot] = 1;
    if (this.tables.length > 0) {
      for (const id of other.slots.keys()) {
        const slot = this.tableSlot(id);
        if (slot >= 0) present[slot] = 1;
      }
      if (other.tables.length > 0) this.walkTablesBeside(other, present);
    }
    return present;
  }

  /**
   * Every chunk this index holds (as has() would find it), as sorted ids in
   * shared memory for worker threads (known-ids.ts): the tables' rows in
   * their merged order, copied as bytes, and the map's ids; sorted by
   * prefix (the rows already are), then each run of equal prefixes by the
   * ids' other bytes.
   */
  knownIds(): KnownIds {
    const rows = this.tables.length > 0 ? this.consolidate() : undefined;
    const tableRows = rows?.prefix.length ?? 0;
    // The tables' rows go straight where they belong (they are in prefix order); the map's, if any, are sorted in after.
    const direct = this.slots.size === 0;
    const room = direct ? sharedKnownIds(tableRows) : undefined;
    const bytes = room?.ids ?? new Uint8Array((tableRows + this.slots.size) * 32);
    const prefix = room?.prefix ?? new Uint32Array(tableRows + this.slots.size);
    let n = 0;
    if (rows)
      for (let i = 0; i < tableRows; i++) {
        const t = this.tables[rows.table[i]!]!;
        const row = rows.row[i]!;
        if (!this.wanted(t, row) || this.droppedIds?.has(t.table.idAt(row))) continue;
        t.table.copyId(row, bytes, n * 32);
        prefix[n++] = rows.prefix[i]!;
      }
    if (room) {
      const known = {ids: room.ids.subarray(0, n * 32), prefix: room.prefix.subarray(0, n)};
      sortEqualPrefixes(known);
      return known;
    }
    const written = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (const id of this.slots.keys()) {
      if (written.write(id, n * 32, 32, 'hex') !== 32) continue; // (not an id: nothing can match it)
      prefix[n] = written.readUInt32BE(n * 32);
      n++;
    }
    const order = Int32Array.from({length: n}, (_, i) => i);
    const sorted = sortedByPrefix({prefix: prefix.subarray(0, n), table: order, row: order, directory: NO_DIRECTORY});
    const known = sharedKnownIds(n);
    for (let i = 0; i < n; i++) {
      const from = sorted.row[i]! * 32;
      for (let k = 0; k < 32; k++) known.ids[i * 32 + k] = bytes[from + k]!;
      known.prefix[i] = sorted.prefix[i]!;
    }
    sortEqualPrefixes(known);
    return known;
  }

  /** presenceIn's walk: sets `present` for each row of this index's tables whose chunk a wanted row of `other`'s holds. */
  private walkTablesBeside(other: ChunkIndex, present: Uint8Array): void {
    const mine = this.consolidate();
    const theirs = other.consolidate();
    const n = mine.prefix.length;
    const m = theirs.prefix.length;
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      const pre = mine.prefix[i]!;
      const their = theirs.prefix[j]!;
      if (pre < their) {
        i++;
        continue;
      }
      if (pre > their) {
        j++;
        continue;
      }
      let iEnd = i + 1;
      while (iEnd < n && mine.prefix[iEnd] === pre) iEnd++;
      let jEnd = j + 1;
      while (jEnd < m && theirs.prefix[jEnd] === pre) jEnd++;
      for (let a = i; a < iEnd; a++) {
        const t = this.tables[mine.table[a]!]!;
        const row = mine.row[a]!;
        const slot = t.base + row;
        // Many rows sharing a prefix is no accident (a crafted index file): a lookup each, O(log n), then.
        if (iEnd - i > 8 || jEnd - j > 8) {
          if (other.has(t.table.idAt(row))) present[slot] = 1;
          continue;
        }
        for (let b = j; b < jEnd; b++) {
          const u = other.tables[theirs.table[b]!]!;
          const uRow = theirs.row[b]!;
          if (!t.table.sameIdAs(row, u.table, uRow) || !other.wanted(u, uRow)) continue;
          if (other.droppedIds === undefined || !other.droppedIds.has(t.table.idAt(row))) present[slot] = 1;
          break;
        }
      }
      i = iEnd;
      j = jEnd;
    }
  }

  hasPack(id: string): boolean {
    return this.packBlobs.has(id);
  }
  packIds(): string[] {
    return [...this.packBlobs.keys()];
  }
  /** Every chunk once. */
  *ids(): IterableIterator<string> {
    // Each id where slotOf finds it: a chunk in the map and a table (a file read again that lists a
    // pack the map has under another pack) is listed once.
    for (const [id, slot] of this.slots) if (this.tables.length === 0 || this.slotOf(id) === slot) yield id;
    // A row is listed where its chunk is found: that skips chunks the map holds, later copies, dropped packs.
    for (const t of this.tables)
      for (let row = 0; row < t.table.size; row++) {
        if (!this.wanted(t, row)) continue;
        const id = t.table.idAt(row);
        if (this.slotOf(id) === t.base + row) yield id;
      }
  }
  *entries(): IterableIterator<[string, ChunkLocation]> {
    for (const id of this.ids()) yield [id, this.get(id)!];
  }
  /**
   * The stored bytes of every chunk plus `overhead` each, a chunk stored
   * twice counted twice: a bound, summed without a lookup per chunk.
   */
  storedBytesBound(overhead = 0): number {
    let bytes = 0;
    for (const slot of this.slots.values()) bytes += this.slotBlob[slot]![2] + overhead;
    for (const t of this.tables) for (let row = 0; row < t.table.size; row++) bytes += t.table.lengthAt(row) + overhead;
    return bytes;
  }

  /**
   * storedBytesBound of the chunks `other` lacks: a chunk stored twice here
   * counted twice (a bound), no lookup per chunk in this index (presenceIn).
   */
  storedBytesBoundAbsentFrom(other: ChunkIndex, overhead = 0): number {
    const present = this.presenceIn(other);
    let bytes = 0;
    for (const slot of this.slots.values()) if (present[slot] !== 1) bytes += this.slotBlob[slot]![2] + overhead;
    for (const t of this.tables)
      for (let row = 0; row < t.table.size; row++)
        if (present[t.base + row] !== 1 && this.wanted(t, row)) bytes += t.table.lengthAt(row) + overhead;
    return bytes;
  }

  /** Keeps `blobs` (and its entries) by reference: callers hand over arrays they no longer change. */
  addPack(pack: PackId, blobs: BlobEntry[]): void {
    this.packBlobs.set(pack, blobs.length);
    this.uniqueCount = undefined;
    const number = this.packNames.push(pack) - 1;
    const tables = this.tables.length > 0;
    for (const b of blobs) {
      // First location wins: a chunk stored twice (after a crash) is read from one place.
      if (this.slots.has(b[0]) || (tables && this.slotOf(b[0]) >= 0)) continue;
      const slot = this.newSlots(1);
      this.slots.set(b[0], slot);
      this.slotBlob[slot] = b;
      this.slotPack[slot] = number;
    }
  }

  /** `n` new slots (their pack numbers to be set): the first one's number. */
  private newSlots(n: number): number {
    const base = this.slotTotal;
    if (base + n > this.slotPack.length) {
      const grown = new Int32Array(Math.max(base + n, this.slotPack.length * 2));
      grown.set(this.slotPack.subarray(0, base));
      this.slotPack = grown;
    }
    this.slotTotal = base + n;
    return base;
  }

  /** A format 3 file's rows, looked up in place; its packs already known are skipped (as addPack skips them). */
  private addTable(table: IndexTable): void {
    this.uniqueCount = undefined;
    const packs = new Int32Array(table.packIds.length);
    const known = new Set<number>();
    table.packIds.forEach((id, i) => {
      const before = this.packBlobs.has(id);
      packs[i] = before ? -1 : this.packNames.push(id) - 1;
      if (before) known.add(i);
    });
    const counts = new Int32Array(table.packIds.length);
    for (let row = 0; row < table.size; row++) counts[table.packAt(row)]!++;
    table.packIds.forEach((id, i) => {
      if (!known.has(i)) this.packBlobs.set(id, counts[i]!);
    });
    const base = this.newSlots(table.size);
    // Rows of packs known before get pack -1 and are passed over; a chunk found earlier (the map, an
    // earlier table) is found there first: the first location wins, as in addPack.
    for (let row = 0; row < table.size; row++) this.slotPack[base + row] = packs[table.packAt(row)]!;
    this.tables.push({table, base, packs, allNew: known.size === 0});
  }

  /** The table whose slots hold `slot` (tables are added with growing bases: a binary search; a repository may have thousands). */
  private tableOf(slot: number): {table: IndexTable; base: number} {
    const tables = this.tables;
    let lo = 0;
    let hi = tables.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (tables[mid]!.base <= slot) lo = mid;
      else hi = mid - 1;
    }
    const t = tables[lo];
    if (!t || slot < t.base || slot >= t.base + t.table.size) throw new Error(`slot ${slot} is in no index table`);
    return t;
  }

  /** Every chunk location grouped by pack, in the pack's blob-entry shape. */
  byPack(): Map<string, BlobEntry[]> {
    const packs = new Map<string, BlobEntry[]>();
    const add = (slot: number, blob: BlobEntry) => {
      const pack = this.packNames[this.slotPack[slot]!]!;
      let list = packs.get(pack);
      if (!list) packs.set(pack, (list = []));
      list.push(blob);
    };
    for (const [id, slot] of this.slots)
      if (this.tables.length === 0 || this.slotOf(id) === slot) add(slot, this.slotBlob[slot]!);
    for (const t of this.tables)
      for (let row = 0; row < t.table.size; row++) {
        if (!this.wanted(t, row)) continue;
        const slot = t.base + row;
        const blob = this.slotBlob[slot] ?? t.table.blobAt(row);
        if (this.slotOf(blob[0]) === slot) add(slot, (this.slotBlob[slot] = blob));
      }
    return packs;
  }

  /**
   * The entries byPack() gives for one pack (undefined: the index places no
   * chunk there), without grouping the whole index for it where the index is
   * format 3 tables: their rows are bucketed by pack once (one pass of
   * numbers), then a pack's few dozen rows are looked at.
   */
  packEntries(pack: string): BlobEntry[] | undefined {
    if (this.tables.length === 0) {
      if (!this.byPackCache?.has(pack)) this.byPackCache = this.byPack();
      return this.byPackCache.get(pack);
    }
    const number = this.packNumbers().get(pack);
    if (number === undefined) return undefined;
    const entries: BlobEntry[] = [];
    if (this.slots.size > 0)
      for (const [id, slot] of this.slots)
        if (this.slotPack[slot] === number && this.slotOf(id) === slot) entries.push(this.slotBlob[slot]!);
    const {start, slots} = this.rowsByPack();
    for (let i = start[number] ?? 0; i < (start[number + 1] ?? 0); i++) {
      const slot = slots[i]!;
      const blob = this.blobAt(slot);
      if (this.slotOf(blob[0]) === slot) entries.push(blob);
    }
    return entries.length > 0 ? entries : undefined;
  }

  /** Pack number by name (the first, should a pack be named twice). */
  private packNumbers(): Map<string, number> {
    if (this.packNumberCache?.size !== this.packNames.length) {
      this.packNumberCache = new Map();
      this.packNames.forEach((name, n) => {
        if (!this.packNumberCache!.has(name)) this.packNumberCache!.set(name, n);
      });
    }
    return this.packNumberCache;
  }

  /** The tables' slots grouped by pack number (a counting sort): pack n's are slots[start[n] … start[n+1]). */
  private rowsByPack(): {start: Int32Array; slots: Int32Array} {
    if (this.rowsByPackCache?.packs === this.packNames.length && this.rowsByPackCache.tables === this.tables.length)
      return this.rowsByPackCache;
    const start = new Int32Array(this.packNames.length + 1);
    let total = 0;
    for (const t of this.tables)
      for (let row = 0; row < t.table.size; row++) {
        const pack = t.packs[t.table.packAt(row)]!;
        if (pack >= 0) {
          start[pack + 1]!++;
          total++;
        }
      }
    for (let n = 0; n < this.packNames.length; n++) start[n + 1]! += start[n]!;
    const next = start.slice(0, this.packNames.length);
    const slots = new Int32Array(total);
    for (const t of this.tables)
      for (let row = 0; row < t.table.size; row++) {
        const pack = t.packs[t.table.packAt(row)]!;
        if (pack >= 0) slots[next[pack]!++] = t.base + row;
      }
    this.rowsByPackCache = {start, slots, packs: this.packNames.length, tables: this.tables.length};
    return this.rowsByPackCache;
  }

  /** Forgets one damaged chunk (its pack may hold good ones too). */
  dropChunk(id: string): void {
    this.dropped = true;
    this.byPackCache = undefined;
    this.uniqueCount = undefined;
    this.slots.delete(id);
    if (this.tables.length > 0) (this.droppedIds ??= new Set()).add(id);
  }

  /** Forgets packs found damaged, so a repair re-copies their chunks. */
  dropPacks(packs: Set<string>): void {
    this.dropped = true;
    this.byPackCache = undefined;
    this.uniqueCount = undefined;
    for (const [id, slot] of this.slots) if (packs.has(this.packNames[this.slotPack[slot]!]!)) this.slots.delete(id);
    for (const p of packs) this.packBlobs.delete(p);
    if (this.tables.length > 0)
      this.packNames.forEach((name, number) => {
        if (packs.has(name)) (this.droppedPacks ??= new Set()).add(number);
      });
  }

  static async load(storage: ReadableStorage, codec: ObjectCodec = PLAIN_CODEC): Promise<ChunkIndex> {
    const index = new ChunkIndex();
    await index.loadNew(storage, codec);
    return index;
  }

  /**
   * The index with whatever other writers added since it was loaded. Index
   * files are immutable (their name is their hash), and one is deleted only
   * once a file superseding it, with the same packs, is durable; so only new
   * ones are read: a writer taking the lock right after opening the
   * repository does not parse every index file twice. (A prune dropping
   * packs is read whole: a missing pack re-reads everything, Repository.)
   */
  async refreshed(storage: ReadableStorage, codec: ObjectCodec = PLAIN_CODEC): Promise<ChunkIndex> {
    if (this.dropped) return ChunkIndex.load(storage, codec);
    await this.loadNew(storage, codec);
    return this;
  }

  private async loadNew(storage: ReadableStorage, codec: ObjectCodec): Promise<void> {
    const read = new Map<string, IndexFile>();
    let keys = await this.unread(storage, read);
    for (let listing = 1; keys.length > 0; listing++) {
      const gone = await this.readFiles(storage, codec, keys, read);
      // A file deleted after the listing was superseded by a durable one: read already, or in a new listing.
      const superseded = supersededBy(read.values());
      if (gone.every(key => superseded.has(indexIdOf(key)))) break;
      if (listing === MAX_LISTINGS) throw vanishing(storage.location, gone);
      keys = await this.unread(storage, read);
    }
    this.addFiles(read);
  }

  /** Index files listed now that are neither loaded, nor in `read`, nor known damaged. */
  private async unread(storage: ReadableStorage, read: Map<string, IndexFile>): Promise<string[]> {
    const keys: string[] = [];
    for await (const {key} of storage.list(INDEX_KEY)) {
      if (!this.indexKeys.has(key) && !read.has(key) && !this.badIndexFiles.includes(key)) keys.push(key);
    }
    return keys;
  }

  /** Reads `keys` into `read`; returns those that were gone. Damaged ones go to badIndexFiles. */
  private async readFiles(
    storage: ReadableStorage,
    codec: ObjectCodec,
    keys: string[],
    read: Map<string, IndexFile>,
  ): Promise<string[]> {
    const gone: string[] = [];
    await Promise.all(
      keys.map(async key => {
        try {
          read.set(key, parseIndexFile(await storage.get(key), key, codec));
        } catch (e) {
          const code = (e as {code?: string}).code;
          if (code === 'not-found') gone.push(key);
          else if (code === 'corrupt') this.badIndexFiles.push(key);
          else throw e;
        }
      }),
    );
    return gone;
  }

  /** The packs of files just read, but for files another of them supersedes, and packs already known. */
  private addFiles(read: Map<string, IndexFile>): void {
    const superseded = supersededBy(read.values());
    for (const [key, file] of read) {
      this.indexKeys.add(key);
      if (superseded.has(indexIdOf(key))) continue;
      // A pack's id is the hash of its bytes: listed twice, it holds the same blobs.
      if (file.table) this.addTable(file.table);
      else for (const p of file.packs) if (!this.packBlobs.has(p.id)) this.addPack(p.id, p.blobs);
    }
  }
}

function vanishing(location: string, gone: string[]): BackhaulError {
  return new BackhaulError(
    'storage',
    `Index files of ${location} kept vanishing while they were read (${gone.slice(0, 3).join(', ')}), and nothing read says what replaced them.`,
    'Something other than Backhaul may be deleting them; check the repository, then run `backhaul verify`.',
  );
}

export type {ChunkId};
