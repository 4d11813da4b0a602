/**
 * Writing to a repository under a writer lock: version 1's single lock, or
 * (version 2) a shared lock other backups and copies hold beside it, or the
 * exclusive one (`exclusive`: repair, prune). Chunks are deduplicated
 * against the index and against this session, packed into ~8 MiB packs,
 * uploaded with bounded concurrency, and indexed only once their pack is
 * durable. `commitPoint` makes a restore point visible last of all:
 * data → index → backup record → point manifest. A kill at any moment leaves
 * only packs no manifest references; `begin` re-indexes them so the next run
 * reuses them instead of sending them again, and aborts the multipart
 * uploads a killed writer left open (object storage) — only a writer that
 * found no other at work, and only what is older than its lock (a live
 * writer's packs and uploads are its own to finish).
 *
 * Every write first asks the lock whether it is still this writer's
 * (WriterLock.assertHeld): a writer whose lock was removed, taken over or
 * could not be refreshed stops with that error and writes nothing more, and
 * `close` throws it if it was found out only at the end.
 */
import {BackhaulError, cancelled} from '../errors.js';
import type {StagedPack, Storage} from '../storage/storage.js';
import type {ChunkId, PackId} from '../ids.js';
import {encodeBlob, type Encoding} from './blob.js';
import {chunkBuffer} from './chunker.js';
import {writeIndexFile} from './index-store.js';
import type {WriterLock, LockOptions} from './lock.js';
import {acquireRepositoryLock} from './lock-shared.js';
import {parseConfig} from './config.js';
import type {BackupRecord, PointManifest, TreeEntry} from './model.js';
import {PackBuilder, PACK_TARGET, packKey, packMagic, packProblem, parsePackTrailer, type BlobEntry} from './pack.js';
import {pointKey, type Repository} from './repository.js';
import {checkWritable} from './records.js';
import {appendToCatalogue, cataloguePoint} from './catalogue.js';
import {mapLimit} from '../util/concurrency.js';

// An index file every 16 packs (~128 MiB): each is a durability barrier for the packs before it
// (FilesystemStorage); packs a killed run wrote but never indexed are adopted by the next one.
const INDEX_EVERY = 16;
const ENCODE_AHEAD = 32;

/** Said to the user (stderr, the session log): a stale lock taken over; the open uploads a killed writer left, aborted (or not looked for). */
export interface WriterNotice {
  kind: 'lock-takeover' | 'open-uploads';
  message: string;
}

export interface WriterOptions {
  signal?: AbortSignal;
  waitMs?: number;
  onNotice?: (notice: WriterNotice) => void;
  /** The lock's refresh interval and clock (tests). */
  lock?: Pick<LockOptions, 'refreshMs' | 'clock'>;
  /** Version 2: take the exclusive lock (prune) instead of a shared one (backups, copies). */
  exclusive?: boolean;
}

export interface WriterStats {
  chunksAdded: number;
  chunksReused: number;
  bytesAdded: number; // as packed
  rawBytesAdded: number;
  packsWritten: number;
}

export class RepositoryWriter {
  readonly stats: WriterStats = {chunksAdded: 0, chunksReused: 0, bytesAdded: 0, rawBytesAdded: 0, packsWritten: 0};
  private builder = new PackBuilder();
  private readonly pending = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  private unindexed: {id: PackId; blobs: BlobEntry[]}[] = [];
  private failure: unknown;
  private indexing: Promise<void> = Promise.resolve();
  private encoding: {id: ChunkId; job: Promise<{encoding: Encoding; payload: Buffer}>; rawLength: number}[] = [];

  private constructor(
    readonly repo: Repository,
    private readonly lock: WriterLock,
    private readonly signal?: AbortSignal,
  ) {}

  static async begin(repo: Repository, operation: string, options: WriterOptions = {}): Promise<RepositoryWriter> {
    const mode = {exclusive: options.exclusive ?? false};
    const lock = await acquireRepositoryLock(repo.storage, repo.config.version, operation, mode, options.waitMs ?? 0, {
      ...options.lock,
      signal: options.signal,
      onNotice: n => options.onNotice?.({kind: n.kind, message: n.message}),
    });
    try {
      await sameVersion(repo);
      await repo.refreshIndex();
      const writer = new RepositoryWriter(repo, lock, options.signal);
      const storage = repo.storage as {removeStaleTemporaries?: () => Promise<number>};
      await storage.removeStaleTemporaries?.();
      await writer.abortOpenUploads(options.onNotice);
      await writer.adoptOrphanPacks();
      return writer;
    } catch (e) {
      await lock.release();
      throw e;
    }
  }

  /**
   * Multipart uploads under the repository that were never completed, begun
   * before this writer's lock: a writer killed mid-upload left them; they
   * hold bytes no listing shows. Only when no other live writer held a lock
   * then (version 2's shared locks): otherwise they may be its uploads, left
   * for a writer that finds itself alone. A writer that starts later begins
   * its uploads after this lock was made, so they are not taken.
   */
  private async abortOpenUploads(onNotice?: (notice: WriterNotice) => void): Promise<void> {
    const storage = this.repo.storage;
    if (!storage.listOpenUploads || !storage.abortUploads || !this.lock.alone) return;
    let open;
    try {
      open = await storage.listOpenUploads();
    } catch (e) {
      // A key that may write but not list uploads (a narrow bucket policy) still copies; the uploads stay.
      if (!(e instanceof BackhaulError && e.code === 'denied')) throw e;
      onNotice?.({
        kind: 'open-uploads',
        message: `Could not look for multipart uploads a killed writer left open in ${storage.location} (${e.message}); any stay until aborted.`,
      });
      return;
    }
    open = open.filter(u => this.beforeLock(u.initiated));
    if (open.length === 0) return;
    this.lock.assertHeld();
    const aborted = await storage.abortUploads(open);
    onNotice?.({
      kind: 'open-uploads',
      message: `Aborted ${aborted} multipart upload(s) a killed writer left open in ${storage.location} (${open
        .map(u => u.key)
        .slice(0, 3)
        .join(', ')}${open.length > 3 ? ', ...' : ''}).`,
    });
  }

  /** Where this writer's lock is: `locks/writer` (version 1) or its own `locks/<16 hex>` (version 2). */
  get lockKey(): string {
    return this.lock.key;
  }

  /** Why the lock is no longer this writer's (removed, taken over, not refreshed), once it is not. */
  get lockLost(): Error | undefined {
    return this.lock.lost;
  }

  /** Throws if the run was cancelled, a write failed, or the lock is no longer ours. */
  private check(): void {
    if (this.signal?.aborted) throw cancelled();
    if (this.failure) throw this.failure;
    this.lock.assertHeld();
  }

  /** Whether something the storage timed `ms` was made before this writer's lock (unknown times: only under version 1's single lock). */
  private beforeLock(ms: number | undefined): boolean {
    const since = this.lock.createdAtMs;
    if (since === undefined) return true;
    return ms !== undefined && ms < Math.floor(since / 1000) * 1000; // S3 gives seconds: the whole second of the lock is after it
  }

  /**
   * Packs written by a killed run are durable but unindexed: index them (after
   * checking them) so they are reused. Only a writer that started alone, and
   * only packs older than its lock: another live writer's packs may not be
   * indexed (or durable) yet, and are its to index.
   */
  private async adoptOrphanPacks(): Promise<void> {
    if (!this.lock.alone) return;
    const orphans: string[] = [];
    for await (const info of this.repo.storage.list('data/')) {
      const id = info.key.split('/').pop()!;
      if (/^[0-9a-f]{64}$/.test(id) && !this.repo.index.hasPack(id) && this.beforeLock(info.mtimeMs)) orphans.push(id);
    }
    // In parallel: after a killed copy to object storage there may be a dozen packs to fetch, each a round trip.
    await mapLimit(orphans, Math.min(8, this.repo.storage.preferredConcurrency), async id => {
      const data = await this.repo.storage.get(packKey(id));
      if (packProblem(data, {id}, this.repo.codec) !== undefined) {
        this.lock.assertHeld();
        await this.repo.storage.delete(packKey(id)); // torn, damaged or no pack at all, never referenced: safe to drop
        return;
      }
      const blobs = parsePackTrailer(data, id, this.repo.codec);
      this.repo.index.addPack(id as PackId, blobs);
      this.unindexed.push({id: id as PackId, blobs});
    });
    await this.indexAll();
  }

  has(id: string): boolean {
    return this.repo.index.has(id) || this.pending.has(id);
  }

  /** Stores a chunk unless the repository already has it; returns its id. */
  async addChunk(data: Buffer, knownId?: ChunkId): Promise<ChunkId> {
    const id = knownId ?? this.repo.codec.chunkId(data);
    if (this.has(id)) {
      this.stats.chunksReused++;
      return id;
    }
    // Compression runs on the thread pool; blobs enter packs in order as they finish.
    this.pending.add(id);
    const job = encodeBlob(data, this.repo.compression);
    job.catch(() => {});
    this.encoding.push({id, job, rawLength: data.length});
    if (this.encoding.length >= ENCODE_AHEAD) await this.drainEncoding(ENCODE_AHEAD / 2);
    return id;
  }

  private async drainEncoding(keep: number): Promise<void> {
    while (this.encoding.length > keep) {
      const {id, job, rawLength} = this.encoding.shift()!;
      const {encoding, payload} = await job;
      this.pending.delete(id);
      await this.addEncoded(id, this.repo.codec.sealBlob(payload), rawLength, encoding);
    }
  }

  /** Counts a chunk the caller found already indexed (and stops there if the run was cancelled or failed). */
  reuseKnown(): void {
    this.check();
    this.stats.chunksReused++;
  }

  /**
   * Stores an already-encoded blob as it is to be stored: sealed by this
   * repository's codec (`repo.codec.sealBlob`; the identity when plain). A
   * copy passes stored bytes through when both codecs have the same key; an
   * agent backup passes what its workers encoded. The caller has verified it.
   * The payload is copied into the pack being built: the caller may reuse its buffer.
   */
  async addEncoded(id: ChunkId, payload: Buffer, rawLength: number, encoding: Encoding): Promise<boolean> {
    this.check();
    if (this.has(id)) {
      this.stats.chunksReused++;
      return false;
    }
    this.pending.add(id);
    this.builder.add(id, payload, rawLength, encoding);
    this.stats.chunksAdded++;
    this.stats.bytesAdded += payload.length;
    this.stats.rawBytesAdded += rawLength;
    if (this.builder.bytes >= PACK_TARGET) await this.sealPack();
    return true;
  }

  /**
   * Stores a whole verified pack as it is (a copy whose target lacks every
   * chunk of a source pack): no repacking, no second hash. Returns false (and
   * stores nothing) if any of its chunks is already present or pending.
   * `written` is called once the storage is done with `data` (its memory may then be reused).
   */
  async addPack(id: PackId, data: Buffer, blobs: BlobEntry[], written?: () => void): Promise<boolean> {
    if (!this.claimPack(id, blobs)) return false;
    await this.upload(id, () => this.putPack(id, [data]), blobs, written);
    return true;
  }

  /**
   * Like addPack, for a pack the caller already wrote beside its key in the
   * target storage and verified there (a local copy: see FilesystemStorage.stage).
   * The pack is renamed into place, or discarded if it is not needed.
   */
  async addStagedPack(id: PackId, staged: StagedPack, blobs: BlobEntry[]): Promise<boolean> {
    if (!this.claimPack(id, blobs)) {
      await staged.discard();
      return false;
    }
    await this.upload(id, () => staged.commit(), blobs);
    return true;
  }

  private claimPack(id: PackId, blobs: BlobEntry[]): boolean {
    this.check();
    if (this.repo.index.hasPack(id) || blobs.some(b => this.has(b[0]))) return false;
    for (const b of blobs) this.pending.add(b[0]);
    this.stats.chunksAdded += blobs.length;
    this.stats.bytesAdded += blobs.reduce((s, b) => s + b[2], 0);
    this.stats.rawBytesAdded += blobs.reduce((s, b) => s + b[3], 0);
    return true;
  }

  /** Splits a serialised tree into chunks; returns their ids. */
  async addTree(entries: TreeEntry[]): Promise<ChunkId[]> {
    // Written line by line into one buffer: joining tens of thousands of lines into one string
    // and encoding that costs more than the serialisation itself.
    let text = Buffer.allocUnsafeSlow(Math.max(4096, entries.length * 256));
    let used = 0;
    for (const e of entries) {
      const line = JSON.stringify(e);
      if (used + line.length * 3 + 1 > text.length) {
        const bigger = Buffer.allocUnsafeSlow(Math.max(text.length * 2, used + line.length * 3 + 1));
        text.copy(bigger, 0, 0, used);
        text = bigger;
      }
      used += text.write(line, used);
      text[used++] = 10;
    }
    text = text.subarray(0, used);
    const ids: ChunkId[] = [];
    let pos = 0;
    for (const length of chunkBuffer(text, this.repo.chunker)) {
      ids.push(await this.addChunk(text.subarray(pos, pos + length)));
      pos += length;
    }
    return ids;
  }

  private async sealPack(): Promise<void> {
    if (this.builder.count === 0) return;
    const {id, parts, blobs, body} = this.builder.seal(this.repo.codec, packMagic(this.repo.config.version));
    const storage = this.repo.storage;
    await this.upload(
      id,
      () => this.putPack(id, parts),
      blobs,
      () => this.builder.recycle(body),
      storage.bufferedWrites ?? storage.preferredConcurrency,
    );
  }

  private putPack(id: PackId, parts: Buffer[]): Promise<void> {
    const storage = this.repo.storage as Storage & {putParts?: (key: string, parts: Buffer[]) => Promise<void>};
    return storage.putParts
      ? storage.putParts(packKey(id), parts)
      : storage.put(packKey(id), parts.length === 1 ? parts[0]! : Buffer.concat(parts), this.signal);
  }

  private async upload(
    id: PackId,
    write: () => Promise<void>,
    blobs: BlobEntry[],
    written?: () => void,
    limit = this.repo.storage.preferredConcurrency,
  ): Promise<void> {
    // Bound memory and keep the backend busy: wait while too many packs are in flight.
    while (this.inFlight.size >= limit) await Promise.race(this.inFlight);
    this.check();
    const upload = write()
      .then(
        () => {
          this.stats.packsWritten++;
          this.repo.index.addPack(id, blobs);
          for (const b of blobs) this.pending.delete(b[0]);
          this.unindexed.push({id, blobs});
        },
        (e: unknown) => {
          this.failure ??= e;
        },
      )
      .finally(() => {
        this.inFlight.delete(upload);
        written?.();
      });
    this.inFlight.add(upload);
    if (this.unindexed.length >= INDEX_EVERY) void this.writeIndex();
  }

  /**
   * Indexes the packs written so far, in the background and in order: an
   * index file waits until the packs it names are durable (the storage's
   * barrier: tens of milliseconds of fsyncs on a busy disk), and the packs
   * after them keep landing meanwhile. A failure fails the next write;
   * flush() waits for it all.
   */
  private writeIndex(): Promise<void> {
    const packs = this.unindexed;
    if (packs.length === 0) return this.indexing;
    this.unindexed = [];
    this.indexing = this.indexing
      .then(async () => {
        if (this.failure) return;
        this.lock.assertHeld();
        await writeIndexFile(this.repo, packs);
      })
      .catch((e: unknown) => {
        this.failure ??= e;
      });
    return this.indexing;
  }

  /** Makes every chunk added so far durable and indexed. */
  async flush(): Promise<void> {
    await this.drainEncoding(0);
    await this.sealPack();
    await Promise.all(this.inFlight);
    if (this.failure) throw this.failure;
    await this.indexAll();
  }

  /** Indexes every pack written so far and waits until it is done; throws what failed. */
  private async indexAll(): Promise<void> {
    await this.writeIndex();
    if (this.failure) throw this.failure;
  }

  /**
   * Data → index → backup record → manifest → (version 2) catalogue segment:
   * the point is visible only when complete. False when the manifest was to
   * be created and another writer (version 2's shared locks) created it
   * first: nothing more is written, and the caller decides what to do with
   * the point as it now is. `beforeWrite` runs just before the manifest is
   * written (a point merge lock's lease check: point-merge-lock.ts).
   */
  async commitPoint(
    record: BackupRecord,
    manifest: PointManifest,
    replace = false,
    beforeWrite?: () => void,
  ): Promise<boolean> {
    checkWritable(record, manifest);
    await this.flush();
    this.check();
    await this.repo.putBackup(record);
    this.lock.assertHeld();
    beforeWrite?.();
    // Only a copy adding cluster nodes to a point it copied before replaces a manifest (with a superset).
    if (!(await this.repo.putObject(pointKey(manifest.backupId, manifest.id), manifest, !replace))) return false;
    if (this.repo.config.version >= 2) {
      this.lock.assertHeld();
      await appendToCatalogue(this.repo, manifest.backupId, [cataloguePoint(manifest)]);
    }
    return true;
  }

  /**
   * (Version 2) names a committed point in its backup's catalogue again: a
   * copy that finds the point already committed by another writer, which
   * may have been killed before its segment. A point named twice is one point.
   */
  async catalogue(manifest: PointManifest): Promise<void> {
    if (this.repo.config.version < 2) return;
    this.check();
    await appendToCatalogue(this.repo, manifest.backupId, [cataloguePoint(manifest)]);
  }

  /** Rewrites a backup record (a copy merging what writers beside it added); under the lock like every write. */
  async putBackup(record: BackupRecord): Promise<void> {
    this.check();
    await this.repo.putBackup(record);
  }

  /**
   * Releases the lock; chunks not flushed are dropped (never referenced).
   * Throws if the lock turned out not to be this writer's any more (removed,
   * taken over, not refreshed): the run must not report success.
   */
  async close(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await this.indexing;
    await this.lock.release();
    if (this.lock.lost) throw this.lock.lost;
  }
}

/**
 * The repository's version as read after the lock was taken must be the one
 * it was opened with: a writer that opened a version 1 repository and waited
 * on its lock while `repo upgrade` ran must not add version 1 data without a
 * catalogue to a version 2 repository.
 */
async function sameVersion(repo: Repository): Promise<void> {
  const now = parseConfig(await repo.storage.get('config'), repo.location);
  if (now.version === repo.config.version) return;
  throw new BackhaulError(
    'locked',
    `${repo.location} changed from format version ${repo.config.version} to ${now.version} while this run waited for its lock; it stopped without writing.`,
    'Run the same command again: it opens the repository as it is now.',
  );
}
