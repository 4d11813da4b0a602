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
 *
 * Run on a version 2 repository, it switches one made before the compact
 * layouts to them (upgradeLayouts, below).
 */
import {rebuildCatalogue} from './catalogue.js';
import {FIRST_CHUNKER} from './chunker.js';
import {
  chunkerConfig,
  DEFAULT_ZSTD_LEVEL,
  encodeConfig,
  FORMAT_VERSION,
  parseConfig,
  type RepositoryConfig,
} from './config.js';
import {compactUnderLock} from './index-compact.js';
import type {ObjectCodec} from './codec.js';
import {withExclusiveLock, type Lockable} from './exclusive-lock.js';
import {Repository} from './repository.js';

export interface UpgradeResult {
  from: number;
  to: number;
  backups: number;
  /** Points added to catalogues. */
  points: number;
  /**
   * A version 2 repository: whether its config was switched to the compact
   * layouts (catalogue segments 3, index files 3), and its index files
   * before and after they were merged into one of format 3.
   */
  layouts?: {configChanged: boolean; indexFilesBefore: number; indexFilesAfter: number; indexRewritten: boolean};
}

export async function upgradeRepository(
  repo: Repository,
  options: {level?: number; signal?: AbortSignal} = {},
): Promise<UpgradeResult> {
  if (repo.config.version >= FORMAT_VERSION) return upgradeLayouts(repo, options);
  const result = await withExclusiveLock(repo, 'upgrade', {signal: options.signal}, async assertHeld => {
    // Read again under the lock: another upgrade may have finished meanwhile.
    const current = await Repository.open(repo.storage);
    if (current.config.version >= FORMAT_VERSION)
      return {from: current.config.version, to: current.config.version, backups: 0, points: 0};
    return upgradeUnderLock(repo, current, assertHeld, options);
  });
  // Then straight on to the compact layouts, as a version 2 repository made before them would be.
  if (result.to === 2)
    result.layouts = (
      await upgradeLayouts(
        {storage: repo.storage, codec: repo.codec, location: repo.location, config: {version: 2}},
        options,
      )
    ).layouts;
  return result;
}

async function upgradeUnderLock(
  repo: Repository,
  current: Repository,
  assertHeld: () => void,
  options: {level?: number; signal?: AbortSignal},
): Promise<UpgradeResult> {
  let points = 0;
  const backups = await current.listBackups();
  for (const backup of backups) {
    assertHeld();
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
  assertHeld();
  await repo.storage.put('config', encodeConfig(next));
  return {from: current.config.version, to: 2, backups: backups.length, points};
}

/** What upgradeLayouts works on: a repository, or one just upgraded from version 1 (its config read as version 2). */
type LayoutTarget = Lockable & {readonly codec: ObjectCodec; readonly location: string};

/**
 * A version 2 repository made before the compact layouts: its config gets
 * `catalogueSegments: 3` and `indexFiles: 3` (what new repositories have),
 * then its index files are merged into one of format 3 (index-compact.ts),
 * under the exclusive lock. Killed after the config, the index files are
 * still JSON, which every reader reads: running it again merges them.
 * Existing catalogue segments stay (readers read both versions; the next
 * merge of a backup's catalogue writes version 3). Run again, it changes
 * nothing.
 */
async function upgradeLayouts(repo: LayoutTarget, options: {signal?: AbortSignal}): Promise<UpgradeResult> {
  return withExclusiveLock(repo, 'upgrade', {signal: options.signal}, async assertHeld => {
    // Read again under the lock: another upgrade may have finished meanwhile.
    const config = parseConfig(await repo.storage.get('config'), repo.location);
    const configChanged = config.catalogueSegments !== 3 || config.indexFiles !== 3;
    const next: RepositoryConfig = {...config, catalogueSegments: 3, indexFiles: 3};
    if (configChanged) {
      assertHeld();
      await repo.storage.put('config', encodeConfig(next));
    }
    const compacted = await compactUnderLock(
      {storage: repo.storage, codec: repo.codec, config: next},
      {assertHeld, signal: options.signal},
    );
    return {
      from: config.version,
      to: config.version,
      backups: 0,
      points: 0,
      layouts: {
        configChanged,
        indexFilesBefore: compacted.before,
        indexFilesAfter: compacted.after,
        indexRewritten: compacted.rewritten,
      },
    };
  });
}
