/**
 * A job run's retention step (operations/job-retention.ts) in this process,
 * on a real directory target: while another writer holds the target (a
 * shared lock, as a backup or copy into it takes), retention is postponed —
 * a warning in the run's log, nothing removed, not an error — and the next
 * run does it (and prunes: never pruned before); a retention that fails (a
 * version 1 target) is a typed error saying the copied points stay.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {RunSpec} from '../../../source/engine/jobs/start.js';
import {RunReporter} from '../../../source/engine/operations/job-run.js';
import {runJobRetention} from '../../../source/engine/operations/job-retention.js';
import {acquireRepositoryLock} from '../../../source/engine/repository/lock-shared.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {ROOT} from '../../helpers/cli.js';
import {changingBackups} from '../../helpers/retention.js';

let work: string;
before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-job-retention-'));
  process.env.XDG_CONFIG_HOME = join(work, 'config');
  process.env.XDG_DATA_HOME = join(work, 'data');
});
after(async () => fs.rm(work, {recursive: true, force: true}));

const spec = (target: string, runId: string): RunSpec => ({
  runId,
  kind: 'copy',
  job: 'offsite',
  trigger: 'manual',
  source: join(work, 'unused-source'),
  target,
  selection: {points: 'latest'},
  retention: {keepLast: 3},
  created: '2026-01-01T00:00:00.000Z',
  retentionWaitMs: 0,
});

test('another writer on the target: retention is postponed (a warning, nothing removed); the next run does it', async () => {
  const dir = join(work, 'target');
  const repo = await Repository.create(new FilesystemStorage(dir));
  await changingBackups(repo, join(work, 'src'), {runs: 5, start: '2026-01-01T00:00:00Z', hours: 24, size: 20_000});
  const [backup] = await repo.listBackups();
  const lock = await acquireRepositoryLock(repo.storage, repo.config.version, 'backup', {exclusive: false});
  const busy = new RunReporter(spec(dir, 'run-busy'));
  let outcome;
  try {
    outcome = await runJobRetention(busy, new AbortController().signal);
  } finally {
    await lock.release();
  }
  assert.deepEqual(outcome, {kept: 0, removed: 0, bytesFreed: 0, pruned: false, postponed: 'forget'});
  assert.ok(
    busy.warnings.some(w => /^Retention postponed to the next run: .*locked/.test(w)),
    busy.warnings.join('\n'),
  );
  assert.equal((await repo.listPoints(backup!.id)).length, 5);

  const free = new RunReporter(spec(dir, 'run-free'));
  const done = await runJobRetention(free, new AbortController().signal);
  assert.equal(done.kept, 3);
  assert.equal(done.removed, 2);
  assert.equal(done.pruned, true, 'never pruned before: due');
  assert.ok(done.bytesFreed > 0);
  assert.equal(done.postponed, undefined);
  assert.equal((await Repository.open(new FilesystemStorage(dir))).config.version, 2);
  assert.equal((await (await Repository.open(new FilesystemStorage(dir))).listPoints(backup!.id)).length, 3);
});

test('a retention that fails is a typed error saying the copied points stay', async () => {
  const dir = join(work, 'v1');
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v1'), dir, {recursive: true});
  await assert.rejects(
    runJobRetention(new RunReporter(spec(dir, 'run-v1')), new AbortController().signal),
    (e: unknown) =>
      e instanceof BackhaulError &&
      e.exitCode === 2 &&
      /^Retention on .* failed after the copy \(the copied restore points stay\): .*repo upgrade/.test(e.message),
  );
});
