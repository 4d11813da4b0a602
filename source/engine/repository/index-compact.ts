/**
 * Replacing index files by one that names them in `supersedes` (FORMAT.md,
 * "Index files" and "Prune"): the primitive a prune builds on, and
 * `repo compact-index`, which merges every index file of a repository into
 * one (a repository written by many short runs has one file per run, and
 * every open reads them all).
 *
 * Guarantees: the superseding file is durable before any file it supersedes
 * is deleted, so at every moment the index files present describe every
 * pack they described before. Killed after the write, both are there and
 * readers skip the superseded ones; killed during the deletes, the rest are
 * (a later compaction deletes them). Packs are never touched here. Callers
 * of the primitives hold the lock that keeps other index rewriters out
 * (`compactIndex` takes the writer lock itself).
 */
import {BackhaulError, usageError} from '../errors.js';
import {withExclusiveLock, type ExclusiveOptions} from './exclusive-lock.js';
import {INDEX_KEY} from './codec.js';
import {
  indexFormatFor,
  indexIdOf,
  parseIndexFile,
  supersededBy,
  writeIndexFile,
  type IndexedPack,
  type IndexFile,
  type IndexTarget,
} from './index-store.js';

export interface SupersedeOptions {
  /** Called before each write and delete: throws once the caller's lock is no longer its own. */
  assertHeld?: () => void;
  signal?: AbortSignal;
}

/**
 * Writes one index file listing `packs` that supersedes the index files
 * `keys` (`index/<id>`), then deletes them, only once it is durable; returns
 * its key. The caller vouches that `packs` describes all that `keys` did
 * which it means to keep (a prune drops packs it is about to delete).
 */
export async function supersedeIndexFiles(
  target: IndexTarget,
  keys: readonly string[],
  packs: IndexedPack[],
  options: SupersedeOptions = {},
): Promise<string> {
  requireFormat2(target);
  options.signal?.throwIfAborted();
  options.assertHeld?.();
  const key = await writeIndexFile(target, packs, keys.map(indexIdOf));
  for (const old of keys) {
    options.signal?.throwIfAborted();
    options.assertHeld?.();
    await target.storage.delete(old);
  }
  return key;
}

/** Merges the index files `keys` into one that supersedes them (supersedeIndexFiles); returns its key. */
export async function mergeIndexFiles(
  target: IndexTarget,
  keys: readonly string[],
  options: SupersedeOptions = {},
): Promise<string> {
  requireFormat2(target);
  const files = await Promise.all(
    keys.map(async key => parseIndexFile(await target.storage.get(key), key, target.codec)),
  );
  return supersedeIndexFiles(target, keys, mergePacks(files), options);
}

/** Every pack of `files` once (a pack's id is the hash of its bytes: listed twice, it is the same), by id. */
export function mergePacks(files: Iterable<IndexFile>): IndexedPack[] {
  const byId = new Map<string, IndexedPack>();
  for (const file of files) for (const p of file.packs) if (!byId.has(p.id)) byId.set(p.id, p);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface CompactResult {
  /** Index files found (readable ones). */
  before: number;
  /** Index files left (readable ones). */
  after: number;
  /** Packs the index describes. */
  packs: number;
  /** Index files that failed their check: left alone (the next writer re-indexes their packs from the packs' trailers). */
  damaged: string[];
  /** Whether a file was written (several merged, or one rewritten in the format the config names). */
  rewritten: boolean;
}

/** The lock's wait, notices and cancellation. */
export type CompactOptions = ExclusiveOptions;

/**
 * `repo compact-index`: under the writer lock, every readable index file of
 * a version 2 repository merged into one; files already superseded (a
 * compaction killed during its deletes) are deleted with them. Run again,
 * it changes nothing.
 */
export async function compactIndex(
  repo: IndexTarget & {readonly location: string},
  options: CompactOptions = {},
): Promise<CompactResult> {
  if (repo.config.version < 2)
    throw usageError(
      `${repo.location} is format version ${repo.config.version}, whose index files cannot supersede others.`,
      'Run `backhaul repo upgrade` on it first.',
    );
  // Exclusive: other writers' index files must not appear between the listing and the deletes.
  return withExclusiveLock(repo, 'compact-index', options, assertHeld =>
    compactUnderLock(repo, {assertHeld, signal: options.signal}),
  );
}

/**
 * compactIndex's work, for a caller holding the exclusive lock (`repo
 * upgrade` too). A single file left in another format than the config names
 * (JSON in a repository whose config says `indexFiles: 3`) is rewritten.
 */
export async function compactUnderLock(target: IndexTarget, options: SupersedeOptions): Promise<CompactResult> {
  const {files, damaged} = await readAll(target);
  const superseded = supersededBy(files.values());
  const live = [...files.keys()].filter(key => !superseded.has(indexIdOf(key)));
  const leftovers = [...files.keys()].filter(key => superseded.has(indexIdOf(key)));
  const packs = mergePacks(live.map(key => files.get(key)!));
  const rewrite =
    live.length > 1 || (live.length === 1 && files.get(live[0]!)!.format !== indexFormatFor(target.config));
  const result = {before: files.size, after: files.size, packs: packs.length, damaged, rewritten: rewrite};
  if (rewrite) {
    await supersedeIndexFiles(target, [...live, ...leftovers], packs, options);
  } else {
    // One file (or none) left to merge: what it superseded goes, nothing is written.
    for (const key of leftovers) {
      options.signal?.throwIfAborted();
      options.assertHeld?.();
      await target.storage.delete(key);
    }
  }
  result.after = live.length > 0 ? 1 : 0;
  return result;
}

/** Every index file, read and checked; damaged ones named apart. One gone meanwhile was not ours to keep. */
async function readAll(target: IndexTarget): Promise<{files: Map<string, IndexFile>; damaged: string[]}> {
  const keys: string[] = [];
  for await (const {key} of target.storage.list(INDEX_KEY)) keys.push(key);
  const files = new Map<string, IndexFile>();
  const damaged: string[] = [];
  for (const key of keys.sort()) {
    try {
      files.set(key, parseIndexFile(await target.storage.get(key), key, target.codec));
    } catch (e) {
      if (!(e instanceof BackhaulError) || (e.code !== 'corrupt' && e.code !== 'not-found')) throw e;
      if (e.code === 'corrupt') damaged.push(key);
    }
  }
  return {files, damaged};
}

function requireFormat2(target: IndexTarget): void {
  if (indexFormatFor(target.config) < 2)
    throw new BackhaulError(
      'format',
      `${target.storage.location} is format version ${target.config.version}, whose index files cannot supersede others.`,
      'This is a bug in Backhaul: only version 2 repositories are compacted.',
    );
}
