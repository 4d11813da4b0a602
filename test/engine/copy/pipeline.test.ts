/**
 * One transfer pipeline for a whole run (transfer.ts, run.ts): each chunk the
 * target lacks is scheduled once, under the first point and disk that needs
 * it; points are committed oldest first as soon as their chunks have landed;
 * a damaged source chunk that several points share fails each of them and
 * nothing else, while the sound chunks around it are still copied. A copy
 * may start while its plan is still counting (stream.ts), only when the
 * target has room even for everything the source holds.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup} from '../../../source/engine/agent/backup.js';
import type {CopyEvent} from '../../../source/engine/copy/events.js';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import {Scheduler, type JobSpec} from '../../../source/engine/copy/schedule.js';
import {copyWhilePlanning} from '../../../source/engine/copy/stream.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {BackupId} from '../../../source/engine/ids.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {pointChunks, verifyRepository} from '../../../source/engine/repository/verify.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {VerifyPool} from '../../../source/engine/workers/verify-pool.js';
import {randomBuffer} from '../../helpers/cli.js';
import {flipChunkByte} from '../../helpers/damage.js';

const MiB = 1024 * 1024;
let work: string;
let sourceDir: string;
let source: Repository;
let backupId: BackupId;

const backup = (files: string) =>
  runBackup(source, {
    job: 'j',
    machine: 'm',
    kind: 'server',
    owner: userInfo().username,
    nodes: [{name: 'm', disks: [{name: 'files', kind: 'files', roots: [{root: files, prefix: 'data'}]}]}],
  });

async function target(name: string): Promise<Repository> {
  return Repository.create(new FilesystemStorage(join(work, name)));
}

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-pipeline-'));
  const files = join(work, 'files');
  await fs.mkdir(files);
  for (let i = 0; i < 3; i++) await fs.writeFile(join(files, `f${i}.bin`), randomBuffer(5 * MiB + i * 999, 70 + i));
  sourceDir = join(work, 'source');
  source = await Repository.create(new FilesystemStorage(sourceDir));
  await backup(files);
  await fs.writeFile(join(files, 'f3.bin'), randomBuffer(3 * MiB, 90));
  await backup(files); // the second point shares f0-f2 with the first
  backupId = (await source.listBackups())[0]!.id as BackupId;
  source = await Repository.open(new FilesystemStorage(sourceDir));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test('each chunk is scheduled once, under the first segment that needs it; a segment waits for every one before it', async () => {
  const [p1, p2] = await source.listPoints(backupId);
  const first = [...(await pointChunks(source, p1!))];
  const second = [...(await pointChunks(source, p2!))];
  const writer = await RepositoryWriter.begin(await target('schedule'), 'test');
  try {
    const schedule = new Scheduler(source, writer);
    for (const groups of [[first], [second], [[...first]]]) schedule.add({groups});
    schedule.end();
    const shared = first.find(id => second.includes(id))!;
    const own = second.find(id => !first.includes(id))!;
    assert.equal(schedule.ownerOf(shared), 0);
    assert.equal(schedule.ownerOf(own), 1);
    assert.equal(schedule.scheduled[0]!.chunks, new Set(first).size);
    assert.equal(schedule.scheduled[1]!.chunks, new Set(second.filter(id => !first.includes(id))).size);
    assert.deepEqual(schedule.scheduled[2], {chunks: 0, bytes: 0}, 'everything it needs came with the first');
    const jobs: JobSpec[] = [];
    for await (const item of schedule.take()) if ('job' in item) jobs.push(item.job);
    assert.equal(
      jobs.reduce((n, job) => n + job.needed.length, 0),
      schedule.scheduled[0]!.chunks + schedule.scheduled[1]!.chunks,
      'no chunk twice',
    );
    assert.equal(
      new Set(jobs.map(j => j.pack)).size,
      jobs.length,
      'one job per pack when nothing was taken in between',
    );
    assert.ok(schedule.lastJob[0]! <= schedule.lastJob[1]! && schedule.lastJob[1] === schedule.lastJob[2]);
    assert.equal(schedule.lastJob[1], jobs.length - 1);
  } finally {
    await writer.close();
  }
});

test('a job not yet taken keeps taking the chunks later segments need from its pack; one taken does not', async () => {
  const [p1] = await source.listPoints(backupId);
  const ids = [...(await pointChunks(source, p1!))];
  const pack = source.index.packOf(ids.find(id => source.index.byPack().get(source.index.packOf(id)!)!.length >= 3)!)!;
  const inPack = ids.filter(id => source.index.packOf(id) === pack);
  const writer = await RepositoryWriter.begin(await target('incremental'), 'test');
  try {
    const scheduler = new Scheduler(source, writer);
    const items = scheduler.take();
    scheduler.add({groups: [[inPack[0]!]]});
    scheduler.add({groups: [[inPack[1]!]]});
    const first = (await items.next()).value!;
    assert.ok('job' in first && first.job.needed.length === 2 && first.job.pack === pack, 'both chunks in one job');
    assert.deepEqual((await items.next()).value, {added: 1}, 'one word for both segments');
    scheduler.add({groups: [[inPack[2]!]]});
    const second = (await items.next()).value!;
    assert.ok(
      'job' in second && second.job.needed.length === 1 && second.job.index === 1,
      'a new job for the same pack',
    );
    assert.deepEqual(scheduler.lastJob, [0, 0, 1]);
    const waiting = items.next();
    scheduler.add({groups: [[inPack[0]!, inPack[2]!]]});
    assert.deepEqual((await items.next()).value, {added: 3});
    void waiting;
    scheduler.end();
    assert.equal((await items.next()).done, true);
  } finally {
    await writer.close();
  }
});

test('both points stream through one run and are committed oldest first; the copy verifies', async () => {
  const repo = await target('full');
  const plan = await planCopy(source, repo, {backups: [], points: 'all'});
  const events: CopyEvent[] = [];
  const summary = await runCopy(source, repo, plan, {onEvent: e => events.push(e)});
  assert.equal(summary.pointsCopied, 2);
  assert.equal(summary.transferredBytes, plan.transferBytes);
  const points = (await source.listPoints(backupId)).map(p => p.id);
  assert.deepEqual(
    events.flatMap(e => (e.type === 'copy.point' ? [e.pointId] : [])),
    points,
  );
  const disks = events.filter(e => e.type === 'copy.disk');
  const last = (point: string) => disks.filter(e => e.pointId === point).at(-1)!;
  for (const point of points) assert.equal(last(point).bytesDone, last(point).bytesTotal, 'each disk ends complete');
  assert.equal(
    points.map(p => last(p).bytesTotal).reduce((a, b) => a + b, 0),
    plan.transferBytes,
    'every byte credited to one disk',
  );
  const copied = await repo.listPoints(backupId);
  assert.equal(
    copied.reduce((n, p) => n + p.storedBytes, 0),
    summary.storedBytes,
    'stored bytes are split between the points',
  );
  assert.equal((await verifyRepository(await Repository.open(repo.storage))).ok, true);
});

test('a damaged chunk both points share fails both; the sound chunks of its pack still land; a re-run after repair sends only it', async () => {
  const [p1, p2] = await source.listPoints(backupId);
  const second = await pointChunks(source, p2!);
  const trees = new Set<string>(p1!.nodes.flatMap(n => n.disks.flatMap(d => d.tree ?? [])));
  const shared: string = [...(await pointChunks(source, p1!))].find(id => second.has(id) && !trees.has(id))!;
  const unflip = await flipChunkByte(sourceDir, source, shared);
  const repo = await target('damaged');
  try {
    const plan = await planCopy(source, repo, {backups: [], points: 'all'});
    const summary = await runCopy(source, repo, plan);
    assert.equal(summary.pointsFailed, 2);
    assert.equal(summary.pointsCopied, 0);
    for (const f of summary.failed) assert.match(f.message, new RegExp(`damaged \\(first: ${shared.slice(0, 12)}\\)`));
    const reopened = await Repository.open(repo.storage);
    assert.equal(reopened.index.has(shared), false, 'the damaged chunk was not written');
    const packmates = source.index
      .byPack()
      .get(source.index.packOf(shared)!)!
      .map(b => b[0])
      .filter(id => id !== shared);
    assert.deepEqual(
      packmates.filter(id => !reopened.index.has(id)).map(id => id.slice(0, 8)),
      [],
      'its sound packmates were copied',
    );
    assert.ok(packmates.length > 0);
    assert.equal((await verifyRepository(reopened)).ok, true);
  } finally {
    await unflip();
  }
  const again = await runCopy(
    source,
    await Repository.open(repo.storage),
    await planCopy(source, await Repository.open(repo.storage), {backups: [], points: 'all'}),
  );
  assert.equal(again.pointsCopied, 2);
  assert.equal(again.transferredBytes, source.index.lengthOf(shared), 'only the chunk that was damaged');
});

/** A real directory whose free space reads as `free` bytes (the disk-full tests use a real tmpfs). */
class FreeSpaceStorage extends FilesystemStorage {
  constructor(
    root: string,
    private readonly free: number,
  ) {
    super(root);
  }
  override async freeSpace(): Promise<number> {
    return this.free;
  }
}

const eventOrder = (events: CopyEvent[]) =>
  events.filter(e => e.type === 'copy.start' || e.type === 'copy.plan').map(e => e.type);

test('streamed: the run starts before the plan is complete and copies what a planned run does', async () => {
  const expected = await planCopy(source, await target('reference'), {backups: [], points: 'all'});
  const repo = await target('streamed');
  const events: CopyEvent[] = [];
  const pool = new VerifyPool(2);
  try {
    const {plan, summary} = await copyWhilePlanning(
      source,
      repo,
      {backups: [], points: 'all'},
      {pool, onEvent: e => events.push(e)},
    );
    assert.deepEqual(eventOrder(events), ['copy.start', 'copy.plan'], 'the plan completed while the run went');
    assert.equal(plan.transferBytes, expected.transferBytes);
    assert.equal(summary.pointsCopied, 2);
    assert.equal(summary.transferredBytes, expected.transferBytes);
  } finally {
    await pool.close();
  }
  assert.equal((await verifyRepository(await Repository.open(repo.storage))).ok, true);
});

test('room for the copy but not for all the source holds: planned first, then copied; too little: refused, nothing written', async () => {
  const [p1] = await source.listPoints(backupId);
  const selection = {backups: [], points: p1!.id};
  const need = (await planCopy(source, await target('need'), selection)).storeBytes;
  const pool = new VerifyPool(2);
  try {
    const roomy = await Repository.create(new FreeSpaceStorage(join(work, 'roomy'), need + 4096));
    const events: CopyEvent[] = [];
    const {summary} = await copyWhilePlanning(source, roomy, selection, {pool, onEvent: e => events.push(e)});
    assert.deepEqual(eventOrder(events), ['copy.plan', 'copy.start'], 'counted first: the bound did not fit');
    assert.equal(summary.pointsCopied, 1);

    const tight = await Repository.create(new FreeSpaceStorage(join(work, 'tight'), need - 1));
    await assert.rejects(
      copyWhilePlanning(source, tight, selection, {pool}),
      (e: unknown) => e instanceof BackhaulError && e.code === 'no-space',
    );
    assert.deepEqual(await fs.readdir(join(work, 'tight', 'data')).catch(() => []), [], 'nothing written');
  } finally {
    await pool.close();
  }
});
