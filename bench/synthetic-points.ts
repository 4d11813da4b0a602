/**
 * A repository with one backup of COUNT restore points (default 100,000), for
 * timing the TUI on a huge list, and a second repository that already holds
 * a copy of every other point (the "copied" marks a registered target gives).
 * Only records are written — config through Repository.create, the backup
 * records through putBackup, the catalogues through appendToCatalogue (16
 * segments, as a writer leaves them just before a merge: the most a reader
 * meets), and the point manifests straight into the FilesystemStorage layout
 * (same keys, JSON and 0600 modes as FilesystemStorage.put, without its
 * per-file fsync, which would make 100,000 writes take minutes). The points
 * reference no chunks: browsing never reads them. Cached under the system
 * tmp dir; built again only when missing or incomplete.
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
import {appendToCatalogue, cataloguePoint, MERGE_AFTER} from '../source/engine/repository/catalogue.js';
import type {BackupRecord, Origin, PointManifest} from '../source/engine/repository/model.js';
import {Repository} from '../source/engine/repository/repository.js';
import {FILE_MODE, DIR_MODE, FilesystemStorage} from '../source/engine/storage/filesystem.js';

export const BENCH_MACHINE = 'bench-host';
const HOUR = 3600_000;
const START = Date.UTC(2015, 0, 1);
const id = (prefix: string, n: number) => prefix + n.toString(36).padStart(12, '0');
const BACKUP = id('b', 1) as BackupId;
/** Bumped when what is built changes; part of the cache's directory name, so builds of other layouts are left alone. */
const LAYOUT = 3;

function record(origin?: Origin): BackupRecord {
  return {
    format: 1,
    id: BACKUP,
    job: 'bench',
    machine: BENCH_MACHINE,
    kind: 'server',
    owner: 'root',
    access: null,
    createdAt: new Date(START).toISOString(),
    nodes: [{name: BENCH_MACHINE, disks: [{name: 'files', kind: 'files', shared: false}]}],
    ...(origin ? {origin} : {}),
  };
}

function manifest(i: number, origin?: Origin): PointManifest {
  return {
    format: 1,
    id: id('p', i + 1) as PointId,
    backupId: BACKUP,
    time: new Date(START + i * HOUR).toISOString(),
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
    ...(origin ? {origin} : {}),
  };
}

/** Writes a repository at `dir` holding the points `indices` names, manifests first, then their catalogue. */
async function build(dir: string, indices: number[], origin?: (repo: Repository) => Origin): Promise<Repository> {
  await rm(dir, {recursive: true, force: true});
  await mkdir(dir, {recursive: true, mode: DIR_MODE});
  const repo = await Repository.create(new FilesystemStorage(dir));
  const from = origin?.(repo);
  await repo.putBackup(record(from));
  const pointsDir = join(dir, 'backups', BACKUP, 'points');
  await mkdir(pointsDir, {recursive: true, mode: DIR_MODE});
  const width = 64;
  const points = [];
  for (let i = 0; i < indices.length; i += width) {
    const batch = indices.slice(i, i + width).map(n => manifest(n, from));
    await Promise.all(batch.map(m => writeFile(join(pointsDir, `${m.id}.json`), JSON.stringify(m), {mode: FILE_MODE})));
    points.push(...batch.map(cataloguePoint));
  }
  const per = Math.ceil(points.length / MERGE_AFTER);
  for (let i = 0; i < points.length; i += per) await appendToCatalogue(repo, BACKUP, points.slice(i, i + per));
  return repo;
}

export interface SyntheticPair {
  /** The repository of one backup with COUNT points. */
  source: string;
  /** A repository holding a copy of every other one of them (the even ones, the first included). */
  target: string;
}

/** Builds (or reuses) both repositories under `dir`; returns their paths. */
export async function syntheticRepositories(
  count = 100_000,
  dir = join(tmpdir(), `backhaul-bench-points-${count}-layout${LAYOUT}`),
): Promise<SyntheticPair> {
  const pair = {source: join(dir, 'source'), target: join(dir, 'target')};
  const done = join(dir, `complete-${LAYOUT}`); // beside the repositories, not inside: they hold only their own keys
  if (existsSync(done)) return pair;
  await rm(dir, {recursive: true, force: true});
  const all = Array.from({length: count}, (_, i) => i);
  const src = await build(pair.source, all);
  const origin = (): Origin => ({
    repositoryId: src.id,
    location: src.location,
    copiedAt: new Date(START).toISOString(),
  });
  await build(
    pair.target,
    all.filter(i => i % 2 === 0),
    origin,
  );
  await writeFile(done, `${count}\n`);
  return pair;
}

/** The source repository alone (bench/tui.ts's held-key run). */
export async function syntheticRepository(count = 100_000): Promise<string> {
  return (await syntheticRepositories(count)).source;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const {values, positionals} = parseArgs({options: {count: {type: 'string'}}, allowPositionals: true});
  const started = Date.now();
  const pair = await syntheticRepositories(Number(values.count ?? 100_000), positionals[0]);
  process.stdout.write(`${pair.source}\n${pair.target}\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
}
