// `repo upgrade` (FORMAT.md, "Upgrade"): the frozen version 1 fixture becomes
// version 2 in place, its points listed from the new catalogue, its packs
// read as they are; killed at any moment (kill -9, ten times) it opens and
// verifies every time, as version 1 or version 2, and a last run completes it.
import {FIRST_CHUNKER} from '../../../source/engine/repository/chunker.js';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {upgradeRepository} from '../../../source/engine/repository/upgrade.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {cataloguePoint} from '../../../source/engine/repository/catalogue.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {pathsDisk, runBackup} from '../../../source/engine/agent/backup.js';
import {collect, ensureBuilt, ROOT, runCli, startCli} from '../../helpers/cli.js';
import {V2_PASSWORD} from '../../fixtures/repo-v2-content.js';

let work: string;
before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-upgrade-'));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

async function fixtureCopy(name: string): Promise<string> {
  const dir = join(work, name);
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v1'), dir, {recursive: true});
  return dir;
}

const open = (dir: string) => Repository.open(new FilesystemStorage(dir));

test('the version 1 fixture upgrades in place: version 2, a catalogue of every point, packs kept, verifies, takes new backups', async () => {
  const dir = await fixtureCopy('upgrade');
  const v1 = await open(dir);
  assert.equal(v1.config.version, 1);
  const backups = await v1.listBackups();
  const before = new Map(
    await Promise.all(backups.map(async b => [b.id, (await v1.listPoints(b.id)).map(cataloguePoint)] as const)),
  );
  const packsBefore = (await fs.readdir(join(dir, 'data'), {recursive: true})).sort();

  const result = await upgradeRepository(v1);
  assert.deepEqual({from: result.from, to: result.to}, {from: 1, to: 2});
  const v2 = await open(dir);
  assert.equal(v2.config.version, 2);
  assert.equal(v2.config.id, v1.config.id, 'the id never changes');
  assert.deepEqual(v2.config.compression, {algorithm: 'zstd', level: 3});
  assert.equal(
    v2.chunker,
    FIRST_CHUNKER,
    'it keeps cutting as version 1 did, so new backups deduplicate against old ones',
  );
  for (const [id, points] of before)
    assert.deepEqual(await v2.listPointSummaries(id), points, 'the catalogue lists every point');
  assert.deepEqual((await fs.readdir(join(dir, 'data'), {recursive: true})).sort(), packsBefore, 'packs untouched');
  assert.ok((await verifyRepository(v2)).ok, 'verifies after the upgrade');
  assert.equal(v2.config.indexFiles, 3, 'straight on to the compact layouts');
  assert.equal(v2.config.catalogueSegments, 3);
  assert.ok(result.layouts?.indexRewritten);
  const second = await upgradeRepository(v2);
  assert.deepEqual(
    {from: second.from, configChanged: second.layouts?.configChanged, rewritten: second.layouts?.indexRewritten},
    {from: 2, configChanged: false, rewritten: false},
    'a second upgrade changes nothing',
  );

  const src = join(work, 'src');
  await fs.mkdir(src, {recursive: true});
  await fs.writeFile(join(src, 'log.txt'), 'upgrade\n'.repeat(50_000));
  const point = await runBackup(v2, {
    job: 'after',
    machine: 'm',
    kind: 'server',
    owner: 'root',
    nodes: [{name: 'm', disks: [pathsDisk([src])]}],
  });
  const again = await open(dir);
  assert.deepEqual(
    (await again.listPointSummaries(point.backupId)).map(p => p.id),
    [point.id],
  );
  assert.ok((await verifyRepository(again)).ok);
});

/** Catalogue segments under `dir`. */
async function segmentsIn(dir: string): Promise<number> {
  return (await fs.readdir(join(dir, 'backups'), {recursive: true})).filter(p => p.includes('catalog/')).length;
}

test('kill -9 during the upgrade, ten times: the repository opens and verifies each time; a last run completes it', async t => {
  ensureBuilt();
  const home = join(work, 'home');
  const outcomes: string[] = [];
  let last = '';
  for (let i = 0; i < 10; i++) {
    // A fresh copy each time, killed i ms after the first catalogue segment appears: the upgrade
    // itself takes milliseconds on the fixture, after a start-up ten times as long.
    const dir = (last = await fixtureCopy(`killed-${i}`));
    const child = startCli(home, ['repo', 'upgrade', dir]);
    const ended = collect(child);
    let exited = false;
    void ended.then(() => (exited = true));
    while (!exited && (await segmentsIn(dir)) === 0) await new Promise(r => setTimeout(r, 1));
    if (i > 0) await new Promise(r => setTimeout(r, i));
    child.kill('SIGKILL');
    const r = await ended;
    const repo = await open(dir);
    assert.ok(repo.config.version === 1 || repo.config.version === 2, `run ${i}: version ${repo.config.version}`);
    const report = await verifyRepository(repo);
    assert.ok(report.ok, `run ${i}: verifies as version ${repo.config.version}`);
    outcomes.push(
      `${r.signal === 'SIGKILL' ? 'killed' : `exit ${r.code}`} (v${repo.config.version}, ${await segmentsIn(dir)} segment(s))`,
    );
  }
  t.diagnostic(`runs: ${outcomes.join(', ')}`);
  assert.ok(
    outcomes.some(o => o.startsWith('killed')),
    'at least one run was killed mid-way',
  );
  const done = await runCli(home, ['repo', 'upgrade', last, '--json']);
  assert.equal(done.code, 0, done.stderr);
  const repo = await open(last);
  assert.equal(repo.config.version, 2);
  assert.ok((await verifyRepository(repo)).ok);
  for (const b of await repo.listBackups()) {
    assert.deepEqual(
      (await repo.listPointSummaries(b.id)).map(p => p.id),
      (await repo.listPoints(b.id)).map(p => p.id),
    );
  }
});

/** Every chunk's location, as a sorted list of lines. */
async function locations(dir: string): Promise<string[]> {
  const repo = await open(dir);
  return [...repo.index.entries()].map(([id, l]) => `${id} ${l.pack} ${l.offset} ${l.length} ${l.rawLength}`).sort();
}

test('a version 2 repository made before the compact layouts is switched to them: one index file of format 3, the same chunks, verifies', async () => {
  const dir = join(work, 'v2-layouts');
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v2'), dir, {recursive: true});
  const chunks = await locations(dir);
  const points = async () => {
    const repo = await open(dir);
    return Promise.all((await repo.listBackups()).map(async b => (await repo.listPoints(b.id)).map(p => p.id)));
  };
  const pointsBefore = await points();
  // Killed between the config and the merge: the config names format 3, the files are JSON; it reads the same.
  const config = JSON.parse(await fs.readFile(join(dir, 'config'), 'utf8'));
  await fs.writeFile(join(dir, 'config'), JSON.stringify({...config, catalogueSegments: 3, indexFiles: 3}));
  assert.deepEqual(await locations(dir), chunks);
  await fs.writeFile(join(dir, 'config'), JSON.stringify(config, null, 2) + '\n');

  const home = join(work, 'home-v2');
  const r = await runCli(home, ['repo', 'upgrade', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /now has the compact layouts: .*index file\(s\) merged into 1/);
  const repo = await open(dir);
  assert.deepEqual(
    {version: repo.config.version, segments: repo.config.catalogueSegments, index: repo.config.indexFiles},
    {
      version: 2,
      segments: 3,
      index: 3,
    },
  );
  const files = await fs.readdir(join(dir, 'index'));
  assert.equal(files.length, 1);
  assert.equal((await fs.readFile(join(dir, 'index', files[0]!))).subarray(0, 8).toString(), 'BHINDEX3');
  assert.deepEqual(await locations(dir), chunks, 'the same chunks at the same places');
  assert.deepEqual(await points(), pointsBefore);
  assert.ok((await verifyRepository(repo)).ok);

  const again = await runCli(home, ['repo', 'upgrade', dir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /already format version 2 with the compact layouts; nothing changed/);
  assert.deepEqual(await fs.readdir(join(dir, 'index')), files);
});

test('an encrypted version 2 repository gets its index merged into one sealed file of format 3; nothing of it readable', async () => {
  const dir = join(work, 'v2-encrypted-layouts');
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v2-encrypted'), dir, {recursive: true});
  const openIt = () => Repository.open(new FilesystemStorage(dir), {password: async () => V2_PASSWORD});
  const entries = async () =>
    [...(await openIt()).index.entries()].map(([id, l]) => `${id} ${l.pack} ${l.offset} ${l.length}`).sort();
  const chunks = await entries();
  const result = await upgradeRepository(await openIt());
  assert.ok(result.layouts?.configChanged && result.layouts.indexRewritten);
  const files = await fs.readdir(join(dir, 'index'));
  assert.equal(files.length, 1);
  const stored = await fs.readFile(join(dir, 'index', files[0]!));
  assert.equal(stored.includes(Buffer.from('BHINDEX3')), false, 'sealed like every index file');
  assert.deepEqual(await entries(), chunks);
  assert.ok((await verifyRepository(await openIt())).ok);
});
