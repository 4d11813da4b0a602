/**
 * A job's retention (operations/job-retention.ts) end to end, with the real
 * CLI and detached runs: a job with a policy of last 3 + weekly 2 run after
 * each of 8 new agent points (a simulated clock: the points' own times)
 * leaves on the target exactly the points the policy keeps over everything
 * it copied, every kept point reads back as the source held it, the source
 * is untouched; `job status --json` reports kept / removed / bytesFreed /
 * lastPrune; the first run prunes (never pruned), the next ones do not
 * (7 days not passed) until the schedule is made due; a run whose copy
 * fails runs no retention.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import type {BackupId} from '../../../source/engine/ids.js';
import {selectPoints} from '../../../source/engine/retention/policy.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {emptyWorkspace, type Workspace} from '../../helpers/demo-cache.js';
import {history, jobStatus, killRuns, sleep} from '../../helpers/jobs.js';
import {changingBackups, packBytes, pointState} from '../../helpers/retention.js';

const POLICY = {keepLast: 3, keepWeekly: 2};

/** Every file of a repository but its locks, with its bytes' SHA-256: what "untouched" compares. */
async function snapshot(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, {recursive: true, withFileTypes: true})) {
    const path = join(e.parentPath, e.name);
    if (!e.isFile() || path.slice(dir.length).startsWith('/locks')) continue;
    out.push(
      `${path.slice(dir.length)} ${createHash('sha256')
        .update(await fs.readFile(path))
        .digest('hex')}`,
    );
  }
  return out.sort();
}

describe('a job with a retention policy', () => {
  let ws: Workspace;
  let srcDir: string;
  let dstDir: string;
  let source: Repository;

  before(async () => {
    ws = await emptyWorkspace('job-retention');
    srcDir = join(ws.dir, 'src-repo');
    dstDir = join(ws.dir, 'dst-repo');
    source = await Repository.create(new FilesystemStorage(srcDir));
    await Repository.create(new FilesystemStorage(dstDir));
    for (const [name, dir] of [
      ['src', srcDir],
      ['dst', dstDir],
    ])
      assert.equal((await ws.run(['repo', 'add', name!, dir!])).code, 0);
  });
  after(async () => {
    if (ws) killRuns(ws);
    await ws?.cleanup();
  });

  /** Runs the job now and waits for its end; returns its history record. */
  async function runJob(name: string): Promise<any> {
    const started = await ws.run(['job', 'run', name, '--json']);
    assert.equal(started.code, 0, started.stderr);
    const {runId} = JSON.parse(started.stdout);
    await ws.run(['attach', runId], {timeoutMs: 120_000});
    const record = (await history(ws, name)).find(s => s.runId === runId);
    assert.ok(record, `run ${runId} is in the history`);
    return record;
  }

  const targetPoints = async (backup: BackupId) =>
    (await (await Repository.open(new FilesystemStorage(dstDir))).listPoints(backup)).map(p => p.id);

  test('8 runs with new agent points between them: the target keeps exactly the policy’s points; the source is untouched; status reports it', async t => {
    const add = await ws.run([
      'job',
      'add',
      'keep3',
      '--from',
      'src',
      '--to',
      'dst',
      '--mode',
      'periodic',
      '--every',
      '1d',
      '--points',
      'latest',
      '--keep-last',
      '3',
      '--keep-weekly',
      '2',
    ]);
    assert.equal(add.code, 0, add.stderr);
    const records: any[] = [];
    const states = await changingBackups(
      source,
      join(ws.dir, 'src-files'),
      {runs: 8, start: '2026-01-01T00:00:00Z', hours: 30, size: 60_000},
      async () => {
        const before = await snapshot(srcDir);
        const record = await runJob('keep3');
        assert.equal(record.summary.result, 'success', JSON.stringify(record.log));
        assert.equal(record.summary.pointsCopied, 1);
        assert.deepEqual(await snapshot(srcDir), before, 'the source is byte for byte the same');
        records.push(record);
      },
    );
    const [backup] = await source.listBackups();
    const all = await source.listPoints(backup!.id);
    assert.equal(all.length, 8, 'the source keeps every point');
    const expected = selectPoints(all, POLICY);
    const left = await targetPoints(backup!.id);
    assert.deepEqual(
      left,
      expected.kept.map(k => k.point.id),
    );
    assert.ok(left.length < 8 && left.length >= 3, `${left.length} left`);
    const dst = await Repository.open(new FilesystemStorage(dstDir));
    for (const id of left) assert.equal(await pointState(dst, backup!.id, id), states.get(id), id);
    assert.ok((await verifyRepository(dst)).ok);

    // Every run's record says what its retention did; removed adds up to what is gone.
    assert.ok(records.every(r => r.retention && typeof r.retention.kept === 'number'));
    assert.equal(
      records.reduce((s, r) => s + r.retention.removed, 0),
      8 - left.length,
    );
    assert.deepEqual(
      records.map(r => r.retention.pruned),
      [true, false, false, false, false, false, false, false],
    );
    assert.equal(records.at(-1).retention.kept, left.length);

    const status = await jobStatus(ws, 'keep3');
    t.diagnostic(JSON.stringify(status.retention));
    assert.equal(status.retention.kept, left.length);
    assert.equal(status.retention.removed, records.at(-1).retention.removed);
    assert.equal(status.retention.bytesFreed, 0);
    assert.equal(status.retention.lastPrune, records[0].summary.endedAt);
    const text = await ws.run(['job', 'status', 'keep3']);
    assert.match(
      text.stdout,
      new RegExp(`keep3 retention \\(.*\\): kept ${left.length}, removed \\d+, freed 0 B; last prune .* ago`),
    );

    // The schedule made due: the next run prunes, and frees what the removed points held alone.
    assert.equal((await ws.run(['job', 'edit', 'keep3', '--prune-every', '1s'])).code, 0);
    await sleep(1100);
    const bytesBefore = await packBytes(dstDir);
    const pruned = await runJob('keep3'); // nothing new: still a successful run, and retention runs
    assert.equal(pruned.summary.result, 'success', JSON.stringify(pruned.log));
    assert.equal(pruned.retention.pruned, true);
    assert.ok(pruned.retention.bytesFreed > 0, JSON.stringify(pruned.retention));
    assert.equal(bytesBefore - (await packBytes(dstDir)), pruned.retention.bytesFreed);
    const after = await jobStatus(ws, 'keep3');
    assert.equal(after.retention.bytesFreed, pruned.retention.bytesFreed);
    assert.equal(after.retention.lastPrune, pruned.summary.endedAt);
    assert.deepEqual(await targetPoints(backup!.id), left);
    assert.ok((await verifyRepository(await Repository.open(new FilesystemStorage(dstDir)))).ok);
  });

  test('with --points all, a run copies only the points its policy keeps, and the next copies none of the removed again', async () => {
    const dir = join(ws.dir, 'dst-all-repo');
    await Repository.create(new FilesystemStorage(dir));
    assert.equal((await ws.run(['repo', 'add', 'dst-all', dir])).code, 0);
    const add = await ws.run([
      'job',
      'add',
      'allpts',
      '--from',
      'src',
      '--to',
      'dst-all',
      '--mode',
      'periodic',
      '--every',
      '1d',
      '--points',
      'all',
      '--keep-last',
      '3',
    ]);
    assert.equal(add.code, 0, add.stderr);
    const [backup] = await source.listBackups();
    const newest3 = (await source.listPoints(backup!.id)).slice(-3).map(p => p.id);
    const first = await runJob('allpts');
    assert.equal(first.summary.result, 'success', JSON.stringify(first.log));
    assert.equal(first.summary.pointsCopied, 3);
    assert.deepEqual([first.retention.kept, first.retention.removed], [3, 0]);
    const target = async () =>
      (await (await Repository.open(new FilesystemStorage(dir))).listPoints(backup!.id)).map(p => p.id);
    assert.deepEqual(await target(), newest3);
    const second = await runJob('allpts');
    assert.equal(second.summary.pointsCopied, 0, JSON.stringify(second.summary));
    assert.deepEqual(await target(), newest3);
  });

  test('a run whose copy fails runs no retention: the target keeps every point', async () => {
    const dst2 = join(ws.dir, 'dst2-repo');
    await Repository.create(new FilesystemStorage(dst2));
    assert.equal((await ws.run(['repo', 'add', 'dst2', dst2])).code, 0);
    const add = await ws.run([
      'job',
      'add',
      'fails',
      '--from',
      'src',
      '--to',
      'dst2',
      '--mode',
      'periodic',
      '--every',
      '1d',
      '--points',
      'all',
    ]);
    assert.equal(add.code, 0, add.stderr);
    const first = await runJob('fails');
    assert.equal(first.summary.result, 'success', JSON.stringify(first.log));
    const [backup] = await source.listBackups();
    const copied = (await (await Repository.open(new FilesystemStorage(dst2))).listPoints(backup!.id)).map(p => p.id);
    assert.ok(copied.length > 3);
    assert.equal((await ws.run(['job', 'edit', 'fails', '--keep-last', '3'])).code, 0);

    // A new point whose packs are then damaged: its copy fails.
    const packsBefore = new Set(await packFiles(srcDir));
    await changingBackups(source, join(ws.dir, 'src-files-2'), {
      runs: 1,
      start: '2026-02-01T00:00:00Z',
      hours: 1,
      seed: 7,
    });
    for (const p of (await packFiles(srcDir)).filter(p => !packsBefore.has(p))) await fs.truncate(p, 100);
    const failed = await runJob('fails');
    assert.notEqual(failed.summary.result, 'success');
    assert.ok(failed.summary.pointsFailed > 0 || failed.summary.result === 'failed', JSON.stringify(failed.summary));
    assert.equal(failed.retention, undefined);
    assert.deepEqual(
      (await (await Repository.open(new FilesystemStorage(dst2))).listPoints(backup!.id)).map(p => p.id),
      copied,
    );
  });
});

async function packFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(join(dir, 'data'), {recursive: true, withFileTypes: true}))
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  return out;
}
