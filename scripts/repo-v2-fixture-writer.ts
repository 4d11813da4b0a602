/**
 * The engine side of make-repo-v2-fixtures.ts: writes one version-2 fixture
 * repository from repo-v2-content.ts through RepositoryWriter (imported only
 * once that script has made randomness and the clock deterministic). Not a
 * test and not run by one.
 */
import {newBackupId, newPointId, type ChunkId} from '../source/engine/ids.js';
import {chunkBuffer} from '../source/engine/repository/chunker.js';
import {masterKeyBytes, newMasterKey} from '../source/engine/repository/crypto/master-key.js';
import {indexIdOf, writeIndexFile, parseIndexFile} from '../source/engine/repository/index-store.js';
import {mergePacks} from '../source/engine/repository/index-compact.js';
import type {BackupRecord, DiskManifest, PointManifest, TreeEntry} from '../source/engine/repository/model.js';
import {Repository} from '../source/engine/repository/repository.js';
import {RepositoryWriter} from '../source/engine/repository/writer.js';
import {FilesystemStorage} from '../source/engine/storage/filesystem.js';
import {V2_PASSWORD, V2_POINT_TIMES, v2Image, v2Tree} from '../test/fixtures/repo-v2-content.js';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';

async function addContent(writer: RepositoryWriter, data: Buffer): Promise<ChunkId[]> {
  const ids: ChunkId[] = [];
  let pos = 0;
  for (const length of chunkBuffer(data)) {
    ids.push(await writer.addChunk(data.subarray(pos, pos + length)));
    pos += length;
  }
  return ids;
}

/** One restore point, committed by a writer of its own (one pack, one index file). */
async function commit(
  repo: Repository,
  record: BackupRecord,
  build: (writer: RepositoryWriter) => Promise<Omit<PointManifest, 'storedBytes'>>,
): Promise<PointManifest> {
  const writer = await RepositoryWriter.begin(repo, 'make test vectors');
  try {
    const partial = await build(writer);
    await writer.flush();
    const manifest: PointManifest = {...partial, storedBytes: writer.stats.bytesAdded};
    await writer.commitPoint(record, manifest);
    return manifest;
  } finally {
    await writer.close();
  }
}

async function filesDisk(writer: RepositoryWriter, point: 1 | 2): Promise<DiskManifest> {
  const entries: TreeEntry[] = [];
  let logicalBytes = 0;
  let files = 0;
  for (const e of v2Tree(point)) {
    const entry: TreeEntry = {
      path: e.path,
      type: e.type,
      mode: e.mode,
      uid: e.uid,
      gid: e.gid,
      mtimeMs: e.mtimeMs,
      size: e.content?.length ?? 0,
    };
    if (e.content) {
      entry.chunks = await addContent(writer, e.content);
      logicalBytes += e.content.length;
      files++;
    }
    if (e.target !== undefined) entry.target = e.target;
    entries.push(entry);
  }
  return {
    name: 'files',
    kind: 'files',
    shared: false,
    logicalBytes,
    fileCount: files,
    tree: await writer.addTree(entries),
  };
}

async function workstation(repo: Repository): Promise<string[]> {
  const machine = 'ws-v2';
  const record: BackupRecord = {
    format: 1,
    id: newBackupId(),
    job: 'home',
    machine,
    kind: 'workstation',
    owner: 'alice',
    access: ['user:alice'],
    createdAt: new Date().toISOString(),
    nodes: [{name: machine, disks: [{name: 'files', kind: 'files', shared: false}]}],
  };
  const before = new Set(await keys(repo, 'index/'));
  let parent: PointManifest | undefined;
  for (const point of [1, 2] as const) {
    parent = await commit(repo, record, async writer => {
      const disk = await filesDisk(writer, point);
      return {
        format: 1,
        id: newPointId(),
        backupId: record.id,
        time: V2_POINT_TIMES[point - 1],
        type: point === 1 ? 'full' : 'incremental',
        ...(parent ? {parent: parent.id} : {}),
        nodes: [{name: machine, disks: [disk]}],
        logicalBytes: disk.logicalBytes,
      };
    });
  }
  return (await keys(repo, 'index/')).filter(k => !before.has(k));
}

async function cluster(repo: Repository): Promise<void> {
  const shared = {name: 'data', kind: 'image', shared: true, ownerNode: 'n2'} as const;
  const record: BackupRecord = {
    format: 1,
    id: newBackupId(),
    job: 'cluster',
    machine: 'cl-v2',
    kind: 'cluster',
    owner: 'bob',
    access: ['group:ops'],
    createdAt: new Date().toISOString(),
    nodes: ['n1', 'n2'].map(name => ({name, disks: [shared]})),
  };
  await commit(repo, record, async writer => {
    const image = v2Image();
    // Read once, on its owner node; every node references the same chunks.
    const disk: DiskManifest = {
      ...shared,
      logicalBytes: image.length,
      image: {size: image.length, chunks: await addContent(writer, image)},
    };
    return {
      format: 1,
      id: newPointId(),
      backupId: record.id,
      time: V2_POINT_TIMES[1],
      type: 'full',
      nodes: ['n1', 'n2'].map(name => ({name, disks: [disk]})),
      logicalBytes: 2 * image.length,
    };
  });
}

async function keys(repo: Repository, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const info of repo.storage.list(prefix)) out.push(info.key);
  return out.sort();
}

/** Writes the fixture at `dir`; returns what a test needs beyond its files (the master key of an encrypted one). */
export async function makeV2Fixture(dir: string, encrypted: boolean): Promise<Record<string, unknown>> {
  const master = encrypted ? newMasterKey() : undefined;
  const repo = await Repository.create(
    new FilesystemStorage(dir),
    master ? {encryption: {password: V2_PASSWORD, master}} : {},
  );
  const wsIndex = await workstation(repo);
  await cluster(repo);
  // The workstation's index files merged into one superseding them, both kept (a compaction killed before its deletes).
  const files = await Promise.all(
    wsIndex.map(async key => parseIndexFile(await repo.storage.get(key), key, repo.codec)),
  );
  const superseding = await writeIndexFile(repo, mergePacks(files), wsIndex.map(indexIdOf));
  await fs.rm(join(dir, 'locks'), {recursive: true, force: true}); // empty: git would not keep it anyway
  await repo.storage.close();
  return {
    id: repo.id,
    ...(master ? {masterKey: masterKeyBytes(master).toString('hex')} : {}),
    superseding: indexIdOf(superseding),
    superseded: wsIndex.map(indexIdOf),
  };
}
