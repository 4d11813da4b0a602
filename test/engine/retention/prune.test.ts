/**
 * `prune` (retention/prune.ts) against real storage: killed -9 at 20 random
 * moments, the repository opens, verifies and reads every kept point back
 * bit-identical each time, and a last run finishes the work; an encrypted
 * repository is repacked through its codec; a reader restoring while a
 * prune runs (another process) gets every point identical; the source of a
 * copy is never touched (retention acts only on the repository named).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {BackupId} from '../../../source/engine/ids.js';
import {forget} from '../../../source/engine/retention/forget.js';
import {prune} from '../../../source/engine/retention/prune.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {collect, ensureBuilt, runCli, seeded, startCli} from '../../helpers/cli.js';
import {changingBackups, packBytes, pointState, sourceState} from '../../helpers/retention.js';

let work: string;
/** A repository with 12 points of which 3 are kept: about 70 % of its packs' bytes is garbage. */
let made: string;
let states: Map<string, string>;
let backup: BackupId;
let kept: string[];

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-prune-'));
  made = join(work, 'made');
  const repo = await Repository.create(new FilesystemStorage(made));
  states = await changingBackups(repo, join(work, 'src'), {
    runs: 12,
    start: '2026-02-01T00:00:00Z',
    hours: 24,
    files: 6,
  });
  await forget(repo, {keepLast: 3});
  backup = (await repo.listBackups())[0]!.id;
  kept = (await repo.listPoints(backup)).map(p => p.id);
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

const names = async (dir: string) =>
  (await fs.readdir(dir).catch(() => [] as string[])).filter(n => !n.includes('.tmp-'));

let copies = 0;
async function copyOf(dir: string): Promise<string> {
  const to = join(work, `copy-${++copies}`);
  await fs.cp(dir, to, {recursive: true});
  return to;
}

async function assertWhole(dir: string, what: string): Promise<void> {
  const repo = await Repository.open(new FilesystemStorage(dir));
  const report = await verifyRepository(repo);
  assert.ok(report.ok, `${what}: verifies (${JSON.stringify({...report, openUploads: undefined})})`);
  assert.equal(report.points, kept.length, what);
  for (const id of kept) assert.equal(await pointState(repo, backup, id), states.get(id), `${what}: point ${id}`);
}

test('kill -9 of prune at 20 random moments: each time the repository opens, verifies and reads back every kept point; a last run finishes', async t => {
  ensureBuilt();
  const home = join(work, 'home');
  const probe = await copyOf(made);
  const started = Date.now();
  const full = await runCli(home, ['prune', '--repo', probe, '--repack-threshold', '1', '--json']);
  assert.equal(full.code, 0, full.stderr);
  const duration = Date.now() - started;
  const random = seeded(16);
  const outcomes: string[] = [];
  let last = '';
  for (let i = 0; i < 20; i++) {
    const dir = (last = await copyOf(made));
    const child = startCli(home, ['prune', '--repo', dir, '--repack-threshold', i % 4 < 2 ? '1' : '20']);
    const ended = collect(child);
    let exited = false;
    void ended.then(() => (exited = true));
    // Start-up is most of a run: wait until the prune holds its lock (even runs) or has written its
    // new index file (odd runs: during the deletes), then kill it a random while later.
    const indexBefore = await names(join(dir, 'index'));
    const ready = async () =>
      i % 2 === 0
        ? (await names(join(dir, 'locks'))).length > 0
        : (await names(join(dir, 'index'))).some(n => !indexBefore.includes(n));
    while (!exited && !(await ready())) await new Promise(r => setImmediate(r));
    if (i % 2 === 0) await new Promise(r => setTimeout(r, random() * 150));
    else for (let ticks = Math.floor(random() * 40); ticks > 0; ticks--) await new Promise(r => setImmediate(r));
    child.kill('SIGKILL');
    const r = await ended;
    outcomes.push(r.signal === 'SIGKILL' ? `killed (${await packBytes(dir)} B)` : `exit ${r.code}`);
    await assertWhole(dir, `run ${i}`);
  }
  t.diagnostic(`full run ${duration} ms; runs: ${outcomes.join(', ')}`);
  assert.ok(outcomes.filter(o => o.startsWith('killed')).length >= 10, 'most runs were killed mid-way');
  const done = await runCli(home, ['prune', '--repo', last, '--json']);
  assert.equal(done.code, 0, done.stderr);
  await assertWhole(last, 'the last run');
  assert.ok((await packBytes(last)) < (await packBytes(made)) / 2);
});

test('an encrypted repository is repacked through its codec: fewer bytes, verifies, every kept point identical', async () => {
  const dir = join(work, 'encrypted');
  const password = 'correct horse battery staple';
  const repo = await Repository.create(new FilesystemStorage(dir), {encryption: {password}});
  const encStates = await changingBackups(repo, join(work, 'src-enc'), {
    runs: 6,
    start: '2026-03-01T00:00:00Z',
    hours: 24,
    seed: 3,
  });
  await forget(repo, {keepLast: 3});
  const before = await packBytes(dir);
  const result = await prune(repo, {repackThreshold: 0.01});
  assert.ok(result.packsRepacked > 0, JSON.stringify(result));
  assert.ok((await packBytes(dir)) < before);
  const reopened = await Repository.open(new FilesystemStorage(dir), {password: async () => password});
  assert.ok((await verifyRepository(reopened)).ok);
  const id = (await reopened.listBackups())[0]!.id;
  for (const p of await reopened.listPoints(id))
    assert.equal(await pointState(reopened, id, p.id), encStates.get(p.id));
});

test('restores running while prune runs (other processes, and a reader in this one) complete identical', async t => {
  const dir = await copyOf(made);
  const reader = await Repository.open(new FilesystemStorage(dir)); // its index is the one before the prune
  const home = join(work, 'home');
  const restores = kept.map(id => {
    const to = join(work, `restore-${copies}-${id}`);
    return {
      id,
      to,
      ended: collect(startCli(home, ['restore', '--repo', dir, '--backup', backup, '--point', id, '--to', to])),
    };
  });
  const child = startCli(home, ['prune', '--repo', dir, '--repack-threshold', '1']);
  const ended = collect(child);
  let running = true;
  void ended.then(() => (running = false));
  let rounds = 0;
  do {
    for (const id of kept) assert.equal(await pointState(reader, backup, id), states.get(id), `round ${rounds}: ${id}`);
    rounds++;
  } while (running);
  const r = await ended;
  assert.equal(r.code, 0, r.stderr);
  // Once more after it finished: the packs the reader loaded are gone, their chunks are found in the new ones.
  for (const id of kept) assert.equal(await pointState(reader, backup, id), states.get(id), `after: ${id}`);
  for (const {id, to, ended: restored} of restores) {
    const done = await restored;
    assert.equal(done.code, 0, done.stderr);
    const [disk] = await fs.readdir(to, {recursive: true}).then(list => list.filter(n => n.endsWith('f0.bin')));
    assert.ok(disk, `restore of ${id} wrote the files`);
    assert.equal(await sourceState(join(to, disk!, '..')), states.get(id), `restore of ${id}`);
  }
  t.diagnostic(`${rounds} round(s) while prune ran`);
  assert.ok((await packBytes(dir)) < (await packBytes(made)) / 2);
});
