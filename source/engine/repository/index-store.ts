/**
 * The chunk index: where each chunk lives (pack, offset, length) and its
 * plaintext length and encoding. Kept in memory while a repository is open,
 * persisted as immutable index files `index/<sha256 of content>`, each
 * describing whole packs. An index file is written only after the packs it
 * names are durable; a pack no index names is re-indexed from its trailer.
 */
import {createHash} from 'node:crypto';
import {corrupt} from '../errors.js';
import {parseChunkId, parsePackId, type ChunkId, type PackId} from '../ids.js';
import type {Storage, ReadableStorage} from '../storage/storage.js';
import type {BlobEntry} from './pack.js';

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
  private readonly chunks = new Map<string, ChunkLocation>();
  private readonly packBlobs = new Map<string, number>();
  readonly indexKeys = new Set<string>();
  /** Index files that failed their hash check; their packs are re-indexed by the next writer. */
  readonly badIndexFiles: string[] = [];
  /** Something was dropped in memory: the index no longer mirrors its files (refresh must reload). */
  private dropped = false;

  get size(): number {
    return this.chunks.size;
  }
  get(id: string): ChunkLocation | undefined {
    return this.chunks.get(id);
  }
  has(id: string): boolean {
    return this.chunks.has(id);
  }
  hasPack(id: string): boolean {
    return this.packBlobs.has(id);
  }
  packIds(): string[] {
    return [...this.packBlobs.keys()];
  }
  ids(): IterableIterator<string> {
    return this.chunks.keys();
  }
  *entries(): IterableIterator<[string, ChunkLocation]> {
    yield* this.chunks.entries();
  }

  addPack(pack: PackId, blobs: BlobEntry[]): void {
    this.packBlobs.set(pack, blobs.length);
    for (const [id, offset, length, rawLength, encoding] of blobs) {
      // First location wins: a chunk stored twice (after a crash) is read from one place.
      if (!this.chunks.has(id)) this.chunks.set(id, {pack, offset, length, rawLength, encoding});
    }
  }

  /** Every chunk location grouped by pack, in the pack's blob-entry shape. */
  byPack(): Map<string, BlobEntry[]> {
    const packs = new Map<string, BlobEntry[]>();
    for (const [id, loc] of this.chunks) {
      let list = packs.get(loc.pack);
      if (!list) packs.set(loc.pack, (list = []));
      list.push([id as ChunkId, loc.offset, loc.length, loc.rawLength, loc.encoding as 0 | 1]);
    }
    return packs;
  }

  /** Forgets one damaged chunk (its pack may hold good ones too). */
  dropChunk(id: string): void {
    this.dropped = true;
    this.chunks.delete(id);
  }

  /** Forgets packs found damaged, so a repair re-copies their chunks. */
  dropPacks(packs: Set<string>): void {
    this.dropped = true;
    for (const [id, loc] of this.chunks) if (packs.has(loc.pack)) this.chunks.delete(id);
    for (const p of packs) this.packBlobs.delete(p);
  }

  static async load(storage: ReadableStorage): Promise<ChunkIndex> {
    const index = new ChunkIndex();
    await index.loadNew(storage);
    return index;
  }

  /**
   * The index with whatever other writers added since it was loaded. Index
   * files are immutable and never deleted (their name is their hash), so only
   * new ones are read: a writer taking the lock right after opening the
   * repository does not parse every index file twice.
   */
  async refreshed(storage: ReadableStorage): Promise<ChunkIndex> {
    if (this.dropped) return ChunkIndex.load(storage);
    await this.loadNew(storage);
    return this;
  }

  private async loadNew(storage: ReadableStorage): Promise<void> {
    const keys: string[] = [];
    for await (const info of storage.list('index/')) {
      if (!this.indexKeys.has(info.key) && !this.badIndexFiles.includes(info.key)) keys.push(info.key);
    }
    await Promise.all(keys.map(async (key) => {
      let file: IndexFile;
      try {
        file = parseIndexFile(await storage.get(key), key);
      } catch (e) {
        if ((e as {code?: string}).code !== 'corrupt') throw e;
        this.badIndexFiles.push(key);
        return;
      }
      this.indexKeys.add(key);
      for (const p of file.packs) this.addPack(p.id, p.blobs);
    }));
  }
}

export function parseIndexFile(data: Buffer, key: string): IndexFile {
  const expected = key.slice('index/'.length);
  if (createHash('sha256').update(data).digest('hex') !== expected) {
    throw corrupt(`Index file ${key} does not match its hash.`);
  }
  try {
    const file = JSON.parse(data.toString('utf8')) as IndexFile;
    for (const p of file.packs) {
      parsePackId(p.id);
      for (const b of p.blobs) parseChunkId(b[0]);
    }
    return file;
  } catch (e) {
    throw corrupt(`Index file ${key} cannot be read: ${(e as Error).message}`);
  }
}

/** Writes an index file for the given packs; returns its key. Packs must already be durable. */
export async function writeIndexFile(storage: Storage, packs: {id: PackId; blobs: BlobEntry[]}[]): Promise<string> {
  const data = Buffer.from(JSON.stringify({format: 1, packs} satisfies IndexFile));
  const key = `index/${createHash('sha256').update(data).digest('hex')}`;
  await storage.putIfAbsent(key, data);
  return key;
}

export type {ChunkId};
