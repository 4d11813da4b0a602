/**
 * Agent backups: a machine (file-level or volume-level) or a failover cluster
 * becomes one restore point of one backup. The first point of a job is full;
 * later ones are incremental: unchanged files are not re-read, and unchanged
 * data of any kind is not stored again (content addressing).
 *
 * Cluster shared disks are read once, on their owner node, and the resulting
 * disk manifest is cloned (referenced, not re-read) into every other node.
 */
import {basename, join} from 'node:path';
import {usageError} from '../errors.js';
import {newBackupId, newPointId, type BackupId} from '../ids.js';
import type {
  BackupKind,
  BackupRecord,
  DiskManifest,
  NodeInfo,
  NodeManifest,
  PointManifest,
  Principal,
  TreeEntry,
} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {RepositoryWriter} from '../repository/writer.js';
import type {AgentListener} from './events.js';
import {ChunkPool} from './chunk-pool.js';
import {storeFiles, storeStream} from './file-content.js';
import {Walk, type WalkBatch} from './walk.js';

export type DiskSource =
  | {name: string; kind: 'files'; roots: {root: string; prefix: string}[]; shared?: boolean; ownerNode?: string}
  | {name: string; kind: 'image'; image: string; shared?: boolean; ownerNode?: string};

export interface BackupSpec {
  job: string;
  machine: string;
  kind: BackupKind;
  owner: string;
  nodes: {name: string; disks: DiskSource[]}[];
  /** Time of the restore point (the demo makes points in the past). */
  time?: Date;
}

export interface BackupOptions {
  signal?: AbortSignal;
  onEvent?: AgentListener;
  waitMs?: number;
  /** Read every file even where the parent point's metadata says it is unchanged (escape hatch). */
  forceRead?: boolean;
}

/** `--path DIR...`: one "files" disk; each directory is stored under its base name. */
export function pathsDisk(paths: string[]): DiskSource {
  const seen = new Set<string>();
  const roots = paths.map(root => {
    const prefix = basename(root.replace(/\/+$/, '')) || 'root';
    if (seen.has(prefix))
      throw usageError(
        `Two --path directories are both named "${prefix}".`,
        'Back them up in separate jobs, or pass their common parent.',
      );
    seen.add(prefix);
    return {root, prefix};
  });
  return {name: 'files', kind: 'files', roots};
}

async function findBackup(repo: Repository, job: string, machine: string): Promise<BackupRecord | undefined> {
  return (await repo.listBackups()).find(b => b.job === job && b.machine === machine && !b.origin);
}

function parentDisk(parent: PointManifest | undefined, node: string, disk: string): DiskManifest | undefined {
  return parent?.nodes.find(n => n.name === node)?.disks.find(d => d.name === disk);
}

async function backupDisk(
  writer: RepositoryWriter,
  pool: ChunkPool,
  disk: DiskSource,
  node: string,
  parent: DiskManifest | undefined,
  options: BackupOptions,
  prestarted?: Walk,
): Promise<DiskManifest> {
  const base = {
    name: disk.name,
    kind: disk.kind,
    shared: disk.shared ?? false,
    ...(disk.ownerNode ? {ownerNode: disk.ownerNode} : {}),
  };
  const startStored = writer.stats.bytesAdded;
  const emit = (bytesDone: number, bytesTotal: number, filesDone: number, filesTotal: number) =>
    options.onEvent?.({
      type: 'agent.progress',
      node,
      disk: disk.name,
      bytesDone,
      bytesTotal,
      filesDone,
      filesTotal,
      bytesStored: writer.stats.bytesAdded - startStored,
    });
  if (disk.kind === 'image') {
    let done = 0;
    const {chunks, size} = await storeStream(writer, pool, disk.image, n => emit((done += n), done, 0, 0));
    emit(size, size, 0, 0);
    return {...base, logicalBytes: size, image: {size, chunks}};
  }
  // The walk runs on its own thread; the parent's tree is fetched and parsed meanwhile, and
  // changed files are read as soon as the walk finds them.
  const walk = prestarted ?? new Walk(disk.roots);
  const previous = (async () => {
    const map = new Map<string, TreeEntry>();
    // Only files are ever judged unchanged: directories and links need not be kept.
    if (parent && !options.forceRead)
      for await (const e of writer.repo.readTree(parent)) if (e.type === 'file') map.set(e.path, e);
    return map;
  })();
  previous.catch(() => {}); // awaited by storeFiles
  let total = 0;
  let fileCount = 0;
  const counted = async function* () {
    for await (const batch of walk.batches()) {
      for (const e of batch.entries) {
        if (e.type === 'file') {
          total += e.size;
          fileCount++;
        }
      }
      yield batch;
    }
  };
  const where = (batch: WalkBatch, e: TreeEntry) => {
    const {root, prefix} = disk.roots[batch.root]!;
    return join(root, prefix ? e.path.slice(prefix.length + 1) : e.path);
  };
  let done = 0;
  let count = 0;
  let entries: TreeEntry[];
  try {
    entries = await storeFiles(writer, pool, counted(), where, previous, bytes => {
      done += bytes;
      if (++count % 256 === 0) emit(done, total, count, fileCount);
    });
  } finally {
    await walk.close();
  }
  emit(done, total, count, fileCount);
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const files = entries.filter(e => e.type === 'file');
  const logicalBytes = files.reduce((sum, e) => sum + e.size, 0);
  return {...base, logicalBytes, fileCount: files.length, tree: await writer.addTree(entries)};
}

/** Makes one restore point; returns its manifest. */
export async function runBackup(
  repo: Repository,
  spec: BackupSpec,
  options: BackupOptions = {},
): Promise<PointManifest> {
  const started = Date.now();
  // Shared disks first, on their owner node, so other nodes clone the result.
  const sharedFirst = spec.nodes.flatMap(node => node.disks.filter(d => d.shared && d.ownerNode === node.name));
  const firstDisk = sharedFirst[0] ?? spec.nodes.flatMap(n => n.disks).find(d => !d.shared);
  // The first walk starts before the lock and the index load, which it does not need.
  let early = firstDisk?.kind === 'files' ? new Walk(firstDisk.roots) : undefined;
  const takeWalk = (disk: DiskSource) => {
    if (disk !== firstDisk) return undefined;
    const walk = early;
    early = undefined;
    return walk;
  };
  let writer: RepositoryWriter;
  try {
    writer = await RepositoryWriter.begin(repo, `agent backup ${spec.machine}`, options);
  } catch (e) {
    await early?.close();
    throw e;
  }
  const pool = new ChunkPool(repo.index.knownIds(), {
    compression: repo.compression,
    codec: repo.codec,
    chunker: repo.chunker,
  });
  try {
    const existing = await findBackup(repo, spec.job, spec.machine);
    if (existing && existing.kind !== spec.kind) {
      throw usageError(
        `Job "${spec.job}" for ${spec.machine} is a ${existing.kind} backup, not ${spec.kind}.`,
        'Use another job name.',
      );
    }
    const points = existing ? await repo.listPoints(existing.id) : [];
    const parent = points.at(-1);
    const nodes: NodeManifest[] = [];
    const cloned = new Map<string, DiskManifest>();
    for (const node of spec.nodes) {
      for (const disk of node.disks.filter(d => d.shared && d.ownerNode === node.name)) {
        cloned.set(
          disk.name,
          await backupDisk(
            writer,
            pool,
            disk,
            node.name,
            parentDisk(parent, node.name, disk.name),
            options,
            takeWalk(disk),
          ),
        );
      }
    }
    for (const node of spec.nodes) {
      const disks: DiskManifest[] = [];
      for (const disk of node.disks) {
        disks.push(
          disk.shared
            ? {...cloned.get(disk.name)!}
            : await backupDisk(
                writer,
                pool,
                disk,
                node.name,
                parentDisk(parent, node.name, disk.name),
                options,
                takeWalk(disk),
              ),
        );
      }
      nodes.push({name: node.name, disks});
    }
    const record = mergeRecord(existing, spec, nodes);
    const manifest: PointManifest = {
      format: 1,
      id: newPointId(),
      backupId: record.id,
      time: (spec.time ?? new Date()).toISOString(),
      type: parent ? 'incremental' : 'full',
      ...(parent ? {parent: parent.id} : {}),
      nodes,
      logicalBytes: nodes.reduce((s, n) => s + n.disks.reduce((t, d) => t + d.logicalBytes, 0), 0),
      storedBytes: 0,
    };
    await writer.flush();
    manifest.storedBytes = writer.stats.bytesAdded;
    await writer.commitPoint(record, manifest);
    options.onEvent?.({
      type: 'agent.point',
      backupId: record.id,
      pointId: manifest.id,
      pointType: manifest.type,
      logicalBytes: manifest.logicalBytes,
      storedBytes: manifest.storedBytes,
      seconds: (Date.now() - started) / 1000,
    });
    return manifest;
  } finally {
    await early?.close();
    await pool.close();
    await writer.close();
  }
}

function mergeRecord(existing: BackupRecord | undefined, spec: BackupSpec, nodes: NodeManifest[]): BackupRecord {
  const infos: NodeInfo[] = nodes.map(n => ({
    name: n.name,
    disks: n.disks.map(d => ({
      name: d.name,
      kind: d.kind,
      shared: d.shared,
      ...(d.ownerNode ? {ownerNode: d.ownerNode} : {}),
    })),
  }));
  if (existing) return {...existing, nodes: infos};
  const id: BackupId = newBackupId();
  const access: Principal[] = [`user:${spec.owner}`];
  return {
    format: 1,
    id,
    job: spec.job,
    machine: spec.machine,
    kind: spec.kind,
    owner: spec.owner,
    access,
    createdAt: new Date().toISOString(),
    nodes: infos,
  };
}
