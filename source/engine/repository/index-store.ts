/**
 * The chunk index: where each chunk lives (pack, offset, length) and its
 * plaintext length and encoding. Kept in memory while a repository is open,
 * persisted as immutable index files `index/<sha256 of content>`, each
 * describing whole packs. An index file is written only after the packs it
 * names are durable; a pack no index names is re-indexed from its trailer.
 */
import {createHash} from 'node:crypto';
import {corrupt} from '../errors.js';
import {parsePackId, type ChunkId, type PackId} from '../ids.js';
import type {Storage, ReadableStorage} from '../storage/storage.js';
import type {BlobEntry} from './pack.js';
import {INDEX_KEY, PLAIN_CODEC, type ObjectCodec} from './codec.js';
import {checkBlobEntries} from './records.js';

export interface ChunkLocation {
  pack: PackId;
  offset: number;
  length: number;
  rawLength: number;
  encoding: number;
}

export interface IndexFile {
  format: 1;
  packs: {id: PackId; blobs: BlobEntry[]}[];
}

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
   * files are immutable and never deleted (their name is their hash), so only
   * new ones are read: a writer taking the lock right after opening the
   * repository does not parse every index file twice.
   */
  async refreshed(storage: ReadableStorage, codec: ObjectCodec = PLAIN_CODEC): Promise<ChunkIndex> {
    if (this.dropped) return ChunkIndex.load(storage, codec);
    await this.loadNew(storage, codec);
    return this;
  }

  private async loadNew(storage: ReadableStorage, codec: ObjectCodec): Promise<void> {
    const keys: string[] = [];
    for await (const info of storage.list('index/')) {
      if (!this.indexKeys.has(info.key) && !this.badIndexFiles.includes(info.key)) keys.push(info.key);
    }
    await Promise.all(
      keys.map(async key => {
        let file: IndexFile;
        try {
          file = parseIndexFile(await storage.get(key), key, codec);
        } catch (e) {
          if ((e as {code?: string}).code !== 'corrupt') throw e;
          this.badIndexFiles.push(key);
          return;
        }
        this.indexKeys.add(key);
        for (const p of file.packs) this.addPack(p.id, p.blobs);
      }),
    );
  }
}

/** An index file's stored bytes (its name is their SHA-256), opened by the codec and checked. */
export function parseIndexFile(data: Buffer, key: string, codec: ObjectCodec = PLAIN_CODEC): IndexFile {
  const expected = key.slice('index/'.length);
  if (createHash('sha256').update(data).digest('hex') !== expected) {
    throw corrupt(`Index file ${key} does not match its hash.`);
  }
  try {
    const file = JSON.parse(codec.openObject(INDEX_KEY, data).toString('utf8')) as IndexFile;
    if (!Array.isArray(file?.packs)) throw new Error('it lists no packs');
    for (const p of file.packs) {
      parsePackId(p.id);
      checkBlobEntries(p.blobs, `pack ${p.id.slice(0, 12)}`);
    }
    return file;
  } catch (e) {
    throw corrupt(`Index file ${key} cannot be read: ${(e as Error).message}`);
  }
}

/** Writes an index file for the given packs; returns its key. Packs must already be durable. */
export async function writeIndexFile(
  storage: Storage,
  packs: {id: PackId; blobs: BlobEntry[]}[],
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<string> {
  // Sealed under the directory, not the key: the key is the hash of the sealed bytes.
  const data = codec.sealObject(INDEX_KEY, Buffer.from(JSON.stringify({format: 1, packs} satisfies IndexFile)));
  const key = `index/${createHash('sha256').update(data).digest('hex')}`;
  await storage.putIfAbsent(key, data);
  return key;
}

export type {ChunkId};
