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

/** How often a load lists `index/` again when files it listed vanished unexplained (a compaction racing it). */
const MAX_LISTINGS = 20;

export class ChunkIndex {
  // Each chunk maps to a slot: the blob entry as the index file (or pack trailer) gave it, and
  // its pack's number. No object per chunk: a 60,000-chunk index loads in a third of the time
  // and leaves the heap (and the page faults of its growth) that much smaller.
  private readonly slots = new Map<string, number>();
  private readonly slotBlob: BlobEntry[] = [];
  private readonly slotPack: number[] = [];
  private readonly packNames: PackId[] = [];
  private readonly packBlobs = new Map<string, number>();
  readonly indexKeys = new Set<string>();
  /** Index files that failed their hash check; their packs are re-indexed by the next writer. */
  readonly badIndexFiles: string[] = [];
  /** Something was dropped in memory: the index no longer mirrors its files (refresh must reload). */
  private dropped = false;

  get size(): number {
    return this.slots.size;
  }
  /** Entries were dropped in memory on purpose (verify, repair): re-reading the files would bring them back. */
  get edited(): boolean {
    return this.dropped;
  }
  get(id: string): ChunkLocation | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    const b = this.slotBlob[slot]!;
    return {pack: this.packNames[this.slotPack[slot]!]!, offset: b[1], length: b[2], rawLength: b[3], encoding: b[4]};
  }
  /** The stored length of a chunk (0 if unknown), without building its location. */
  lengthOf(id: string): number {
    const slot = this.slots.get(id);
    return slot === undefined ? 0 : this.slotBlob[slot]![2];
  }
  /** The chunk's entry as its pack lists it (shared: do not change it), and below, its pack. */
  blobOf(id: string): BlobEntry | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.slotBlob[slot];
  }
  /**
   * The chunk's slot: a small number, stable while the index is open, under
   * which blobAt and packNumberAt find it without hashing its id again (-1:
   * absent). For callers that go through tens of thousands of chunks at once.
   */
  slotOf(id: string): number {
    return this.slots.get(id) ?? -1;
  }
  /** Slots are numbered below this. */
  get slotCount(): number {
    return this.slotBlob.length;
  }
  blobAt(slot: number): BlobEntry {
    return this.slotBlob[slot]!;
  }
  /** The number of the slot's pack (packName gives its id). */
  packNumberAt(slot: number): number {
    return this.slotPack[slot]!;
  }
  packName(number: number): PackId {
    return this.packNames[number]!;
  }
  packOf(id: string): PackId | undefined {
    const slot = this.slots.get(id);
    return slot === undefined ? undefined : this.packNames[this.slotPack[slot]!];
  }
  has(id: string): boolean {
    return this.slots.has(id);
  }
  hasPack(id: string): boolean {
    return this.packBlobs.has(id);
  }
  packIds(): string[] {
    return [...this.packBlobs.keys()];
  }
  ids(): IterableIterator<string> {
    return this.slots.keys();
  }
  *entries(): IterableIterator<[string, ChunkLocation]> {
    for (const id of this.slots.keys()) yield [id, this.get(id)!];
  }

  /** Keeps `blobs` (and its entries) by reference: callers hand over arrays they no longer change. */
  addPack(pack: PackId, blobs: BlobEntry[]): void {
    this.packBlobs.set(pack, blobs.length);
    const number = this.packNames.push(pack) - 1;
    for (const b of blobs) {
      // First location wins: a chunk stored twice (after a crash) is read from one place.
      if (this.slots.has(b[0])) continue;
      this.slots.set(b[0], this.slotBlob.push(b) - 1);
      this.slotPack.push(number);
    }
  }

  /** Every chunk location grouped by pack, in the pack's blob-entry shape. */
  byPack(): Map<string, BlobEntry[]> {
    const packs = new Map<string, BlobEntry[]>();
    for (const slot of this.slots.values()) {
      const pack = this.packNames[this.slotPack[slot]!]!;
      let list = packs.get(pack);
      if (!list) packs.set(pack, (list = []));
      list.push(this.slotBlob[slot]!);
    }
    return packs;
  }

  /** Forgets one damaged chunk (its pack may hold good ones too). */
  dropChunk(id: string): void {
    this.dropped = true;
    this.slots.delete(id);
  }

  /** Forgets packs found damaged, so a repair re-copies their chunks. */
  dropPacks(packs: Set<string>): void {
    this.dropped = true;
    for (const [id, slot] of this.slots) if (packs.has(this.packNames[this.slotPack[slot]!]!)) this.slots.delete(id);
    for (const p of packs) this.packBlobs.delete(p);
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
      for (const p of file.packs) if (!this.packBlobs.has(p.id)) this.addPack(p.id, p.blobs);
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
