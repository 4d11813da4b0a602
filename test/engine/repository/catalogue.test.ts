// The catalogue (FORMAT.md, "Catalogue"): each committed point appends a
// segment after its manifest; past 16 segments they are merged into one;
// listing a backup's points reads the segments, not the manifests; a point a
// killed writer left without a segment is found again by rebuildCatalogue.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {newBackupId, newPointId, type BackupId} from '../../../source/engine/ids.js';
import {
  cataloguePrefix,
  MERGE_AFTER,
  readCatalogue,
  rebuildCatalogue,
} from '../../../source/engine/repository/catalogue.js';
import type {BackupRecord, PointManifest} from '../../../source/engine/repository/model.js';
import {pointKey, Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

function record(id: BackupId): BackupRecord {
  return {
    format: 1,
    id,
    job: 'j',
    machine: 'm',
    kind: 'server',
    owner: 'root',
    access: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    nodes: [{name: 'm', disks: []}],
  };
}
function manifest(backupId: BackupId, i: number): PointManifest {
  return {
    format: 1,
    id: newPointId(),
    backupId,
    time: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    type: i === 0 ? 'full' : 'incremental',
    nodes: [{name: 'm', disks: []}],
    logicalBytes: 1000 + i,
    storedBytes: i,
  };
}

async function fresh(): Promise<{dir: string; repo: Repository}> {
  const dir = await fs.mkdtemp(join(tmpdir(), 'backhaul-catalogue-'));
  return {dir, repo: await Repository.create(new FilesystemStorage(join(dir, 'repo')))};
}

test('every committed point is in the catalogue; past 16 segments they are merged; listing needs no manifest', async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    const writer = await RepositoryWriter.begin(repo, 'test');
    const made: PointManifest[] = [];
    try {
      for (let i = 0; i < 40; i++) {
        const m = manifest(id, i);
        await writer.commitPoint(record(id), m);
        made.push(m);
      }
    } finally {
      await writer.close();
    }
    const {segments} = await readCatalogue(repo, id);
    assert.ok(segments.length <= MERGE_AFTER + 1, `${segments.length} segments after 40 points`);
    const expected = made.map(m => ({
      id: m.id,
      time: m.time,
      type: m.type,
      logicalBytes: m.logicalBytes,
      storedBytes: m.storedBytes,
      nodes: ['m'],
    }));
    assert.deepEqual(await repo.listPointSummaries(id), expected);
    // The listing reads the catalogue alone: with every manifest gone it is the same.
    await fs.rm(join(dir, 'repo', 'backups', id, 'points'), {recursive: true});
    assert.deepEqual(await repo.listPointSummaries(id), expected);
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});

test('a point whose manifest was written but not its segment is found by rebuildCatalogue', async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    const writer = await RepositoryWriter.begin(repo, 'test');
    try {
      await writer.commitPoint(record(id), manifest(id, 0));
    } finally {
      await writer.close();
    }
    const orphan = manifest(id, 1); // as if the writer was killed between its manifest and its segment
    await repo.putObject(pointKey(id, orphan.id as never), orphan, true);
    assert.deepEqual(
      (await repo.listPointSummaries(id)).length,
      1,
      'the catalogue never names a point it was not told of',
    );
    assert.equal(await rebuildCatalogue(repo, id), 1);
    assert.deepEqual((await repo.listPointSummaries(id)).map(p => p.id).at(-1), orphan.id);
    assert.equal(await rebuildCatalogue(repo, id), 0, 'a second rebuild adds nothing');
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});

test('a damaged segment refuses the listing (corrupt, naming it)', async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    const writer = await RepositoryWriter.begin(repo, 'test');
    try {
      await writer.commitPoint(record(id), manifest(id, 0));
    } finally {
      await writer.close();
    }
    const [name] = await fs.readdir(join(dir, 'repo', cataloguePrefix(id)));
    await fs.writeFile(
      join(dir, 'repo', cataloguePrefix(id), name!),
      JSON.stringify({format: 2, points: [{id: '../x'}], supersedes: []}),
    );
    await assert.rejects(
      repo.listPointSummaries(id),
      (e: {code?: string; message?: string}) => e.code === 'corrupt' && e.message!.includes(name!),
    );
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});

test('writers beside each other (shared locks) append and merge at once: no point is lost, and readers never see a segment vanish', async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    const writers = await Promise.all(
      [1, 2, 3].map(async i => RepositoryWriter.begin(await Repository.open(repo.storage), `writer ${i}`)),
    );
    const made: PointManifest[] = [];
    let reads = 0;
    let writing = true;
    // A reader listing all along: a segment it listed may be merged away before it reads it.
    const reader = (async () => {
      while (writing) {
        await readCatalogue(repo, id);
        reads++;
      }
    })();
    await Promise.all(
      writers.map(async (w, n) => {
        for (let i = 0; i < 20; i++) {
          const m = manifest(id, n * 20 + i);
          made.push(m);
          await w.commitPoint(record(id), m);
        }
      }),
    );
    writing = false;
    await reader;
    for (const w of writers) await w.close();
    const {points, segments} = await readCatalogue(repo, id);
    assert.deepEqual(points.map(p => p.id).sort(), made.map(m => m.id).sort(), 'every point, each once');
    assert.ok(segments.length <= MERGE_AFTER + writers.length, `${segments.length} segments: merges happened`);
    assert.ok(reads > 0);
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});
