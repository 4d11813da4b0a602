/**
 * `repo upgrade`: a version 1 repository converted to version 2 in place
 * (FORMAT.md, "Upgrade"). Under the exclusive lock, which in a version 1
 * repository is version 1's single lock (every version 1 writer takes it,
 * and version 2 writers count it as exclusive: nothing else writes
 * meanwhile, before or after the config changes), it
 * writes the catalogue of every backup, then replaces `config` (one atomic
 * put). Packs and index files stay as they are: version 2 reads them.
 *
 * Crash-safe: killed before the config is replaced, the repository is
 * version 1 with catalogue segments version 1 ignores (a later upgrade adds
 * what they lack); after, it is version 2 with a complete catalogue.
 */
import {rebuildCatalogue} from './catalogue.js';
import {FIRST_CHUNKER} from './chunker.js';
import {chunkerConfig, DEFAULT_ZSTD_LEVEL, encodeConfig, FORMAT_VERSION, type RepositoryConfig} from './config.js';
import type {WriterLock} from './lock.js';
import {acquireRepositoryLock} from './lock-shared.js';
import {Repository} from './repository.js';

export interface UpgradeResult {
  from: number;
  to: number;
  backups: number;
  /** Points added to catalogues. */
  points: number;
}

export async function upgradeRepository(
  repo: Repository,
  options: {level?: number; signal?: AbortSignal} = {},
): Promise<UpgradeResult> {
  if (repo.config.version >= FORMAT_VERSION)
    return {from: repo.config.version, to: repo.config.version, backups: 0, points: 0};
  const lock = await acquireRepositoryLock(repo.storage, repo.config.version, 'upgrade', {exclusive: true}, 0, {
    signal: options.signal,
  });
  let result: UpgradeResult;
  try {
    // Read again under the lock: another upgrade may have finished meanwhile.
    const current = await Repository.open(repo.storage);
    if (current.config.version >= FORMAT_VERSION) {
      result = {from: current.config.version, to: current.config.version, backups: 0, points: 0};
    } else {
      result = await upgradeUnderLock(repo, current, lock, options);
    }
  } catch (e) {
    await lock.release();
    // A lost lock explains whatever failed after it.
    throw lock.lost ?? e;
  }
  await lock.release();
  if (lock.lost) throw lock.lost;
  return result;
}

async function upgradeUnderLock(
  repo: Repository,
  current: Repository,
  lock: WriterLock,
  options: {level?: number; signal?: AbortSignal},
): Promise<UpgradeResult> {
  let points = 0;
  const backups = await current.listBackups();
  for (const backup of backups) {
    options.signal?.throwIfAborted();
    lock.assertHeld();
    points += await rebuildCatalogue(current, backup.id);
  }
  const next: RepositoryConfig = {
    ...current.config,
    version: 2,
    // The set version 1 cut with: the next backups deduplicate against what is there.
    chunker: chunkerConfig(FIRST_CHUNKER),
    compression: {algorithm: 'zstd', level: options.level ?? DEFAULT_ZSTD_LEVEL},
    encryption: null,
  };
  lock.assertHeld();
  await repo.storage.put('config', encodeConfig(next));
  return {from: current.config.version, to: 2, backups: backups.length, points};
}
