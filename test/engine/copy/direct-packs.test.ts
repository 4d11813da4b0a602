/**
 * Between two directories a pack passed through whole is read once by a
 * worker, checked (its SHA-256 against its id, its trailer against the
 * index) and only then written beside its key past the page cache: the
 * target's packs are byte-identical to the source's, they are not left in
 * the page cache (fincore), and a damaged source pack is not written at all
 * (the copy of the points that need it fails, naming the chunk).
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {randomBuffer} from '../../helpers/cli.js';
import {directIoSkip} from '../../helpers/direct-io.js';

const MiB = 1024 * 1024;
let work: string;
let source: Repository;

const packFiles = async (root: string) =>
  (await fs.readdir(join(root, 'data'), {recursive: true})).filter(p => /^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(p)).sort();
const cached = (path: string) =>
  Number(execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], {encoding: 'utf8'}).trim());

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-direct-packs-'));
  await fs.mkdir(join(work, 'data'));
  for (let i = 0; i < 3; i++)
    await fs.writeFile(join(work, 'data', `f${i}.bin`), randomBuffer(6 * MiB + i * 777, 40 + i));
  source = await Repository.create(new FilesystemStorage(join(work, 'source')));
  await runBackup(source, {
    job: 'j',
    machine: 'm',
    kind: 'server',
    owner: userInfo().username,
    nodes: [{name: 'm', disks: [{name: 'files', kind: 'files', roots: [{root: join(work, 'data'), prefix: 'data'}]}]}],
  });
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test('packs arrive byte for byte and past the page cache', {skip: directIoSkip(tmpdir())}, async () => {
  const target = await Repository.create(new FilesystemStorage(join(work, 'target')));
  const plan = await planCopy(source, target, {backups: [], points: 'all'});
  const summary = await runCopy(source, target, plan);
  assert.equal(summary.pointsCopied, 1);
  const packs = await packFiles(join(work, 'source'));
  assert.ok(packs.length >= 2);
  assert.deepEqual(await packFiles(join(work, 'target')), packs);
  for (const p of packs) {
    const copy = join(work, 'target', 'data', p);
    assert.ok(cached(copy) <= 8192, `${p}: only the unaligned tail may be cached, got ${cached(copy)} bytes`);
    assert.ok((await fs.readFile(copy)).equals(await fs.readFile(join(work, 'source', 'data', p))));
  }
});

test('a damaged source pack is not written; the point fails naming the chunk', async () => {
  const [victim] = await packFiles(join(work, 'source'));
  const path = join(work, 'source', 'data', victim!);
  const data = await fs.readFile(path);
  data[100] ^= 0xff;
  await fs.writeFile(path, data);
  const target = await Repository.create(new FilesystemStorage(join(work, 'target-2')));
  const plan = await planCopy(source, target, {backups: [], points: 'all'});
  const summary = await runCopy(source, target, plan);
  assert.equal(summary.pointsFailed, 1);
  assert.match(summary.failed[0]!.message, /chunk/i);
  assert.equal((await packFiles(join(work, 'target-2'))).includes(victim!), false, 'the damaged pack was not copied');
  const temps = (await fs.readdir(join(work, 'target-2'), {recursive: true})).filter(p => p.includes('.tmp-'));
  assert.deepEqual(temps, []);
});
