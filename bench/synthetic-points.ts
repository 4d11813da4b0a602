/**
 * A repository with one backup of COUNT restore points (default 100,000), for
 * timing the TUI on a huge list. Only records are written — config through
 * Repository.create, the backup record through putBackup, and the point
 * manifests straight into the FilesystemStorage layout (same keys, JSON and
 * 0600 modes as FilesystemStorage.put, without its per-file fsync, which
 * would make 100,000 writes take minutes). The points reference no chunks:
 * browsing never reads them. Cached under the system tmp dir; built again
 * only when missing or incomplete.
 *
 * Usage: node --import tsx bench/synthetic-points.ts [DIR] [--count N]
 */
import {existsSync} from 'node:fs';
import {mkdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {pathToFileURL} from 'node:url';
import type {BackupId, PointId} from '../source/engine/ids.js';
import type {BackupRecord, PointManifest} from '../source/engine/repository/model.js';
import {Repository} from '../source/engine/repository/repository.js';
import {FILE_MODE, DIR_MODE, FilesystemStorage} from '../source/engine/storage/filesystem.js';

export const BENCH_MACHINE = 'bench-host';
const HOUR = 3600_000;
const id = (prefix: string, n: number) => prefix + n.toString(36).padStart(12, '0');

/** Builds (or reuses) the repository at `dir`; returns its path. */
export async function syntheticRepository(
  count = 100_000,
  dir = join(tmpdir(), `backhaul-bench-points-${count}`),
): Promise<string> {
  const done = `${dir}.complete`; // beside, not inside: the repository holds only its own keys
  if (existsSync(done)) return dir;
  await rm(dir, {recursive: true, force: true});
  await mkdir(dir, {recursive: true, mode: DIR_MODE});
  const repo = await Repository.create(new FilesystemStorage(dir));
  const backupId = id('b', 1) as BackupId;
  const start = Date.UTC(2015, 0, 1);
  const record: BackupRecord = {
    format: 1,
    id: backupId,
    job: 'bench',
    machine: BENCH_MACHINE,
    kind: 'server',
    owner: 'root',
    access: null,
    createdAt: new Date(start).toISOString(),
    nodes: [{name: BENCH_MACHINE, disks: [{name: 'files', kind: 'files', shared: false}]}],
  };
  await repo.putBackup(record);
  const pointsDir = join(dir, 'backups', backupId, 'points');
  await mkdir(pointsDir, {recursive: true, mode: DIR_MODE});
  const write = async (i: number) => {
    const point: PointManifest = {
      format: 1,
      id: id('p', i + 1) as PointId,
      backupId,
      time: new Date(start + i * HOUR).toISOString(),
      type: i % 24 === 0 ? 'full' : 'incremental',
      ...(i % 24 === 0 ? {} : {parent: id('p', i) as PointId}),
      nodes: [
        {
          name: BENCH_MACHINE,
          disks: [{name: 'files', kind: 'files', shared: false, logicalBytes: 1_000_000 + i, fileCount: 10, tree: []}],
        },
      ],
      logicalBytes: 1_000_000 + i,
      storedBytes: i % 24 === 0 ? 800_000 : 20_000 + (i % 997),
    };
    await writeFile(join(pointsDir, `${point.id}.json`), JSON.stringify(point), {mode: FILE_MODE});
  };
  const width = 64;
  for (let i = 0; i < count; i += width) {
    await Promise.all(Array.from({length: Math.min(width, count - i)}, (_, j) => write(i + j)));
  }
  await writeFile(done, `${count}\n`);
  return dir;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const {values, positionals} = parseArgs({options: {count: {type: 'string'}}, allowPositionals: true});
  const started = Date.now();
  const dir = await syntheticRepository(Number(values.count ?? 100_000), positionals[0]);
  process.stdout.write(`${dir} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
