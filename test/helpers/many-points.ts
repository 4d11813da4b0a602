/**
 * A backup of N restore points written as records only (manifests, then
 * their catalogue in a few segments), and a second repository holding a copy
 * of some of them: enough for tests of the screens and listings of big
 * backups, without making N agent backups. The points reference no chunks.
 * Not a test file (no `.test.` in the name).
 */
import type {BackupId, PointId} from '../../source/engine/ids.js';
import {appendToCatalogue, cataloguePoint} from '../../source/engine/repository/catalogue.js';
import type {BackupRecord, Origin, PointManifest} from '../../source/engine/repository/model.js';
import {pointKey, type Repository} from '../../source/engine/repository/repository.js';
import {mapLimit} from '../../source/engine/util/concurrency.js';

export const MANY_BACKUP = 'bmany00000001' as BackupId;
const id = (n: number) => `p${n.toString(36).padStart(12, '0')}` as PointId;

export function manyRecord(machine: string, origin?: Origin): BackupRecord {
  return {
    format: 1,
    id: MANY_BACKUP,
    job: 'many',
    machine,
    kind: 'server',
    owner: 'root',
    access: null,
    createdAt: '2020-01-01T00:00:00.000Z',
    nodes: [{name: machine, disks: [{name: 'files', kind: 'files', shared: false}]}],
    ...(origin ? {origin} : {}),
  };
}

/** Point `i` (0 is the oldest), an hour after point i-1. */
export function manyPoint(machine: string, i: number, origin?: Origin): PointManifest {
  return {
    format: 1,
    id: id(i + 1),
    backupId: MANY_BACKUP,
    time: new Date(Date.UTC(2020, 0, 1) + i * 3600_000).toISOString(),
    type: i === 0 ? 'full' : 'incremental',
    ...(i === 0 ? {} : {parent: id(i)}),
    nodes: [{name: machine, disks: [{name: 'files', kind: 'files', shared: false, logicalBytes: 1000, tree: []}]}],
    logicalBytes: 1000 + i,
    storedBytes: i,
    ...(origin ? {origin} : {}),
  };
}

/** Writes the backup with the points `indices` names into `repo`: manifests first, then `segments` catalogue segments. */
export async function writeManyPoints(
  repo: Repository,
  machine: string,
  indices: readonly number[],
  segments = 4,
  origin?: Origin,
): Promise<PointManifest[]> {
  await repo.putBackup(manyRecord(machine, origin));
  const points = indices.map(i => manyPoint(machine, i, origin));
  await mapLimit(points, 16, p => repo.putObject(pointKey(MANY_BACKUP, p.id), p));
  const per = Math.ceil(points.length / segments);
  for (let i = 0; i < points.length; i += per)
    await appendToCatalogue(repo, MANY_BACKUP, points.slice(i, i + per).map(cataloguePoint));
  return points;
}
