/**
 * Filesystem backend: one file per key under a root directory.
 * Atomic put = write a temp file, fsync it, rename over the key, fsync the
 * directory. putIfAbsent = write a temp file, link(2) it to the key (fails
 * with EEXIST if present). Files are 0600 and directories 0700: a repository
 * is private to the user who made it (the root of trust for access control).
 *
 * Packs (`data/` keys) are made durable in batches: their put returns once
 * the file is written and renamed into place, with its fsync already running
 * in the background (a pack a copy's worker staged is fsynced only by the
 * barrier, with the others staged since: see stageWritten); every put,
 * putIfAbsent or delete of any other key first waits for all of them and
 * fsyncs their directories. So a pack is durable
 * before any index (or anything else) written after it, which is all the
 * repository's write order (data → index → manifest) asks, and the disk
 * writes packs back while later ones are still being copied. A crash may
 * leave a torn pack under its name; no index names it, and a writer's start
 * drops it (FORMAT.md: orphan packs are checked against their hash).
 */
import {randomBytes} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {closeSync, constants, readFileSync, statSync, type Dirent, type Stats} from 'node:fs';
import {dirname, join} from 'node:path';
import {BackhaulError, fromSystemError, notFound} from '../errors.js';
import {DIRECT_IO_BLOCK, isAligned} from '../util/aligned.js';
import {processAlive} from '../util/process.js';
import {yieldToEventLoop} from '../util/concurrency.js';
import {checkTreeRootOnly, openRootOnlyDirectory} from './root-only.js';
import {
  checkKey,
  checkPrefix,
  isKeySegment,
  type ObjectInfo,
  type StagedPack,
  type Storage,
  type WritableLocalFiles,
} from './storage.js';

export const FILE_MODE = 0o600;
export const DIR_MODE = 0o700;

const tempName = (path: string) => `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

export class FilesystemStorage implements Storage {
  // Many pack writes in flight keep the disk busy while they are read and verified.
  readonly preferredConcurrency = 16;
  // A write from memory is a copy into the page cache, bound by CPU: more in flight only hold
  // more buffers, and fresh memory costs a page fault per 4 KiB (dear on VMs that hand memory back to the host).
  readonly bufferedWrites = 3;
  private readonly madeDirs = new Set<string>();
  /** Packs written but maybe not durable yet: their background fsyncs, and their directories. */
  private syncing: Promise<void>[] = [];
  private unsyncedDirs = new Set<string>();
  private lastBarrier: Promise<void> = Promise.resolve();
  /** Staged files committed since the last barrier (stageWritten), not yet fsynced. */
  private unsyncedFiles: string[] = [];
  /** Packs in page-aligned memory are written with O_DIRECT until the filesystem refuses it. */
  private directIo = true;
  /** True when opened by openRootOnly: every byte below was written by root (see root-only.ts). */
  readonly rootOnly: boolean;
  private readonly shown: string;
  private heldFd?: number;

  /** `root`: where the files are; `location`: what to call it (defaults to root). */
  constructor(
    readonly root: string,
    options: {location?: string; rootOnly?: boolean; heldFd?: number} = {},
  ) {
    this.shown = options.location ?? root;
    this.rootOnly = options.rootOnly ?? false;
    this.heldFd = options.heldFd;
  }

  /**
   * The repository at `location` for root acting on a sudo caller's behalf:
   * refused (exit 15) unless only root can have written it, and from then on
   * reached only through the directory descriptor the checks ended on, so
   * the directory checked is the one read and written (root-only.ts).
   */
  static openRootOnly(location: string): FilesystemStorage {
    const dir = openRootOnlyDirectory(location);
    try {
      checkTreeRootOnly(dir, location);
    } catch (e) {
      closeSync(dir.fd);
      throw e;
    }
    return new FilesystemStorage(dir.path, {location, rootOnly: true, heldFd: dir.fd});
  }

  get location(): string {
    return this.shown;
  }

  private path(key: string): string {
    return join(this.root, checkKey(key));
  }

  /** The uid owning the repository's directory (OwnedStorage). */
  async ownerUid(): Promise<number | undefined> {
    try {
      return (await fs.stat(this.root)).uid;
    } catch {
      return undefined;
    }
  }

  /**
   * The local fast path: a copy's workers read packs straight from their
   * files, and write them beside their keys (stageWritten). Paths under a
   * held descriptor (openRootOnly) stay valid in worker threads.
   */
  readonly local: WritableLocalFiles = {
    path: key => this.path(key),
    stage: (key, write) => this.stageWritten(key, write),
  };

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await fs.mkdir(dir, {recursive: true, mode: DIR_MODE});
    this.madeDirs.add(dir);
  }

  private wrap(e: unknown, key: string): never {
    if ((e as NodeJS.ErrnoException)?.code === 'ENOENT')
      throw notFound(
        `Missing object "${key}" in ${this.location}.`,
        'The repository is incomplete; run `backhaul verify`.',
      );
    throw fromSystemError(e, `${this.location}/${key}`) ?? e;
  }

  /** `sync`: fsync before returning ('now'), in the background until the next barrier ('defer'), or not at all ('never'). */
  private async writeTemp(
    key: string,
    data: Uint8Array | Uint8Array[],
    sync: 'now' | 'defer' | 'never' = 'now',
  ): Promise<string> {
    const path = this.path(key);
    await this.ensureDir(dirname(path));
    const temp = tempName(path);
    const handle = await fs.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    try {
      const whole = Array.isArray(data) ? (data.length === 1 ? data[0]! : undefined) : data;
      const direct = whole && this.directIo && isAligned(whole) ? await this.writeDirect(temp, whole) : 0;
      if (direct > 0) {
        let done = direct;
        while (done < whole!.length)
          done += (await handle.write(whole!, done, whole!.length - done, done)).bytesWritten;
      } else if (Array.isArray(data)) {
        // writev takes at most IOV_MAX (1024) buffers per call, and may write short.
        let position = 0;
        for (let i = 0; i < data.length; i += 1024) {
          const batch = data.slice(i, i + 1024);
          const want = batch.reduce((sum, b) => sum + b.length, 0);
          const {bytesWritten} = await handle.writev(batch, position);
          if (bytesWritten < want) {
            const rest = Buffer.concat(batch).subarray(bytesWritten);
            let done = 0;
            while (done < rest.length)
              done += (await handle.write(rest, done, rest.length - done, position + bytesWritten + done)).bytesWritten;
          }
          position += want;
        }
      } else {
        await handle.writeFile(data);
      }
      if (sync === 'now') await handle.sync();
    } catch (e) {
      await handle.close().catch(() => {});
      await fs.rm(temp, {force: true});
      throw e;
    }
    if (sync === 'defer') {
      // fsync through the descriptor that wrote: a write-back error is reported to it for sure.
      const done = handle.sync().finally(() => handle.close());
      done.catch(() => {}); // reported by the next barrier
      this.syncing.push(done);
    } else {
      await handle.close();
    }
    return temp;
  }

  /**
   * Writes the block-aligned head of `data` to `temp` past the page cache
   * (O_DIRECT); returns how many bytes it wrote (0: write it all the usual
   * way). New page-cache pages are the dearest part of a write on virtual
   * machines that hand memory back to the host (a direct write ran several
   * times faster than a buffered one into a new file: README, "Development"),
   * and packs are not read back soon. The caller writes the tail and fsyncs as usual: the
   * file is as durable as any other.
   */
  private async writeDirect(temp: string, data: Uint8Array): Promise<number> {
    const head = data.length - (data.length % DIRECT_IO_BLOCK);
    if (head === 0) return 0;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(temp, constants.O_WRONLY | constants.O_DIRECT);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
      this.directIo = false; // the filesystem does not do direct I/O
      return 0;
    }
    let done = 0;
    try {
      while (done < head) {
        const {bytesWritten} = await handle.write(data, done, head - done, done);
        done += bytesWritten;
        if (bytesWritten === 0 || done % DIRECT_IO_BLOCK !== 0) break; // the rest goes through the cache
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EINVAL') throw e;
      this.directIo = false; // refused after all: the cache path writes from `done` on
    } finally {
      await handle.close();
    }
    return done;
  }

  /**
   * A temporary file beside `key`, written by `write` (which creates it,
   * 0600: a copy's worker writes a pack it checked, past the page cache). The
   * caller commits it (renamed into place) or discards it (removed). A
   * committed file is fsynced by the next barrier, with the others committed
   * since the last one, rather than one by one as each lands: each fsync is
   * a journal commit and a flush of the disk's cache, and a copy lands a
   * pack every few milliseconds (per-pack fsyncs were a tenth of a full copy). It
   * is as durable as a pack put() by the time anything names it (see the
   * header); a crash before that leaves a pack nothing names, which the next
   * writer checks before it adopts it.
   */
  private async stageWritten(key: string, write: (temp: string) => Promise<void>): Promise<StagedPack> {
    const path = this.path(key);
    let temp: string | undefined;
    try {
      await this.ensureDir(dirname(path));
      temp = tempName(path);
      await write(temp);
    } catch (e) {
      if (temp) await fs.rm(temp, {force: true});
      return this.wrap(e, key);
    }
    const file = temp;
    return {
      path: file,
      commit: async () => {
        try {
          await fs.rename(file, path);
        } catch (e) {
          await fs.rm(file, {force: true});
          return this.wrap(e, key);
        }
        this.unsyncedFiles.push(path);
        this.unsyncedDirs.add(dirname(path));
      },
      discard: async () => {
        await fs.rm(file, {force: true});
      },
    };
  }

  /**
   * Waits until every pack written before the call is durable, its directory
   * entry included. Packs written meanwhile are left to the next barrier: a
   * copy lands a pack every few milliseconds, and an index file (which names
   * only packs written before it) must not wait for the copy to pause.
   */
  private barrier(): Promise<void> {
    const files = this.syncing;
    const staged = this.unsyncedFiles;
    const dirs = [...this.unsyncedDirs];
    this.syncing = [];
    this.unsyncedFiles = [];
    this.unsyncedDirs.clear();
    // A barrier still running holds earlier packs' fsyncs: this one passes only after it (and fails if it did).
    const previous = this.lastBarrier;
    const mine = Promise.allSettled([
      previous,
      ...files,
      ...staged.map(file => this.syncPath(file)),
      ...dirs.map(dir => this.syncPath(dir)),
    ]).then(results => {
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    });
    mine.catch(() => {}); // the caller hears of it; so does the next barrier
    this.lastBarrier = mine;
    return mine;
  }

  private async syncPath(path: string): Promise<void> {
    const handle = await fs.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  put(key: string, data: Uint8Array): Promise<void> {
    return this.putParts(key, data);
  }

  /** put() of data given whole or in parts (gathered writes: packs are never joined in memory). */
  async putParts(key: string, parts: Uint8Array | Uint8Array[]): Promise<void> {
    const pack = key.startsWith('data/');
    try {
      if (!pack) await this.barrier();
      const temp = await this.writeTemp(key, parts, pack ? 'defer' : 'now');
      await fs.rename(temp, this.path(key));
      if (pack) this.unsyncedDirs.add(dirname(this.path(key)));
      else await this.syncPath(dirname(this.path(key)));
    } catch (e) {
      return this.wrap(e, key);
    }
  }

  async putIfAbsent(key: string, data: Uint8Array, options: {ephemeral?: boolean} = {}): Promise<boolean> {
    let temp: string | undefined;
    try {
      if (!options.ephemeral) await this.barrier();
      temp = await this.writeTemp(key, data, options.ephemeral ? 'never' : 'now');
      await fs.link(temp, this.path(key));
      if (!options.ephemeral) await this.syncPath(dirname(this.path(key)));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      return this.wrap(e, key);
    } finally {
      if (temp) await fs.rm(temp, {force: true});
    }
  }

  async get(key: string): Promise<Buffer> {
    try {
      return await fs.readFile(this.path(key));
    } catch (e) {
      return this.wrap(e, key);
    }
  }

  /**
   * Reads small files back to back, synchronously, yielding to the event loop
   * between batches of about a millisecond's work: the thread pool's round
   * trips (open, stat, read, close, each a hop) made reading 100,000 restore
   * point manifests several times slower (bench/tui.ts), and the TUI still
   * answers keys between batches.
   */
  async getMany(keys: readonly string[]): Promise<Buffer[]> {
    const out: Buffer[] = [];
    let batchStart = performance.now();
    for (const key of keys) {
      try {
        out.push(readFileSync(this.path(key)));
      } catch (e) {
        return this.wrap(e, key);
      }
      if (performance.now() - batchStart > 4) {
        await yieldToEventLoop();
        batchStart = performance.now();
      }
    }
    return out;
  }

  async getRange(key: string, offset: number, length: number): Promise<Buffer> {
    let handle: fs.FileHandle | undefined;
    try {
      handle = await fs.open(this.path(key), 'r');
      const buffer = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const {bytesRead} = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      if (done < length)
        throw new BackhaulError(
          'corrupt',
          `Object "${key}" is shorter than expected (${offset + done} < ${offset + length} bytes).`,
          'Run `backhaul verify`.',
        );
      return buffer;
    } catch (e) {
      if (e instanceof BackhaulError) throw e;
      return this.wrap(e, key);
    } finally {
      await handle?.close();
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await fs.stat(this.path(key));
      return {key, size: s.size, mtimeMs: s.mtimeMs};
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      return this.wrap(e, key);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    const start = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    yield* this.walk(start, prefix);
  }

  async listDirectories(prefix: string): Promise<string[]> {
    checkPrefix(prefix);
    let entries;
    try {
      entries = await fs.readdir(join(this.root, prefix), {withFileTypes: true});
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      return this.wrap(e, prefix);
    }
    // Only names a key may hold: a stray directory ("..x", spaces) is not a place anything was stored.
    return entries
      .filter(e => e.isDirectory() && !e.name.includes('.tmp-') && isKeySegment(e.name))
      .map(e => e.name)
      .sort();
  }

  /** A directory's entries (undefined if it is gone); the rejection is marked handled, for prefetched reads never awaited. */
  private readEntries(dirKey: string): Promise<Dirent[] | undefined> {
    const read = fs.readdir(join(this.root, dirKey), {withFileTypes: true}).then(
      entries => entries,
      (e: unknown) => {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw e;
      },
    );
    read.catch(() => {});
    return read;
  }

  private async *walk(
    dirKey: string,
    prefix: string,
    listing: Promise<Dirent[] | undefined> = this.readEntries(dirKey),
  ): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await listing;
    } catch (e) {
      return this.wrap(e, dirKey);
    }
    if (!entries) return;
    const keyOf = (entry: Dirent) => (dirKey ? `${dirKey}/${entry.name}` : entry.name);
    const enters = (entry: Dirent, key: string) =>
      !entry.name.includes('.tmp-') && entry.isDirectory() && (key.startsWith(prefix) || prefix.startsWith(key + '/'));
    // The subdirectories this walk enters are all read at once (data/ has 256): one thread-pool
    // round trip after another made listing the packs of a repository a quarter of a small copy.
    const children = new Map<string, Promise<Dirent[] | undefined>>();
    for (const entry of entries) {
      const key = keyOf(entry);
      if (enters(entry, key)) children.set(key, this.readEntries(key));
    }
    for (const entry of entries) {
      const key = keyOf(entry);
      if (entry.name.includes('.tmp-')) continue;
      if (entry.isDirectory()) {
        const child = children.get(key);
        if (child) yield* this.walk(key, prefix, child);
      } else if (key.startsWith(prefix)) {
        // One synchronous stat per file: a thread-pool round trip each made
        // listing 100,000 restore points take most of a minute.
        let s: Stats | undefined;
        try {
          s = statSync(join(this.root, key));
        } catch {
          continue; // deleted while listing
        }
        yield {key, size: s.size, mtimeMs: s.mtimeMs};
      }
    }
  }

  /**
   * Removes temporary files a killed writer left behind (`KEY.tmp-PID-RANDOM`
   * whose PID is no longer running). Called by a writer holding the lock.
   */
  async removeStaleTemporaries(): Promise<number> {
    let removed = 0;
    // Directories are visited side by side: one after another, the 256 of data/ cost a small copy a tenth of its time.
    const visit = async (dir: string): Promise<void> => {
      const entries = await fs.readdir(dir, {withFileTypes: true}).catch(() => []);
      await Promise.all(
        entries.map(async entry => {
          const path = join(dir, entry.name);
          if (entry.isDirectory()) await visit(path);
          const match = /\.tmp-(\d+)-[0-9a-f]+$/.exec(entry.name);
          if (match && !processAlive(Number(match[1]))) {
            await fs.rm(path, {force: true});
            removed++;
          }
        }),
      );
    };
    await visit(this.root);
    return removed;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.barrier();
    } catch (e) {
      return this.wrap(e, key);
    }
    await fs.rm(this.path(key), {force: true});
  }

  /** One barrier for the batch, then each file removed. */
  async deleteMany(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.barrier();
    } catch (e) {
      return this.wrap(e, keys[0]!);
    }
    for (const key of keys) {
      signal?.throwIfAborted();
      await fs.rm(this.path(key), {force: true});
    }
  }

  async freeSpace(): Promise<number | undefined> {
    try {
      const s = await fs.statfs(this.root);
      return s.bavail * s.bsize;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    try {
      await this.barrier();
    } finally {
      if (this.heldFd !== undefined) closeSync(this.heldFd);
      this.heldFd = undefined;
    }
  }
}
