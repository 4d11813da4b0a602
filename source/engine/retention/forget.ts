/**
 * `backhaul forget`: applies a retention policy (policy.ts) to the backups
 * of one repository, removing the restore points it does not keep. It acts
 * on the repository it is given and nothing else (never a copy's source).
 * Data stays until `prune`.
 *
 * Order, per backup, under the exclusive lock (FORMAT.md, "Forget"): the
 * catalogue is replaced first by one segment listing only the kept points
 * (superseding every segment read), and only then are the removed points'
 * manifests deleted. So a reader never lists a point whose manifest is
 * gone; a reader that listed the catalogue just before gets `not-found` for
 * that one point, never `corrupt`. Killed between the two, the removed
 * points' manifests remain unlisted (`repo rebuild-catalog` or verify would
 * list them again, whole: prune reads manifests, not the catalogue, so their
 * data is kept); running forget again removes them. A backup with no points
 * at all loses its record, then its catalogue.
 */
import type {BackupId, PointId} from '../ids.js';
import {
  cataloguePoint,
  cataloguePrefix,
  readCatalogue,
  replaceCatalogue,
  type CataloguePoint,
} from '../repository/catalogue.js';
import {backupKey, pointKey, type Repository} from '../repository/repository.js';
import type {PointType} from '../repository/model.js';
import {deleteKeys} from '../storage/storage.js';
import {notFound} from '../errors.js';
import {requireVersion2} from './exclusive.js';
import {withExclusiveLock, type ExclusiveOptions} from '../repository/exclusive-lock.js';
import {checkPolicy, selectPoints, type KeptFor, type RetentionPolicy} from './policy.js';

export interface ForgetOptions extends ExclusiveOptions {
  /** Only this backup (default: every backup of the repository). */
  backup?: string;
  /** Only these backups (a job's selection on its target); ids not in the repository are passed over. */
  backups?: readonly string[];
  dryRun?: boolean;
}

export interface ForgetPoint {
  id: string;
  time: string;
  type: PointType;
}

export interface ForgetBackup {
  backupId: string;
  job: string;
  machine: string;
  kept: (ForgetPoint & {keptFor: KeptFor[]})[];
  removed: ForgetPoint[];
  /** The backup had no point left and its record was removed. */
  backupRemoved: boolean;
}

export interface ForgetResult {
  dryRun: boolean;
  backups: ForgetBackup[];
}

const summary = (p: CataloguePoint): ForgetPoint => ({id: p.id, time: p.time, type: p.type});

export async function forget(
  repo: Repository,
  policy: RetentionPolicy,
  options: ForgetOptions = {},
): Promise<ForgetResult> {
  checkPolicy(policy);
  requireVersion2(repo, 'forget');
  const run = async (assertHeld: () => void) => {
    const only = options.backups ? new Set(options.backups) : undefined;
    const backups = (await chosenBackups(repo, options.backup)).filter(b => !only || only.has(b.id));
    const result: ForgetResult = {dryRun: options.dryRun ?? false, backups: []};
    for (const b of backups) {
      // Manifests are the truth: a point a killed writer left out of the catalogue is judged too.
      const points = (await repo.listPoints(b.id)).map(cataloguePoint);
      const {kept, removed} = selectPoints(points, policy);
      const entry: ForgetBackup = {
        backupId: b.id,
        job: b.job,
        machine: b.machine,
        kept: kept.map(k => ({...summary(k.point), keptFor: k.keptFor})),
        removed: removed.map(summary),
        backupRemoved: points.length === 0,
      };
      result.backups.push(entry);
      if (options.dryRun) continue;
      if (points.length === 0) await removeBackup(repo, b.id, assertHeld);
      else if (removed.length > 0)
        await dropPoints(
          repo,
          b.id,
          kept.map(k => k.point),
          removed,
          assertHeld,
        );
    }
    return result;
  };
  if (options.dryRun) return run(() => {});
  return withExclusiveLock(repo, 'forget', options, run);
}

async function chosenBackups(repo: Repository, only: string | undefined) {
  const all = await repo.listBackups();
  if (only === undefined) return all;
  const found = all.filter(b => b.id === only);
  if (found.length === 0)
    throw notFound(`No backup "${only}" in ${repo.location}.`, 'Run `backhaul list` to see the backups.');
  return found;
}

/** Catalogue first (only the kept points), then the removed points' manifests. */
async function dropPoints(
  repo: Repository,
  backup: BackupId,
  kept: CataloguePoint[],
  removed: CataloguePoint[],
  assertHeld: () => void,
): Promise<void> {
  const {segments} = await readCatalogue(repo, backup);
  await replaceCatalogue(repo, backup, kept, segments, assertHeld);
  assertHeld();
  await deleteKeys(
    repo.storage,
    removed.map(p => pointKey(backup, p.id as PointId)),
  );
}

/** A backup with no point: its record first (it is no longer listed), then its catalogue. */
async function removeBackup(repo: Repository, backup: BackupId, assertHeld: () => void): Promise<void> {
  assertHeld();
  await repo.storage.delete(backupKey(backup));
  const keys: string[] = [];
  for await (const info of repo.storage.list(cataloguePrefix(backup))) keys.push(info.key);
  assertHeld();
  await deleteKeys(repo.storage, keys);
}
