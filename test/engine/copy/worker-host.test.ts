// The copy the TUI runs in a worker thread (worker-host.ts): it copies the
// same points with the same events as runCopy, does its work on another
// thread (the main thread's copy code is never called), cancels through the
// signal leaving the target consistent, and fails with the same typed error.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {existsSync} from 'node:fs';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {runBackup, type BackupSpec} from '../../../source/engine/agent/backup.js';
import type {CopyEvent} from '../../../source/engine/copy/events.js';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import {runCopyInWorker} from '../../../source/engine/copy/worker-host.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {createRepository, resolveRepository} from '../../../source/engine/repository/open.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';

let dir: string;
let primary: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-copy-worker-'));
  primary = join(dir, 'primary');
  const repo = await createRepository({location: primary});
  const src = join(dir, 'src');
  await mkdir(src, {recursive: true});
  // Enough incompressible data that a cancel sent at the first disk event arrives mid-copy.
  for (let i = 0; i < 24; i++) await writeFile(join(src, `blob-${i}.bin`), randomBytes(1 << 20));
  const spec: BackupSpec = {job: 'bulk', machine: 'bulk', kind: 'server', owner: 'root', nodes: [{name: 'bulk', disks: [{name: 'files', kind: 'files', roots: [{root: src, prefix: ''}]}]}]};
  await runBackup(repo, {...spec, time: new Date(Date.UTC(2026, 10, 20))});
  await writeFile(join(src, 'blob-0.bin'), randomBytes(1 << 20));
  await runBackup(repo, {...spec, time: new Date(Date.UTC(2026, 10, 21))});
});
after(async () => rm(dir, {recursive: true, force: true}));

async function freshTarget(name: string) {
  const location = join(dir, name);
  await createRepository({location});
  const [source, target] = await Promise.all([resolveRepository(primary), resolveRepository(location)]);
  return {location, plan: await planCopy(source, target, {points: 'all'})};
}

/** Counts calls of the writer's commit on this thread while `run` runs. */
async function commitsOnThisThread<T>(run: () => Promise<T>): Promise<{result: T; commits: number}> {
  const original = RepositoryWriter.prototype.commitPoint;
  let commits = 0;
  RepositoryWriter.prototype.commitPoint = function (...args) {
    commits++;
    return original.apply(this, args);
  };
  try {
    return {result: await run(), commits};
  } finally {
    RepositoryWriter.prototype.commitPoint = original;
  }
}

test('copies every point on another thread, with the same events as runCopy', async () => {
  const inWorker = await freshTarget('via-worker');
  const events: CopyEvent[] = [];
  const worker = await commitsOnThisThread(() => runCopyInWorker(primary, inWorker.location, inWorker.plan, {onEvent: (e) => events.push(e)}));
  assert.equal(worker.result.result, 'success');
  assert.equal(worker.result.pointsCopied, 2);
  assert.equal(worker.commits, 0, 'no restore point was committed by code on the main thread');
  const copied = await (await resolveRepository(inWorker.location)).listBackups();
  assert.deepEqual(copied.map((b) => b.machine), ['bulk']);

  // The same plan run on this thread: the spy sees it, and the event stream has the same shape.
  const here = await freshTarget('on-main');
  const mainEvents: CopyEvent[] = [];
  const [source, target] = await Promise.all([resolveRepository(primary), resolveRepository(here.location)]);
  const main = await commitsOnThisThread(() => runCopy(source, target, here.plan, {onEvent: (e) => mainEvents.push(e)}));
  assert.equal(main.commits, 2, 'the spy does see commits made on this thread');
  const shape = (list: CopyEvent[]) => list.filter((e) => e.type === 'copy.point' || e.type === 'copy.start' || e.type === 'copy.done').map((e) => e.type);
  assert.deepEqual(shape(events), shape(mainEvents));
  const start = events[0]!;
  assert.ok(start.type === 'copy.start' && start.plan === inWorker.plan, 'copy.start carries the caller\'s plan');
  assert.equal(events.at(-1)?.type, 'copy.done');
});

test('aborting the signal cancels in the worker; the target stays consistent', async () => {
  const {location, plan} = await freshTarget('cancelled');
  const controller = new AbortController();
  const events: CopyEvent[] = [];
  const error = await runCopyInWorker(primary, location, plan, {
    signal: controller.signal,
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'copy.disk') controller.abort();
    },
  }).catch((e: unknown) => e);
  assert.ok(error instanceof BackhaulError, `a BackhaulError, got ${String(error)}`);
  assert.equal(error.code, 'cancelled');
  assert.match(error.hint, /run the same command again/);
  const done = events.at(-1);
  assert.ok(done?.type === 'copy.done' && done.summary.result === 'cancelled');
  assert.deepEqual(await (await resolveRepository(location)).listBackups(), [], 'nothing half-copied is visible');
  assert.equal(existsSync(join(location, 'locks', 'writer')), false, 'the writer lock is released');
});

test('an error in the worker arrives as the same BackhaulError (code, message, hint)', async () => {
  const {plan} = await freshTarget('unused');
  const missing = join(dir, 'no-such-repository');
  const expected = await resolveRepository(missing).catch((e: unknown) => e);
  assert.ok(expected instanceof BackhaulError);
  const error = await runCopyInWorker(primary, missing, plan).catch((e: unknown) => e);
  assert.ok(error instanceof BackhaulError, `a BackhaulError, got ${String(error)}`);
  assert.deepEqual({code: error.code, message: error.message, hint: error.hint, exit: error.exitCode},
    {code: expected.code, message: expected.message, hint: expected.hint, exit: expected.exitCode});
});
