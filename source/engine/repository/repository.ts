/**
 * A repository opened for reading: its config, the chunk index, backup
 * records, point manifests and verified chunk reads. Writing goes through
 * RepositoryWriter (writer.ts), which holds the writer lock. Every record
 * and tree line it returns has passed records.ts: typed, its ids matching
 * its key, its names and paths safe segments.
 */
import {BackhaulError, corrupt, notFound, quoted} from '../errors.js';
import {
  isShortId,
  newRepositoryId,
  parseBackupId,
  parsePointId,
  type BackupId,
  type ChunkId,
  type PointId,
  type RepositoryId,
} from '../ids.js';
import type {ReadableStorage, Storage} from '../storage/storage.js';
import {decodeBlob} from './blob.js';
import {openCodec, PLAIN_CODEC, type CodecOptions, type ObjectCodec} from './codec.js';
import {ENCRYPTION_CONFIG, initEncryption, type NewEncryption} from './crypto/create.js';
import {
  chunkerOf,
  compressionOf,
  encodeConfig,
  newConfig,
  parseConfig,
  type NewConfigOptions,
  type RepositoryConfig,
} from './config.js';
import type {Compression} from './blob.js';
import type {ChunkerParams} from './chunker.js';
import {ChunkIndex, type ChunkLocation} from './index-store.js';
import {IndexRefresher} from './index-refresh.js';
import type {BackupRecord, DiskManifest, PointManifest, TreeEntry} from './model.js';
import {checkWritable, parseBackupRecord, parsePointManifest, parseTreeLine} from './records.js';
import {PackCache} from './pack-cache.js';
import {
  byTime,
  cataloguePoint,
  readCatalogue,
  readCatalogueNodeCounts,
  readCatalogueSummary,
  type CataloguePoint,
  type CatalogueSummary,
} from './catalogue.js';
import {summarize} from './catalogue-segment.js';
import {mapLimit} from '../util/concurrency.js';

export const backupKey = (id: BackupId) => `backups/${id}/backup.json`;
export const pointKey = (backup: BackupId, point: PointId) => `backups/${backup}/points/${point}.json`;

export class Repository {
  private packCache: PackCache;
  /** Misses re-read the index once, sharing the re-read (index-refresh.ts). */
  private readonly refresher = new IndexRefresher(full => (full ? this.reloadIndex() : this.refreshIndex()));
  private loadedIndex: ChunkIndex | undefined;
  private constructor(
    readonly storage: Storage,
    readonly config: RepositoryConfig,
    index: ChunkIndex | undefined,
    /** How every object and blob is stored and every chunk named (codec.ts): chosen from the config. */
    readonly codec: ObjectCodec = PLAIN_CODEC,
  ) {
    this.loadedIndex = index;
    this.packCache = new PackCache(storage);
  }

  /**
   * The chunk index. A repository opened with `deferIndex` has none until
   * loadIndex() (or refreshIndex()): reading it before then is a bug, and
   * throws rather than answer from an empty index.
   */
  get index(): ChunkIndex {
    if (!this.loadedIndex) throw new Error(`Bug: the index of ${this.location} was read before it was loaded.`);
    return this.loadedIndex;
  }
  set index(index: ChunkIndex) {
    this.loadedIndex = index;
  }

  /** Whether the index is loaded (always, unless opened with `deferIndex` and not loaded yet). */
  get indexLoaded(): boolean {
    return this.loadedIndex !== undefined;
  }

  /** Loads the index of a repository opened with `deferIndex` (once; later calls do nothing). */
  async loadIndex(): Promise<void> {
    this.loadedIndex ??= await (this.indexLoading ??= ChunkIndex.load(this.storage, this.codec));
  }
  private indexLoading: Promise<ChunkIndex> | undefined;

  get id(): RepositoryId {
    return this.config.id;
  }
  get location(): string {
    return this.storage.location;
  }

  /** How writers cut chunks for this repository (config.ts). */
  get chunker(): Readonly<ChunkerParams> {
    return chunkerOf(this.config);
  }

  /** How writers compress into this repository (config.ts). */
  get compression(): Compression {
    return compressionOf(this.config);
  }

  /**
   * A new repository, format version 2. `encryption`: an encrypted one
   * (crypto/create.ts), its key file written before its config, so a config
   * saying "encrypted" is never there without a key that opens it.
   */
  static async create(
    storage: Storage,
    options: Omit<NewConfigOptions, 'encryption'> & {encryption?: NewEncryption} = {},
  ): Promise<Repository> {
    const {encryption, ...rest} = options;
    const config = newConfig(newRepositoryId(), {...rest, ...(encryption ? {encryption: ENCRYPTION_CONFIG} : {})});
    const exists = () =>
      new BackhaulError(
        'exists',
        `A repository already exists at ${storage.location}.`,
        'Register it with `backhaul repo add NAME PATH` instead.',
      );
    let codec: ObjectCodec = PLAIN_CODEC;
    let undo: (() => Promise<void>) | undefined;
    if (encryption) {
      if (await storage.stat('config')) throw exists();
      ({codec, undo} = await initEncryption(storage, encryption));
    }
    if (!(await storage.putIfAbsent('config', encodeConfig(config)))) {
      await undo?.();
      throw exists();
    }
    return new Repository(storage, config, new ChunkIndex(), codec);
  }

  /**
   * `deferIndex`: the index is not read until loadIndex() (a copy decides
   * from catalogues whether there is anything to copy before it needs one).
   */
  static async open(storage: Storage, options: CodecOptions & {deferIndex?: boolean} = {}): Promise<Repository> {
    const raw = await storage.get('config').catch((e: unknown) => {
      if (e instanceof BackhaulError && e.code === 'not-found') {
        throw new BackhaulError(
          'no-repository',
          `No Backhaul repository at ${storage.location}.`,
          'Create one with `backhaul repo add NAME PATH`, or run `backhaul demo`.',
        );
      }
      throw e;
    });
    const config = parseConfig(raw, storage.location);
    const codec = await openCodec(config.encryption, storage, options);
    return new Repository(
      storage,
      config,
      options.deferIndex ? undefined : await ChunkIndex.load(storage, codec),
      codec,
    );
  }

  /** Reads the whole index again (verify and repair: damaged index files are looked at afresh). */
  async reloadIndex(): Promise<void> {
    this.index = await ChunkIndex.load(this.storage, this.codec);
    this.packCache.clear();
  }

  /** Adds what other writers indexed since the index was loaded (a writer, once it holds the lock). */
  async refreshIndex(): Promise<void> {
    if (!this.loadedIndex) {
      // A load begun now is as fresh as a refresh; one begun earlier (before a lock was taken) is refreshed after it.
      const earlier = this.indexLoading;
      await this.loadIndex();
      if (!earlier) return;
    }
    this.index = await this.index.refreshed(this.storage, this.codec);
  }

  /**
   * Where a chunk is stored. A chunk this index lacks may have been indexed
   * by another writer since it was loaded: the index is re-read once (shared
   * with other misses) before the chunk counts as missing (undefined).
   */
  async locate(id: string): Promise<ChunkLocation | undefined> {
    const loc = this.index.get(id);
    if (loc) return loc;
    await this.afterMiss(false, () => this.index.has(id));
    return this.index.get(id);
  }

  /**
   * For readers that look chunks up in bulk (a plan sizing every chunk, a
   * copy scheduling them, verify): call with the ids the index lacked; it is
   * re-read once if it still lacks any. Ids it lacks after that are missing.
   */
  async refreshForMissing(ids: readonly string[]): Promise<void> {
    const lacking = () => ids.some(id => !this.index.has(id));
    if (lacking()) await this.afterMiss(false, () => !lacking());
  }

  /** An index with entries dropped on purpose (repair) is not re-read: that would bring them back. */
  private async afterMiss(full: boolean, found: () => boolean): Promise<void> {
    if (!this.index.edited) await this.refresher.afterMiss(full, found);
  }

  /**
   * Every backup record. One damaged record refuses the whole listing
   * (`corrupt`, naming it): a listing that silently left a backup out would
   * look complete.
   */
  async listBackups(): Promise<BackupRecord[]> {
    const keys: string[] = [];
    if (this.storage.listDirectories) {
      // Not a walk of backups/: that stats every point manifest (100,000 of them: seconds with a cold cache).
      for (const name of await this.storage.listDirectories('backups/')) {
        if (await this.storage.stat(`backups/${name}/backup.json`)) keys.push(`backups/${name}/backup.json`);
      }
    } else {
      for await (const info of this.storage.list('backups/')) {
        if (info.key.endsWith('/backup.json') && info.key.split('/').length === 3) keys.push(info.key);
      }
    }
    const values = await this.readJsonMany(keys);
    return values.map((value, i) => parseBackupRecord(value, keys[i]!, this.location));
  }

  async getBackup(id: BackupId | string): Promise<BackupRecord> {
    if (!isShortId(id))
      throw notFound(`No backup ${quoted(id)} in ${this.location}.`, 'Run `backhaul list` to see the backups.');
    const key = backupKey(parseBackupId(id));
    const info = await this.storage.stat(key);
    if (!info)
      throw notFound(`No backup ${quoted(id)} in ${this.location}.`, 'Run `backhaul list` to see the backups.');
    return parseBackupRecord(await this.readJson(key), key, this.location);
  }

  /** Writes a backup record; one a reader would refuse is refused here (`usage`). */
  async putBackup(record: BackupRecord): Promise<void> {
    checkWritable(record);
    await this.putObject(backupKey(record.id), record);
  }

  /** Every restore point of a backup, oldest first; one damaged manifest refuses the listing (`corrupt`, naming it). */
  async listPoints(id: BackupId): Promise<PointManifest[]> {
    const keys: string[] = [];
    for await (const info of this.storage.list(`backups/${id}/points/`)) {
      if (info.key.endsWith('.json')) keys.push(info.key);
    }
    const values = await this.readJsonMany(keys);
    const points = values.map((value, i) => parsePointManifest(value, keys[i]!, this.location));
    return points.sort(byTime);
  }

  /**
   * Every restore point of a backup as a summary, oldest first: from the
   * backup's catalogue (a handful of reads) in a version 2 repository, from
   * the manifests in a version 1 one (or a version 2 backup with no
   * catalogue yet). A point whose segment a killed writer never wrote is
   * missing until `repo rebuild-catalog` (catalogue.ts).
   */
  async listPointSummaries(id: BackupId): Promise<CataloguePoint[]> {
    if (this.config.version >= 2) {
      const {points, segments} = await readCatalogue(this, id);
      if (segments.length > 0) return points;
    }
    return (await this.listPoints(id)).map(cataloguePoint);
  }

  /**
   * Reads a backup's catalogue rows now, so that a later listPointSummaries
   * of the same catalogue returns at once (a face calls it while the user
   * looks at something else). Nothing in a version 1 repository or a backup
   * without catalogue: it never reads manifests.
   */
  async prefetchPointSummaries(id: BackupId): Promise<void> {
    if (this.config.version >= 2) await readCatalogue(this, id);
  }

  /**
   * A backup's point count, newest point time and byte totals, as
   * listPointSummaries would give them: from the catalogue's segment headers
   * (no row parsed) in a version 2 repository, else from the manifests.
   */
  async pointTotals(id: BackupId): Promise<CatalogueSummary> {
    if (this.config.version >= 2) {
      const {summary, segments} = await readCatalogueSummary(this, id);
      if (segments.length > 0) return summary;
    }
    return summarize((await this.listPoints(id)).map(cataloguePoint));
  }

  /**
   * A backup's point ids → how many nodes each point holds: from the
   * catalogue's ids (no row parsed) in a version 2 repository, else from the
   * manifests. Shared: do not change it.
   */
  async pointNodeCounts(id: BackupId): Promise<ReadonlyMap<string, number>> {
    if (this.config.version >= 2) {
      const {nodeCounts, segments} = await readCatalogueNodeCounts(this, id);
      if (segments.length > 0) return nodeCounts;
    }
    return new Map((await this.listPoints(id)).map(m => [m.id, m.nodes.length]));
  }

  async getPoint(backupId: BackupId, pointId: PointId | string): Promise<PointManifest> {
    if (!isShortId(pointId))
      throw notFound(
        `No restore point ${quoted(pointId)} in backup ${backupId}.`,
        `Run \`backhaul points ${backupId}\` to see its restore points.`,
      );
    const key = pointKey(backupId, parsePointId(pointId));
    const info = await this.storage.stat(key);
    if (!info)
      throw notFound(
        `No restore point ${quoted(pointId)} in backup ${backupId}.`,
        `Run \`backhaul points ${backupId}\` to see its restore points.`,
      );
    return parsePointManifest(await this.readJson(key), key, this.location);
  }

  async hasPoint(backupId: BackupId, pointId: PointId): Promise<boolean> {
    return (await this.storage.stat(pointKey(backupId, pointId))) !== undefined;
  }

  /**
   * A chunk's location and the bytes of its pack. A pack the index names
   * must exist: if it does not, the index is read again whole (another
   * process may have repaired the repository, moving the chunk) before that
   * is damage to the repository, not a wrong argument.
   */
  private async chunkInPack(id: ChunkId): Promise<{loc: ChunkLocation; pack: Buffer}> {
    let loc = await this.locate(id);
    if (!loc) throw corrupt(`Chunk ${id.slice(0, 12)} is missing from ${this.location}.`);
    let pack = await this.getPack(loc.pack);
    if (!pack) {
      const gone = loc.pack;
      await this.afterMiss(true, () => this.index.packOf(id) !== gone);
      loc = this.index.get(id);
      if (!loc) throw corrupt(`Chunk ${id.slice(0, 12)} is missing from ${this.location}.`);
      pack = await this.getPack(loc.pack);
      if (!pack)
        throw corrupt(
          `Pack ${loc.pack.slice(0, 12)} holding chunk ${id.slice(0, 12)} is missing from ${this.location}.`,
        );
    }
    if (loc.offset + loc.length > pack.length) throw corrupt(`Pack ${loc.pack.slice(0, 12)} is truncated.`);
    return {loc, pack};
  }

  /** A pack's bytes; undefined if the storage has no such pack. */
  private async getPack(pack: string): Promise<Buffer | undefined> {
    try {
      return await this.packCache.get(pack);
    } catch (e) {
      if (e instanceof BackhaulError && e.code === 'not-found') return undefined;
      throw e;
    }
  }

  /** Reads one chunk and checks it against its id. */
  async readChunk(id: ChunkId): Promise<Buffer> {
    const {loc, pack} = await this.chunkInPack(id);
    const where = `pack ${loc.pack.slice(0, 12)}`;
    return decodeBlob(
      this.codec.openBlob(pack.subarray(loc.offset, loc.offset + loc.length), where),
      loc.encoding,
      loc.rawLength,
      id,
      where,
      this.codec,
    );
  }

  /** The stored bytes of a chunk (sealed by this repository's codec, not yet checked): a copy passes them on when the target's codec has the same key. */
  async readBlob(id: ChunkId): Promise<{payload: Buffer; encoding: number; rawLength: number}> {
    const {loc, pack} = await this.chunkInPack(id);
    const payload = pack.subarray(loc.offset, loc.offset + loc.length);
    return {payload, encoding: loc.encoding, rawLength: loc.rawLength};
  }

  /** Checks a stored blob (as readBlob gives it) against its id (open, decompress, id); returns its plaintext. */
  verifyBlob(id: ChunkId, blob: {payload: Buffer; encoding: number; rawLength: number}): Promise<Buffer> {
    return decodeBlob(
      this.codec.openBlob(blob.payload, this.location),
      blob.encoding,
      blob.rawLength,
      id,
      this.location,
      this.codec,
    );
  }

  async *readTree(disk: DiskManifest): AsyncIterable<TreeEntry> {
    for await (const batch of this.readTreeBatches(disk)) yield* batch;
  }

  /**
   * readTree() one tree chunk's entries at a time (an await per entry costs
   * more than parsing it). Every line is checked (records.ts): a damaged or
   * crafted one is `corrupt` naming the disk and the line.
   */
  async *readTreeBatches(disk: DiskManifest): AsyncIterable<TreeEntry[]> {
    // Lines are cut at '\n' bytes, which never fall inside a multi-byte character.
    // Each line is decoded on its own: one big string per chunk costs more in fresh memory than the parse.
    let carry: Buffer = Buffer.alloc(0);
    let line = 0;
    for (const id of disk.tree ?? []) {
      const chunk = await this.readChunk(id);
      const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      const batch: TreeEntry[] = [];
      let start = 0;
      for (let end = data.indexOf(10); end >= 0; start = end + 1, end = data.indexOf(10, start)) {
        line++;
        if (end > start) batch.push(parseTreeLine(data, start, end, disk.name, line));
      }
      carry = data.subarray(start);
      yield batch;
    }
    if (carry.length > 0) yield [parseTreeLine(carry, 0, carry.length, disk.name, line + 1)];
  }

  /**
   * Stores a JSON object through the codec (records, manifests, catalogue
   * segments). `create`: only if absent (false if it was there).
   */
  async putObject(key: string, value: unknown, create = false): Promise<boolean> {
    const data = this.codec.sealObject(key, Buffer.from(JSON.stringify(value, null, 1)));
    if (create) return this.storage.putIfAbsent(key, data);
    await this.storage.put(key, data);
    return true;
  }

  /**
   * Stores bytes that are not JSON (catalogue segments) sealed by the codec
   * like any object. `create`: only if absent (false if it was there).
   */
  async putSealed(key: string, plaintext: Buffer, create = false): Promise<boolean> {
    const data = this.codec.sealObject(key, plaintext);
    if (create) return this.storage.putIfAbsent(key, data);
    await this.storage.put(key, data);
    return true;
  }

  /** The opened bytes of sealed objects (putSealed's or putObject's), in bulk where the storage can; `corrupt` naming one that does not open. */
  async readSealedMany(keys: readonly string[]): Promise<Buffer[]> {
    const data = this.storage.getMany
      ? await this.storage.getMany(keys)
      : await mapLimit(keys, 64, key => this.storage.get(key));
    return keys.map((key, i) => this.codec.openObject(key, data[i]!));
  }

  /** Reads a JSON object through the codec; `corrupt` naming it if it does not open or parse. */
  async readObject(key: string): Promise<unknown> {
    return this.readJson(key);
  }

  /** readObject for many keys, in bulk where the storage can. */
  async readObjects(keys: readonly string[]): Promise<unknown[]> {
    return this.readJsonMany(keys);
  }

  private async readJson(key: string): Promise<unknown> {
    return this.parseJson(key, await this.storage.get(key));
  }

  /** In bulk where the storage can (getMany), else 64 at a time: a backup may hold 100,000 points, more than the open-file limit. */
  private async readJsonMany(keys: readonly string[]): Promise<unknown[]> {
    if (this.storage.getMany) {
      const data = await this.storage.getMany(keys);
      return keys.map((key, i) => this.parseJson(key, data[i]!));
    }
    return mapLimit(keys, 64, key => this.readJson(key));
  }

  private parseJson(key: string, data: Buffer): unknown {
    const plain = this.codec.openObject(key, data);
    try {
      return JSON.parse(plain.toString('utf8')) as unknown;
    } catch {
      throw corrupt(`${key} in ${this.location} is not valid JSON.`);
    }
  }

  /** A read-only view for code that must not write. */
  get readable(): ReadableStorage {
    return this.storage;
  }
}
