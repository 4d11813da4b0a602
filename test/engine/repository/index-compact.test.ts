/**
 * `repo compact-index` and the superseding primitive (index-compact.ts):
 * every index file of a version 2 repository merged into one naming them in
 * `supersedes`, the old ones deleted only after it is durable. Stopped after
 * any number of deletes, or killed -9 at random moments, the repository
 * opens with the same chunks indexed and verifies; a last run leaves one file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {pathsDisk, runBackup} from '../../../source/engine/agent/backup.js';
import {compactIndex, mergeIndexFiles} from '../../../source/engine/repository/index-compact.js';
import {indexIdOf, parseIndexFile} from '../../../source/engine/repository/index-store.js';
import {WriterLock} from '../../../source/engine/repository/lock.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {V2_PASSWORD} from '../../fixtures/repo-v2-content.js';
import {collect, ensureBuilt, randomBuffer, ROOT, runCli, seeded, startCli} from '../../helpers/cli.js';

let work: string;
/** A version 2 repository written by many small backups: one index file each. */
let made: string;
const BACKUPS = 12;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-compact-'));
  made = join(work, 'made');
  const repo = await Repository.create(new FilesystemStorage(made));
  const src = join(work, 'src');
  await fs.mkdir(src);
  for (let i = 0; i < BACKUPS; i++) {
    await fs.writeFile(join(src, `f${i}.bin`), randomBuffer(2000 + i, i));
    await runBackup(repo, {
      job: 'j',
      machine: `m${i % 3}`,
      kind: 'server',
      owner: 'root',
      nodes: [{name: `m${i % 3}`, disks: [pathsDisk([src])]}],
    });
  }
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

let copies = 0;
async function copyOf(dir: string): Promise<string> {
  const to = join(work, `copy-${++copies}`);
  await fs.cp(dir, to, {recursive: true});
  return to;
}
const open = (dir: string) => Repository.open(new FilesystemStorage(dir));
/** Index files (not temporaries of a write under way). */
const indexFiles = async (dir: string) =>
  (await fs.readdir(join(dir, 'index'))).filter(name => !name.includes('.tmp-')).sort();
/** Every chunk and where the index says it is. */
async function locations(dir: string): Promise<string[]> {
  const repo = await open(dir);
  return [...repo.index.entries()].map(([id, l]) => `${id} ${l.pack} ${l.offset} ${l.length}`).sort();
}

test('every index file merged into one that supersedes them; the same chunks; verifies; a second run changes nothing', async () => {
  const dir = await copyOf(made);
  const before = await indexFiles(dir);
  assert.ok(before.length >= BACKUPS, `${before.length} index files`);
  const chunks = await locations(dir);
  const repo = await open(dir);
  const result = await compactIndex(repo);
  assert.deepEqual(
    {before: result.before, after: result.after, damaged: result.damaged},
    {
      before: before.length,
      after: 1,
      damaged: [],
    },
  );
  const [only, ...rest] = await indexFiles(dir);
  assert.deepEqual(rest, []);
  const file = parseIndexFile(await fs.readFile(join(dir, 'index', only!)), `index/${only}`);
  assert.equal(file.format, 3, 'a new repository gets index files of format 3');
  assert.deepEqual([...file.supersedes!].sort(), before);
  assert.equal(file.packs.length, result.packs);
  assert.deepEqual(await locations(dir), chunks);
  assert.ok((await verifyRepository(await open(dir))).ok);
  assert.ok((await locks(dir)).length === 0, 'the lock is released');

  const again = await compactIndex(await open(dir));
  assert.deepEqual({before: again.before, after: again.after}, {before: 1, after: 1});
  assert.deepEqual(await indexFiles(dir), [only]);
});

const locks = async (dir: string) =>
  (await fs.readdir(join(dir, 'locks')).catch(() => [] as string[])).filter(n => !n.startsWith('.'));

test('a version 1 repository is refused, unchanged (upgrade it first)', async () => {
  const dir = join(work, 'v1');
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v1'), dir, {recursive: true});
  const before = await indexFiles(dir);
  await assert.rejects(compactIndex(await open(dir)), {code: 'usage'});
  assert.deepEqual(await indexFiles(dir), before);
});

test('under a held writer lock it fails (locked) and changes nothing', async () => {
  const dir = await copyOf(made);
  const before = await indexFiles(dir);
  const lock = await WriterLock.acquire(new FilesystemStorage(dir), 'someone else');
  try {
    await assert.rejects(compactIndex(await open(dir)), {code: 'locked'});
  } finally {
    await lock.release();
  }
  assert.deepEqual(await indexFiles(dir), before);
});

/** Deletes fail once `allowed` of them have run: a compaction stopped after that many. */
class FailingDeletes extends FilesystemStorage {
  constructor(
    dir: string,
    private allowed: number,
  ) {
    super(dir);
  }
  override async delete(key: string): Promise<void> {
    if (key.startsWith('index/') && this.allowed-- <= 0) throw new Error('stopped here');
    return super.delete(key);
  }
}

test('stopped after each number of deletes, the repository has every chunk indexed and verifies; a next run finishes', async () => {
  const files = (await indexFiles(made)).length;
  const chunks = await locations(made);
  for (let k = 0; k <= files; k += k < 3 ? 1 : 4) {
    const dir = await copyOf(made);
    const storage = new FailingDeletes(dir, k);
    const repo = await Repository.open(storage);
    await assert.rejects(compactIndex(repo), /stopped here/, `stopped after ${k} delete(s)`);
    assert.equal((await indexFiles(dir)).length, files + 1 - k, `after ${k}: the new file, and the rest`);
    assert.deepEqual(await locations(dir), chunks, `after ${k}: the same chunks`);
    assert.ok((await verifyRepository(await open(dir))).ok, `after ${k}: verifies`);
    const result = await compactIndex(await open(dir));
    assert.equal(result.after, 1);
    assert.equal((await indexFiles(dir)).length, 1, `after ${k}: finished by the next run`);
    assert.deepEqual(await locations(dir), chunks);
  }
});

test('mergeIndexFiles merges only the files given', async () => {
  const dir = await copyOf(made);
  const before = await indexFiles(dir);
  const chunks = await locations(dir);
  const repo = await open(dir);
  const some = before.slice(0, 3).map(id => `index/${id}`);
  const key = await mergeIndexFiles(repo, some);
  const after = await indexFiles(dir);
  assert.deepEqual(after.sort(), [...before.slice(3), indexIdOf(key)].sort());
  assert.deepEqual(await locations(dir), chunks);
});

test('kill -9 at random moments of `repo compact-index`: every time it opens with the same chunks and verifies; a last run leaves one file', async t => {
  ensureBuilt();
  const home = join(work, 'home');
  const chunks = await locations(made);
  const files = (await indexFiles(made)).length;
  const random = seeded(15);
  const outcomes: string[] = [];
  let last = '';
  for (let i = 0; i < 10; i++) {
    const dir = (last = await copyOf(made));
    const child = startCli(home, ['repo', 'compact-index', dir]);
    const ended = collect(child);
    let exited = false;
    void ended.then(() => (exited = true));
    if (i % 2 === 0) {
      // Killed at a random moment of the whole run (start-up, reading, writing, deleting).
      await new Promise(r => setTimeout(r, random() * 600));
    } else {
      // Killed a few milliseconds after the new file appeared: during the deletes.
      while (!exited && (await indexFiles(dir)).length === files) await new Promise(r => setImmediate(r));
      for (let ticks = Math.floor(random() * 40); ticks > 0; ticks--) await new Promise(r => setImmediate(r));
    }
    child.kill('SIGKILL');
    const r = await ended;
    const left = (await indexFiles(dir)).length;
    assert.deepEqual(await locations(dir), chunks, `run ${i}: the same chunks (${left} index files)`);
    assert.ok((await verifyRepository(await open(dir))).ok, `run ${i}: verifies`);
    outcomes.push(`${r.signal === 'SIGKILL' ? 'killed' : `exit ${r.code}`} (${left} index files)`);
  }
  t.diagnostic(`runs: ${outcomes.join(', ')}`);
  assert.ok(
    outcomes.some(o => o.startsWith('killed')),
    'at least one run was killed mid-way',
  );
  const done = await runCli(home, ['repo', 'compact-index', last, '--json']);
  assert.equal(done.code, 0, done.stderr);
  assert.equal((JSON.parse(done.stdout) as {after: number}).after, 1);
  assert.equal((await indexFiles(last)).length, 1);
  assert.deepEqual(await locations(last), chunks);
  assert.ok((await verifyRepository(await open(last))).ok);
});

test('the version 2 fixtures compact, plain and encrypted: the superseded files left there go too, one file remains, all verifies', async () => {
  for (const name of ['repo-v2', 'repo-v2-encrypted']) {
    const dir = join(work, `fixture-${name}`);
    await fs.cp(join(ROOT, 'test', 'fixtures', name), dir, {recursive: true});
    const options = name.endsWith('encrypted') ? {password: async () => V2_PASSWORD} : {};
    const openIt = () => Repository.open(new FilesystemStorage(dir), options);
    const chunks = [...(await openIt()).index.entries()].map(([id, l]) => `${id} ${l.pack}`).sort();
    const result = await compactIndex(await openIt());
    assert.deepEqual([result.before, result.after], [4, 1], name);
    assert.equal((await indexFiles(dir)).length, 1);
    const repo = await openIt();
    assert.deepEqual([...repo.index.entries()].map(([id, l]) => `${id} ${l.pack}`).sort(), chunks, name);
    assert.ok((await verifyRepository(repo)).ok, name);
  }
});

test('`repo compact-index` says what it merged, then that nothing was left to merge; a version 1 repository is a usage error (exit 2)', async () => {
  const home = join(work, 'home-text');
  const dir = await copyOf(made);
  const first = await runCli(home, ['repo', 'compact-index', dir]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(
    first.stdout,
    new RegExp(`^Merged ${BACKUPS} index files of .* into 1 \\(${BACKUPS} pack\\(s\\)\\)\\.\\n$`),
  );
  const second = await runCli(home, ['repo', 'compact-index', dir]);
  assert.match(second.stdout, /has 1 index file\(s\); nothing to merge\./);
  const v1 = join(work, 'v1-cli');
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v1'), v1, {recursive: true});
  const refused = await runCli(home, ['repo', 'compact-index', v1]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /format version 1[\s\S]*hint: Run `backhaul repo upgrade`/);
});
