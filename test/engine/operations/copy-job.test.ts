// The backup copy job, the one entry both faces call (operations/copy.ts):
// in a worker thread (the TUI) it copies the same points with the same
// events as on the caller's thread (the CLI), does its work on the other
// thread (the caller's copy code is never called), cancels through the signal
// leaving the target consistent, fails with the same typed error, and records
// every session in the history with the same log. A pinned selection copies
// the points a shown plan listed, even once a newer one exists.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {runBackup, type BackupSpec} from '../../../source/engine/agent/backup.js';
import type {CopyEvent} from '../../../source/engine/copy/events.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {readHistory} from '../../../source/engine/jobs/history.js';
import {copyJob, pinnedSelection, planCopyJob} from '../../../source/engine/operations/copy.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {createRepository, resolveRepository} from '../../../source/engine/workspace/open.js';
import {lockFiles} from '../../helpers/locks.js';

let dir: string;
let primary: string;
let src: string;
let spec: BackupSpec;
const savedData = process.env['XDG_DATA_HOME'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-copy-job-'));
  process.env['XDG_DATA_HOME'] = join(dir, 'data');
  primary = join(dir, 'primary');
  const repo = await createRepository({location: primary});
  src = join(dir, 'src');
  spec = {
    job: 'bulk',
    machine: 'bulk',
    kind: 'server',
    owner: 'root',
    nodes: [{name: 'bulk', disks: [{name: 'files', kind: 'files', roots: [{root: src, prefix: ''}]}]}],
  };
  await mkdir(src, {recursive: true});
  // Enough incompressible data that a cancel sent at the first disk event arrives mid-copy.
  for (let i = 0; i < 24; i++) await writeFile(join(src, `blob-${i}.bin`), randomBytes(1 << 20));
  await runBackup(repo, {...spec, time: new Date(Date.UTC(2026, 10, 20))});
  await writeFile(join(src, 'blob-0.bin'), randomBytes(1 << 20));
  await runBackup(repo, {...spec, time: new Date(Date.UTC(2026, 10, 21))});
});
after(async () => {
  if (savedData === undefined) delete process.env['XDG_DATA_HOME'];
  else process.env['XDG_DATA_HOME'] = savedData;
  await rm(dir, {recursive: true, force: true});
});

async function freshTarget(name: string): Promise<string> {
  const location = join(dir, name);
  await createRepository({location});
  return location;
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

const shape = (list: CopyEvent[]) =>
  list
    .filter(e => e.type === 'copy.point' || e.type === 'copy.start' || e.type === 'copy.plan' || e.type === 'copy.done')
    .map(e => e.type);

test('in a worker it copies every point on the other thread, with the same events and session as on this thread', async () => {
  const viaWorker = await freshTarget('via-worker');
  const events: CopyEvent[] = [];
  const worker = await commitsOnThisThread(() =>
    copyJob(
      {source: primary, target: viaWorker, selection: {points: 'all'}},
      {inWorker: true, onEvent: e => events.push(e)},
    ),
  );
  assert.equal(worker.result.summary.result, 'success');
  assert.equal(worker.result.summary.pointsCopied, 2);
  assert.equal(worker.commits, 0, 'no restore point was committed by code on this thread');
  assert.deepEqual(
    (await (await resolveRepository(viaWorker)).listBackups()).map(b => b.machine),
    ['bulk'],
  );
  assert.ok(
    worker.result.plan.backups[0]!.points.every(p => p.disks.every(d => d.chunks.length === 0)),
    'plans cross the thread without chunk lists',
  );

  const here = await freshTarget('on-main');
  const mainEvents: CopyEvent[] = [];
  const main = await commitsOnThisThread(() =>
    copyJob({source: primary, target: here, selection: {points: 'all'}}, {onEvent: e => mainEvents.push(e)}),
  );
  assert.equal(main.commits, 2, 'the spy does see commits made on this thread');
  assert.deepEqual(shape(events), shape(mainEvents));
  assert.equal(events[0]?.type, 'copy.start');
  assert.equal(events.at(-1)?.type, 'copy.done', 'copy.done comes last, after the session is recorded');
  const plan = events.find(e => e.type === 'copy.plan');
  assert.ok(plan?.type === 'copy.plan' && plan.plan.pointsToCopy === 2 && plan.plan.transferBytes > 20 << 20);

  const sessions = (await readHistory()).slice(-2);
  assert.deepEqual(
    sessions.map(s => [s.source, s.target, s.summary.result, s.summary.pointsCopied]),
    [
      [primary, viaWorker, 'success', 2],
      [primary, here, 'success', 2],
    ],
  );
  const words = (log: readonly string[] | undefined) =>
    (log ?? []).map(l => l.replace(/^\d\d:\d\d:\d\d /, '').replace(/ to \/\S+/, ' to T'));
  assert.deepEqual(
    words(sessions[0]!.log).filter(l => !l.startsWith('Copy finished')),
    words(sessions[1]!.log).filter(l => !l.startsWith('Copy finished')),
    'the same log whichever thread ran it',
  );
  assert.ok(sessions[0]!.log!.some(l => /^\d\d:\d\d:\d\d Copied bulk point /.test(l)));
});

test('aborting the signal cancels in the worker; the target stays consistent; the session says so', async () => {
  const location = await freshTarget('cancelled');
  const controller = new AbortController();
  const events: CopyEvent[] = [];
  const error = await copyJob(
    {source: primary, target: location, selection: {points: 'all'}},
    {
      inWorker: true,
      signal: controller.signal,
      onEvent: e => {
        events.push(e);
        if (e.type === 'copy.disk') controller.abort();
      },
    },
  ).catch((e: unknown) => e);
  assert.ok(error instanceof BackhaulError, `a BackhaulError, got ${String(error)}`);
  assert.equal(error.code, 'cancelled');
  assert.match(error.hint, /run the same command again/);
  const done = events.at(-1);
  assert.ok(done?.type === 'copy.done' && done.summary.result === 'cancelled');
  assert.deepEqual(await (await resolveRepository(location)).listBackups(), [], 'nothing half-copied is visible');
  assert.deepEqual(lockFiles(location), [], 'the writer lock is released');
  const session = (await readHistory()).at(-1)!;
  assert.equal(session.summary.result, 'cancelled');
  assert.ok(session.log!.some(l => /Cancelling: the point in progress is not committed\./.test(l)));
});

test('an error in the worker arrives as the same BackhaulError (code, message, hint); nothing is recorded', async () => {
  const missing = join(dir, 'no-such-repository');
  const expected = await resolveRepository(missing).catch((e: unknown) => e);
  assert.ok(expected instanceof BackhaulError);
  const before = (await readHistory()).length;
  const error = await copyJob({source: primary, target: missing, selection: {}}, {inWorker: true}).catch(
    (e: unknown) => e,
  );
  assert.ok(error instanceof BackhaulError, `a BackhaulError, got ${String(error)}`);
  assert.deepEqual(
    {code: error.code, message: error.message, hint: error.hint, exit: error.exitCode},
    {code: expected.code, message: expected.message, hint: expected.hint, exit: expected.exitCode},
  );
  assert.equal((await readHistory()).length, before, 'a job that never started leaves no session');
});

test('a pinned selection copies the points the shown plan listed, not a newer one that landed since', async () => {
  const location = await freshTarget('pinned');
  const [source, target] = await Promise.all([resolveRepository(primary), resolveRepository(location)]);
  const shown = await planCopyJob(source, target, {points: 'latest'});
  const shownPoint = shown.backups[0]!.points.find(p => p.action === 'copy')!;
  await writeFile(join(src, 'blob-1.bin'), randomBytes(1 << 20));
  await runBackup(source, {...spec, time: new Date(Date.UTC(2026, 10, 22))});
  const {plan, summary} = await copyJob({source: primary, target: location, selection: pinnedSelection(shown)});
  assert.equal(summary.pointsCopied, 1);
  assert.deepEqual(
    plan.backups[0]!.points.filter(p => p.action === 'copy').map(p => p.id),
    [shownPoint.id],
  );
  const copied = await (await resolveRepository(location)).listPoints(shown.backups[0]!.backupId as never);
  assert.deepEqual(
    copied.map(p => p.id),
    [shownPoint.id],
  );
});
