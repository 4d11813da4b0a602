/**
 * A repository held open while another process commits to it (issue 13,
 * item 11: a TUI left open while an agent backup runs). Every reader of the
 * handle opened before the commit — chunk reads, restore, the copy plan,
 * the copy run, verify — reads the index again once on a miss and finds the
 * new point's chunks, with misses at the same time sharing one re-read; a
 * chunk or pack that really is missing is still corruption (exit 12).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup, type BackupSpec} from '../../../source/engine/agent/backup.js';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import {copyWhilePlanning} from '../../../source/engine/copy/stream.js';
import {BackhaulError, EXIT} from '../../../source/engine/errors.js';
import type {ChunkId} from '../../../source/engine/ids.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {packKey} from '../../../source/engine/repository/pack.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {pointChunks, verifyRepository} from '../../../source/engine/repository/verify.js';
import {restorePoint} from '../../../source/engine/restore/restore.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {VerifyPool} from '../../../source/engine/workers/verify-pool.js';
import {randomBuffer} from '../../helpers/cli.js';

/** Counts listings of index/ (each is one re-read of the index), and can run something just before backups/ is listed. */
class WatchedStorage extends FilesystemStorage {
  indexListings = 0;
  beforeBackupListing: (() => Promise<void>) | undefined;
  override list(prefix: string) {
    if (prefix === 'index/') this.indexListings++;
    return super.list(prefix);
  }
  override async listDirectories(prefix: string): Promise<string[]> {
    const hook = prefix === 'backups/' ? this.beforeBackupListing : undefined;
    this.beforeBackupListing = undefined;
    await hook?.();
    return super.listDirectories(prefix);
  }
}

let work: string;
let primary: string;
let files: string;
let round = 0;
const spec = (): BackupSpec => ({
  job: 'laptops',
  machine: 'alice-laptop',
  kind: 'workstation',
  owner: userInfo().username,
  nodes: [{name: 'alice-laptop', disks: [{name: 'files', kind: 'files', roots: [{root: files, prefix: 'home'}]}]}],
});

/** An agent backup as another process would make it: its own handle on the repository, new data in a new point. */
async function agentBackup(): Promise<PointManifest> {
  round++;
  await fs.writeFile(join(files, `new-${round}.bin`), randomBuffer(3 * 1024 * 1024 + round, 500 + round));
  await fs.writeFile(join(files, `note-${round}.txt`), `round ${round}\n`);
  return runBackup(await Repository.open(new FilesystemStorage(primary)), spec());
}

/** A handle opened before an agent backup commits a new point; the point and the chunks the handle does not know. */
async function staleHandle(): Promise<{
  stale: Repository;
  storage: WatchedStorage;
  point: PointManifest;
  unknown: string[];
}> {
  const storage = new WatchedStorage(primary);
  const stale = await Repository.open(storage);
  const point = await agentBackup();
  const unknown = [...(await pointChunks(await Repository.open(new FilesystemStorage(primary)), point))].filter(
    id => !stale.index.has(id),
  );
  assert.ok(unknown.length > 3, 'the new point brought chunks the old handle does not know');
  return {stale, storage, point, unknown};
}

const newTarget = async (name: string) => Repository.create(new FilesystemStorage(join(work, name)));

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-stale-'));
  primary = join(work, 'primary');
  files = join(work, 'files');
  await fs.mkdir(files);
  await fs.writeFile(join(files, 'report.txt'), 'quarterly report\n');
  await fs.writeFile(join(files, 'photo.jpg'), randomBuffer(2 * 1024 * 1024, 1));
  await runBackup(await Repository.create(new FilesystemStorage(primary)), spec());
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test("the old handle reads the new point's chunks; misses at the same time share one re-read of the index", async () => {
  const {stale, storage, point, unknown} = await staleHandle();
  const listings = storage.indexListings;
  const chunks = await Promise.all(unknown.map(id => stale.readChunk(id as ChunkId)));
  assert.equal(chunks.length, unknown.length);
  assert.equal(storage.indexListings - listings, 1, 'one re-read for every miss at once');
  assert.ok((await pointChunks(stale, point)).size >= unknown.length);
  assert.equal(storage.indexListings - listings, 1, 'chunks it now knows need no further re-read');
});

test('the old handle restores the new point', async () => {
  const {stale, point} = await staleHandle();
  const backup = await stale.getBackup(point.backupId);
  const to = join(work, 'restored');
  await restorePoint(stale, backup, point, {to});
  assert.deepEqual(
    await fs.readFile(join(to, 'home', `new-${round}.bin`)),
    await fs.readFile(join(files, `new-${round}.bin`)),
  );
  assert.equal(await fs.readFile(join(to, 'home', `note-${round}.txt`), 'utf8'), `round ${round}\n`);
});

test("a copy plan from the old handle counts the new point's bytes, and the copy succeeds", async () => {
  const {stale, point} = await staleHandle();
  const target = await newTarget('plan-target');
  const plan = await planCopy(stale, target, {backups: [point.backupId], points: 'latest'});
  const fresh = await Repository.open(new FilesystemStorage(primary));
  const expected = await planCopy(fresh, await Repository.open(new FilesystemStorage(join(work, 'plan-target'))), {
    backups: [point.backupId],
    points: 'latest',
  });
  const planned = plan.backups[0]!.points.find(p => p.id === point.id)!;
  assert.equal(planned.action, 'copy');
  assert.equal(planned.failure, undefined, 'no "chunk is missing" in the plan');
  assert.ok(plan.transferBytes > 3 * 1024 * 1024, 'the new data is counted, not 0 B');
  assert.equal(plan.transferBytes, expected.transferBytes, 'the same bytes as a handle opened now');
  assert.equal(plan.chunksToTransfer, expected.chunksToTransfer);
  const summary = await runCopy(stale, target, plan);
  assert.deepEqual([summary.result, summary.pointsCopied, summary.pointsFailed], ['success', 1, 0]);
  assert.equal(
    (await verifyRepository(await Repository.open(new FilesystemStorage(join(work, 'plan-target'))))).ok,
    true,
  );
});

test('a copy run from the old handle, of a plan made by a new one, schedules the chunks the old index lacked', async () => {
  const {stale, storage, point} = await staleHandle();
  const target = await newTarget('run-target');
  const plan = await planCopy(await Repository.open(new FilesystemStorage(primary)), target, {
    backups: [point.backupId],
    points: 'all',
  });
  const listings = storage.indexListings;
  const summary = await runCopy(stale, target, plan);
  assert.deepEqual([summary.result, summary.pointsFailed, summary.failed], ['success', 0, []]);
  assert.equal(summary.pointsCopied, plan.pointsToCopy);
  assert.ok(storage.indexListings > listings, 'the run read the index again');
  const copied = await Repository.open(new FilesystemStorage(join(work, 'run-target')));
  assert.equal((await verifyRepository(copied)).ok, true);
  assert.deepEqual(await pointChunks(copied, point), await pointChunks(stale, point));
});

test("a copy that plans while it runs (the command's path), from the old handle, copies the new point", async () => {
  const {stale, point} = await staleHandle();
  const target = await newTarget('stream-target');
  const pool = new VerifyPool();
  try {
    const {plan, summary} = await copyWhilePlanning(
      stale,
      target,
      {backups: [point.backupId], points: 'latest'},
      {pool},
    );
    assert.ok(plan.transferBytes > 3 * 1024 * 1024);
    assert.deepEqual([summary.result, summary.pointsCopied, summary.pointsFailed], ['success', 1, 0]);
  } finally {
    await pool.close();
  }
});

test('verify finds the chunks of a point committed after it loaded the index, and checks their packs', async () => {
  const storage = new WatchedStorage(primary);
  const repo = await Repository.open(storage);
  let committed: PointManifest | undefined;
  // The agent commits after verify has read the index and checked the packs, just before it lists the backups.
  storage.beforeBackupListing = async () => {
    committed = await agentBackup();
  };
  const report = await verifyRepository(repo);
  assert.ok(committed, 'the agent backup ran during verify');
  assert.deepEqual(report.brokenPoints, []);
  assert.equal(report.ok, true);
  const fresh = await verifyRepository(await Repository.open(new FilesystemStorage(primary)));
  assert.deepEqual(
    [report.points, report.chunks, report.packs],
    [fresh.points, fresh.chunks, fresh.packs],
    'every pack checked, the new ones too',
  );
});

test('a chunk that really is missing is still corruption (exit 12), after one re-read', async () => {
  const {stale, storage, point} = await staleHandle();
  const listings = storage.indexListings;
  const absent = 'f'.repeat(64) as ChunkId;
  await assert.rejects(
    stale.readChunk(absent),
    (e: unknown) =>
      e instanceof BackhaulError &&
      e.code === 'corrupt' &&
      e.exitCode === EXIT.corrupt &&
      /^Chunk ffffffffffff is missing from /.test(e.message),
  );
  assert.equal(storage.indexListings - listings, 1);
  // A point whose manifest names it: restore names the point, exit 12.
  const disk = point.nodes[0]!.disks[0]!;
  const damaged: PointManifest = {
    ...point,
    nodes: [{...point.nodes[0]!, disks: [{...disk, tree: [...disk.tree!, absent]}]}],
  };
  await assert.rejects(
    restorePoint(stale, await stale.getBackup(point.backupId), damaged, {to: join(work, 'never')}),
    (e: unknown) =>
      e instanceof BackhaulError &&
      e.exitCode === EXIT.corrupt &&
      /is damaged: Chunk ffffffffffff is missing/.test(e.message),
  );
});

test('a pack that really is missing is still corruption, after the index is read again whole', async () => {
  const {stale, unknown} = await staleHandle();
  const id = unknown[0]! as ChunkId;
  await stale.readChunk(id);
  const pack = stale.index.packOf(id)!;
  await fs.rename(join(primary, packKey(pack)), join(work, 'moved-pack'));
  try {
    const reader = await Repository.open(new FilesystemStorage(primary));
    await assert.rejects(
      reader.readChunk(id),
      (e: unknown) =>
        e instanceof BackhaulError &&
        e.exitCode === EXIT.corrupt &&
        e.message === `Pack ${pack.slice(0, 12)} holding chunk ${id.slice(0, 12)} is missing from ${primary}.`,
    );
  } finally {
    await fs.rename(join(work, 'moved-pack'), join(primary, packKey(pack)));
  }
});
