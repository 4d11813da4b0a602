// The catalogue (FORMAT.md, "Catalogue"): each committed point appends a
// segment after its manifest; past 16 segments they are merged into one;
// listing a backup's points reads the segments, not the manifests; a point a
// killed writer left without a segment is found again by rebuildCatalogue.
// Version 2 segments (older writers) are read beside version 3 ones; counts
// and node counts come from headers and ids, never from rows.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {newBackupId, newPointId, type BackupId} from '../../../source/engine/ids.js';
import zstd from '@mongodb-js/zstd/bindings.js';
import {
  appendToCatalogue,
  cataloguePoint,
  cataloguePrefix,
  MERGE_AFTER,
  readCatalogue,
  rebuildCatalogue,
  rebuildCatalogueOf,
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

/** Commits points `from` … `to - 1` of backup `id` through a writer; returns their manifests. */
async function commitPoints(repo: Repository, id: BackupId, from: number, to: number): Promise<PointManifest[]> {
  const writer = await RepositoryWriter.begin(repo, 'test');
  const made: PointManifest[] = [];
  try {
    for (let i = from; i < to; i++) {
      const m = manifest(id, i);
      await writer.commitPoint(record(id), m);
      made.push(m);
    }
  } finally {
    await writer.close();
  }
  return made;
}

test('every committed point is in the catalogue; past 16 segments they are merged; listing needs no manifest', async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    const made = await commitPoints(repo, id, 0, 40);
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
    await commitPoints(repo, id, 0, 1);
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
    await commitPoints(repo, id, 0, 1);
    const [name] = await fs.readdir(join(dir, 'repo', cataloguePrefix(id)));
    await fs.writeFile(
      join(dir, 'repo', cataloguePrefix(id), name!),
      JSON.stringify({format: 2, points: [{id: '../x'}], supersedes: []}),
    );
    await assert.rejects(
      repo.listPointSummaries(id),
      (e: {code?: string; message?: string; hint?: string}) =>
        e.code === 'corrupt' && e.message!.includes(name!) && e.hint!.includes('rebuild-catalog'),
    );
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});

test('the rebuild its hint names replaces a damaged segment from the manifests; every point is listed again', async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    const made = await commitPoints(repo, id, 0, 3);
    const segments = join(dir, 'repo', cataloguePrefix(id));
    const names = (await fs.readdir(segments)).sort();
    await fs.writeFile(join(segments, names[1]!), Buffer.from('not a segment'));
    await assert.rejects(repo.listPointSummaries(id), {code: 'corrupt'});

    const rebuilt = await rebuildCatalogueOf(repo, id);
    assert.deepEqual(rebuilt, {added: 3, replaced: [names[1]]});
    assert.deepEqual(
      (await repo.listPointSummaries(id)).map(p => p.id),
      made.map(m => m.id),
    );
    const left = await fs.readdir(segments);
    assert.equal(left.length, 1, 'one segment supersedes them all, and they are gone');
    assert.deepEqual(await rebuildCatalogueOf(repo, id), {added: 0, replaced: []}, 'run again, nothing to do');

    // Damaged again (a version 2 segment whose points are not a list), in a repository opened anew: replaced again.
    await fs.writeFile(join(segments, left[0]!), Buffer.from('{"format": 2, "points": 7}'));
    const again = await rebuildCatalogueOf(await Repository.open(repo.storage), id);
    assert.deepEqual(again, {added: 3, replaced: left});
    assert.equal((await repo.listPointSummaries(id)).length, 3);
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

/** The old writer's segment (version 2): indented JSON through the codec, as catalogue.ts wrote it before version 3. */
async function putV2Segment(repo: Repository, id: BackupId, seq: number, points: PointManifest[]): Promise<string> {
  const name = `${String(seq).padStart(12, '0')}-${(0xa0000000 + seq).toString(16)}.json`;
  await repo.putObject(
    cataloguePrefix(id) + name,
    {format: 2, points: points.map(cataloguePoint), supersedes: []},
    true,
  );
  return name;
}

const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

test('version 2 segments and version 3 ones are read together; the merge writes version 3 and removes both; rebuild works beside them', async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    const made: PointManifest[] = [];
    // Ten points an older Backhaul committed: manifests, then version 2 segments.
    for (let i = 0; i < 10; i++) {
      const m = manifest(id, i);
      if (i === 0) await repo.putBackup(record(id));
      await repo.putObject(pointKey(id, m.id as never), m, true);
      await putV2Segment(repo, id, i + 1, [m]);
      made.push(m);
    }
    const writer = await RepositoryWriter.begin(repo, 'test');
    try {
      for (let i = 10; i < 14; i++) {
        const m = manifest(id, i);
        await writer.commitPoint(record(id), m);
        made.push(m);
      }
      const catalog = join(dir, 'repo', cataloguePrefix(id));
      const versions = async () =>
        Promise.all(
          (await fs.readdir(catalog))
            .sort()
            .map(async n => ((await fs.readFile(join(catalog, n)))[0] === 0x28 ? 3 : 2)),
        );
      assert.deepEqual(await versions(), [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3], 'old and new side by side');
      const fresh2 = await Repository.open(repo.storage);
      assert.deepEqual(
        (await fresh2.listPointSummaries(id)).map(p => p.id),
        made.map(m => m.id),
      );
      assert.deepEqual(await fresh2.pointTotals(id), {
        count: 14,
        oldest: made[0]!.time,
        newest: made.at(-1)!.time,
        logicalBytes: made.reduce((s, m) => s + m.logicalBytes, 0),
        storedBytes: made.reduce((s, m) => s + m.storedBytes, 0),
      });
      // Past 16 segments: one merged segment, version 3, superseding and replacing every one read.
      for (let i = 14; i < 17; i++) {
        const m = manifest(id, i);
        await writer.commitPoint(record(id), m);
        made.push(m);
      }
      assert.deepEqual(await versions(), [3], 'merged into one version 3 segment');
      const [merged] = await fs.readdir(catalog);
      assert.deepEqual([...(await fs.readFile(join(catalog, merged!))).subarray(0, 4)], ZSTD_MAGIC);
    } finally {
      await writer.close();
    }
    const after = await Repository.open(repo.storage);
    assert.deepEqual(
      (await after.listPointSummaries(id)).map(p => p.id),
      made.map(m => m.id),
    );
    // A manifest no segment names (a writer killed between the two): rebuild adds exactly it.
    const orphan = manifest(id, 30);
    await after.putObject(pointKey(id, orphan.id as never), orphan, true);
    assert.equal(await rebuildCatalogue(after, id), 1);
    assert.equal((await after.pointTotals(id)).count, made.length + 1);
    assert.equal(await rebuildCatalogue(after, id), 0);
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});

test('counts and node counts read no rows: a segment whose rows line is damaged still counts, and listing it is corrupt', async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    await commitPoints(repo, id, 0, 3);
    const catalog = join(dir, 'repo', cataloguePrefix(id));
    const [first] = (await fs.readdir(catalog)).sort();
    const text = (await zstd.decompress(await fs.readFile(join(catalog, first!)))).toString('utf8').split('\n');
    text[2] = JSON.stringify({...JSON.parse(text[2]!), types: 'x'});
    await fs.writeFile(join(catalog, first!), await zstd.compress(Buffer.from(text.join('\n')), 3));
    const reader = await Repository.open(repo.storage);
    assert.equal((await reader.pointTotals(id)).count, 3);
    assert.equal((await reader.pointNodeCounts(id)).size, 3);
    await assert.rejects(
      reader.listPointSummaries(id),
      (e: {code?: string; message?: string}) => e.code === 'corrupt' && e.message!.includes(first!),
    );
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});

test("a point named by two segments (a copy added nodes to it) counts once, with the later segment's row", async () => {
  const {dir, repo} = await fresh();
  try {
    const id = newBackupId();
    const one = manifest(id, 0);
    const two = manifest(id, 1);
    await appendToCatalogue(repo, id, [cataloguePoint(one), cataloguePoint(two)]);
    const grown = {...cataloguePoint(two), nodes: ['m', 'n'], logicalBytes: two.logicalBytes * 2};
    await appendToCatalogue(repo, id, [grown]);
    const reader = await Repository.open(repo.storage);
    assert.deepEqual(await reader.pointTotals(id), {
      count: 2,
      oldest: one.time,
      newest: two.time,
      logicalBytes: one.logicalBytes + grown.logicalBytes,
      storedBytes: one.storedBytes + two.storedBytes,
    });
    assert.deepEqual(
      [...(await reader.pointNodeCounts(id))],
      [
        [one.id, 1],
        [two.id, 2],
      ],
    );
    assert.deepEqual((await reader.listPointSummaries(id)).at(-1), grown);
    // An older point appended after newer ones (a copy of an old point): ranges meet, ids differ; it counts.
    const older = {...manifest(id, 0), id: newPointId(), time: '2025-12-31T00:00:00.000Z'};
    await appendToCatalogue(repo, id, [cataloguePoint(older)]);
    const again = await Repository.open(repo.storage);
    assert.equal((await again.pointTotals(id)).count, 3);
    assert.equal((await again.pointTotals(id)).oldest, older.time);
    assert.equal((await again.listPointSummaries(id))[0]!.id, older.id);
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});

test('an encrypted repository seals its version 3 segments: no zstd frame or point id in the stored bytes, and they read back', async () => {
  const dir = await fs.mkdtemp(join(tmpdir(), 'backhaul-catalogue-enc-'));
  try {
    const password = async () => 'catalogue password';
    const repo = await Repository.create(new FilesystemStorage(join(dir, 'repo')), {
      encryption: {password: 'catalogue password'},
    });
    const id = newBackupId();
    const made: PointManifest[] = [];
    const writer = await RepositoryWriter.begin(repo, 'test');
    try {
      for (let i = 0; i < 3; i++) {
        const m = manifest(id, i);
        await writer.commitPoint(record(id), m);
        made.push(m);
      }
    } finally {
      await writer.close();
    }
    const catalog = join(dir, 'repo', cataloguePrefix(id));
    for (const name of await fs.readdir(catalog)) {
      const stored = await fs.readFile(join(catalog, name));
      assert.notDeepEqual([...stored.subarray(0, 4)], ZSTD_MAGIC, 'sealed, not a bare frame');
      for (const m of made) assert.ok(!stored.includes(m.id), `${name} shows no point id`);
    }
    const reader = await Repository.open(new FilesystemStorage(join(dir, 'repo')), {password});
    assert.deepEqual(
      (await reader.listPointSummaries(id)).map(p => p.id),
      made.map(m => m.id),
    );
    assert.equal((await reader.pointTotals(id)).count, 3);
    // A segment moved to another key does not open (the storage key is the seal's additional data).
    const names = (await fs.readdir(catalog)).sort();
    await fs.copyFile(join(catalog, names[0]!), join(catalog, '000000000099-00000000.json'));
    const moved = await Repository.open(new FilesystemStorage(join(dir, 'repo')), {password});
    await assert.rejects(moved.pointTotals(id), (e: {code?: string}) => e.code === 'corrupt');
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});

test('a repository whose config names no segment version (made before version 3) gets version 2 segments, merged ones too, so older builds still read it', async () => {
  const {dir, repo: made} = await fresh();
  try {
    const configPath = join(dir, 'repo', 'config');
    const config = JSON.parse(await fs.readFile(configPath, 'utf8'));
    assert.equal(config.catalogueSegments, 3, 'new repositories write version 3');
    delete config.catalogueSegments;
    await fs.writeFile(configPath, JSON.stringify(config, null, 2) + '\n');
    const repo = await Repository.open(made.storage);
    const id = newBackupId();
    const points: PointManifest[] = [];
    const writer = await RepositoryWriter.begin(repo, 'test');
    try {
      for (let i = 0; i < MERGE_AFTER + 2; i++) {
        const m = manifest(id, i);
        await writer.commitPoint(record(id), m);
        points.push(m);
      }
    } finally {
      await writer.close();
    }
    const catalog = join(dir, 'repo', cataloguePrefix(id));
    for (const name of await fs.readdir(catalog)) {
      const parsed = JSON.parse(await fs.readFile(join(catalog, name), 'utf8'));
      assert.equal(parsed.format, 2, `${name} is a version 2 segment`);
    }
    const again = await Repository.open(made.storage);
    assert.deepEqual(
      (await again.listPointSummaries(id)).map(p => p.id),
      points.map(m => m.id),
    );
    // A segment version this build does not know is refused, never guessed at.
    await fs.writeFile(configPath, JSON.stringify({...config, catalogueSegments: 4}, null, 2) + '\n');
    await assert.rejects(Repository.open(made.storage), /catalogue segments of version 4/);
  } finally {
    await fs.rm(dir, {recursive: true, force: true});
  }
});
