/**
 * The one storage contract every backend (filesystem, S3) implements. Keys are
 * relative, '/'-separated, made of [A-Za-z0-9._-] segments; backends reject
 * anything else, so a key can never name a place outside the repository.
 *
 * Guarantees every backend MUST give:
 * - `put` is atomic: a reader sees the old object, or the whole new one.
 * - `put` returns only when the object is durable (fsync / S3 200) — except
 *   that a backend may let a put of a pack (a `data/` key) return earlier, as
 *   long as it is durable before any later put, putIfAbsent or delete of
 *   another key (the filesystem does; the write order data → index → manifest
 *   needs no more).
 * - `putIfAbsent` creates the object only if no object has that key, atomically
 *   (link(2) / `If-None-Match: *`), and says whether it did.
 * - `get` of a missing key throws a BackhaulError with code 'not-found'.
 * - `list` yields every key under a prefix, paginating as needed, in no order.
 * - a backend that retries requests bounds each operation in time (S3: a try
 *   with no byte for a while is abandoned, and no try starts once the
 *   operation's budget is spent), then fails with a 'storage' error.
 *
 * What some backends offer beyond the contract is an optional, typed member
 * here (`local`: files a process can read by path; `checksContentHash`: a
 * server that checks a pack's hash as it stores it). Callers test for the
 * member, never for a backend's class.
 */
import type {OwnedStorage} from './owner.js';

export interface ObjectInfo {
  key: string;
  size: number;
  /** Last modification time in ms since the epoch (lock staleness on S3). */
  mtimeMs?: number;
}

/**
 * Something a backend did that a user should hear of, though the operation
 * may still succeed: a request retried, or one abandoned because the server
 * sent nothing for too long. The faces print them (the engine never does).
 */
export interface StorageNotice {
  kind: 'retry' | 'stall';
  /** The request, e.g. `PutObject`. */
  operation: string;
  key?: string;
  /** The try that failed (1 = the first). */
  attempt: number;
  /** One sentence. */
  message: string;
}

/** A multipart upload begun under a repository and never completed or aborted (object storage). */
export interface OpenUpload {
  key: string;
  uploadId: string;
  /** When it began (server time, ms since the epoch). */
  initiated?: number;
  /** Bytes of the parts it holds, where they were asked for. */
  bytes?: number;
}

export interface ReadableStorage extends Partial<OwnedStorage> {
  /** Human-readable place, e.g. `/srv/backups/main` or `s3://bucket/prefix`. */
  readonly location: string;
  /**
   * True when root may believe what this storage holds while acting for a
   * sudo caller: a directory only root can have written, opened through a
   * checked descriptor (FilesystemStorage.openRootOnly), or object storage
   * root itself registered. Access decisions for a sudo caller are made only
   * on such storage.
   */
  readonly rootOnly?: boolean;
  get(key: string, signal?: AbortSignal): Promise<Buffer>;
  getRange(key: string, offset: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  stat(key: string): Promise<ObjectInfo | undefined>;
  /**
   * Many small objects at once, in the order asked (manifests: a backup may
   * hold 100,000 restore points). Optional: callers otherwise get them one by
   * one, several at a time. A missing key throws 'not-found' like get.
   */
  getMany?(keys: readonly string[]): Promise<Buffer[]>;
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /**
   * The names of the directories directly under `prefix` (which ends in
   * '/'), sorted, without walking what they hold: the backups of a
   * repository whose points number 100,000. Optional: callers otherwise
   * list every key under the prefix.
   */
  listDirectories?(prefix: string): Promise<string[]>;
  /** Bytes that can still be written, or undefined where it cannot be known (object storage). */
  freeSpace(): Promise<number | undefined>;
  /**
   * Calls `listener` for each notice (retries, stalls) until the returned
   * function is called. Optional: backends that never retry have none.
   */
  watch?(listener: (notice: StorageNotice) => void): () => void;
  /**
   * Multipart uploads under this repository that were never completed or
   * aborted (what a killed writer leaves: invisible to `list`, yet stored and
   * billed). Optional: only object storage has them. `sizes` also sums each
   * one's parts (a request per upload).
   */
  listOpenUploads?(options?: {sizes?: boolean}): Promise<OpenUpload[]>;
  /**
   * Capability: the objects are files of this host, which this process and
   * its worker threads may read by path. Absent on object storage, and on
   * any wrapper that does not pass it on (callers then read through `get`).
   */
  readonly local?: LocalFiles;
  close(): Promise<void>;
}

/**
 * The local fast path of a filesystem backend: a copy's workers read packs
 * straight from their files and write them beside their target keys, past
 * the page cache, instead of through get and put.
 */
export interface LocalFiles {
  /**
   * The file that holds `key` (it may not exist). Valid in this process's
   * worker threads too: for a repository opened through a held directory
   * descriptor it is /proc/self/fd/N/..., the same directory in every thread.
   */
  path(key: string): string;
}

/** The local fast path of a writable filesystem backend: LocalFiles, plus files staged beside their keys. */
export interface WritableLocalFiles extends LocalFiles {
  /**
   * A new file beside `key`, written by `write` (which must create it, 0600,
   * at the path it is given), for the caller to check and then commit (renamed
   * under the key, durable like a pack put) or discard. If `write` throws,
   * the file is removed and its error (a BackhaulError for a system error)
   * rejects.
   */
  stage(key: string, write: (temp: string) => Promise<void>): Promise<StagedPack>;
}

/** A file written beside its key but not yet under it (WritableLocalFiles.stage). */
export interface StagedPack {
  readonly path: string;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export interface Storage extends ReadableStorage {
  put(key: string, data: Uint8Array, signal?: AbortSignal): Promise<void>;
  /**
   * Stores `data` under `key` unless something is there already; true if it
   * did. `ephemeral`: the key need not survive a crash, so a backend may skip
   * making it durable (a lock: two fsyncs on a busy disk cost a copy's start
   * a tenth of a second; after a crash the lock is stale or unreadable, and
   * either is broken).
   */
  putIfAbsent(key: string, data: Uint8Array, options?: {ephemeral?: boolean}): Promise<boolean>;
  /** Deleting what is not there is fine. `signal` bounds it (a lock released on the way out). */
  delete(key: string, signal?: AbortSignal): Promise<void>;
  /**
   * Deletes every key (missing ones are fine), in batches where the backend
   * has them (S3: DeleteObjects, 1000 keys a request); throws if any delete
   * failed. Optional: `deleteKeys` falls back to `delete` one by one.
   */
  deleteMany?(keys: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Aborts these open uploads (see listOpenUploads); returns how many it aborted. */
  abortUploads?(uploads: readonly OpenUpload[]): Promise<number>;
  /** Capability (see ReadableStorage.local), with files staged beside their keys. */
  readonly local?: WritableLocalFiles;
  /**
   * Capability: true when a put of `size` bytes at `key` is refused unless
   * the bytes hash to the key's name (object storage, with the pack id as the
   * signed payload hash); put() then throws 'corrupt' and stores nothing. A
   * copy needs no hash pass of its own for such a put. Absent: no backend
   * check to rely on.
   */
  checksContentHash?(key: string, size: number): boolean;
  /** How many writes the backend likes in flight (disk: a few; S3: many). */
  readonly preferredConcurrency: number;
  /**
   * How many writes of data held in memory (packs being built) the backend
   * needs in flight; each holds its buffer until done. Defaults to
   * preferredConcurrency.
   */
  readonly bufferedWrites?: number;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** A name that may be one segment of a key. */
export function isKeySegment(part: string): boolean {
  return SEGMENT.test(part) && part !== '.' && part !== '..';
}

/** Throws on keys that could escape the repository or mean different things on different backends. */
export function checkKey(key: string): string {
  const parts = key.split('/');
  for (const part of parts) {
    if (!isKeySegment(part)) {
      throw new Error(`Invalid storage key "${key}"`);
    }
  }
  return key;
}

export function checkPrefix(prefix: string): string {
  if (prefix === '') return prefix;
  return checkKey(prefix.replace(/\/$/, '')) + (prefix.endsWith('/') ? '/' : '');
}

/** Deletes `keys` through the backend's batch delete, or one by one where it has none. */
export async function deleteKeys(storage: Storage, keys: readonly string[], signal?: AbortSignal): Promise<void> {
  if (keys.length === 0) return;
  if (storage.deleteMany) return storage.deleteMany(keys, signal);
  for (const key of keys) {
    signal?.throwIfAborted();
    await storage.delete(key, signal);
  }
}
