/**
 * Damage is found and named, never passed on: one flipped byte in a pack makes
 * `verify` exit 12 naming exactly the restore points that use the damaged
 * chunk, and `restore` of such a point exit 12 naming it, while undamaged
 * backups still restore. A repository of an unknown format version, or with
 * a garbage config, is refused with exit 17 and a clear message, and left
 * untouched.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {pathsDisk, runBackup} from '../../../source/engine/agent/backup.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {ChunkId} from '../../../source/engine/ids.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {packKey} from '../../../source/engine/repository/pack.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {randomBuffer, runCli} from '../../helpers/cli.js';

const me = userInfo().username;
let work: string;
let home: string;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-corrupt-'));
  home = join(work, 'home');
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

interface Built {
  dir: string;
  repo: Repository;
  /** Machine "alpha": two points; machine "beta": one point, sharing no data with alpha. */
  alpha: PointManifest[];
  beta: PointManifest;
}

/** A repository with two backups whose data do not overlap. */
async function build(name: string): Promise<Built> {
  const dir = join(work, name);
  const src = join(work, `${name}-src`);
  for (const m of ['alpha', 'beta']) {
    await fs.mkdir(join(src, m, 'docs'), {recursive: true});
    for (let i = 0; i < 20; i++)
      await fs.writeFile(
        join(src, m, 'docs', `f${i}.bin`),
        randomBuffer(50_000 + i, (m === 'alpha' ? 1 : 2) * 1000 + i),
      );
    await fs.writeFile(join(src, m, 'big.bin'), randomBuffer(3_000_000, m === 'alpha' ? 3 : 4));
  }
  const repo = await Repository.create(new FilesystemStorage(dir));
  const spec = (m: string) => ({
    job: 'daily',
    machine: m,
    kind: 'workstation' as const,
    owner: me,
    nodes: [{name: m, disks: [pathsDisk([join(src, m)])]}],
  });
  const a1 = await runBackup(repo, spec('alpha'));
  await fs.writeFile(join(src, 'alpha', 'docs', 'new.txt'), 'a new file\n');
  const a2 = await runBackup(repo, spec('alpha'));
  const beta = await runBackup(repo, spec('beta'));
  return {dir, repo, alpha: [a1, a2], beta};
}

async function treeOf(repo: Repository, point: PointManifest) {
  const entries = [];
  for await (const e of repo.readTree(point.nodes[0]!.disks[0]!)) entries.push(e);
  return entries;
}

/** Flips one byte in the middle of the stored blob of `chunk`, inside its pack. */
async function flipByteOf(b: Built, chunk: ChunkId): Promise<void> {
  const loc = b.repo.index.get(chunk)!;
  const path = join(b.dir, packKey(loc.pack));
  const h = await fs.open(path, 'r+');
  const at = loc.offset + Math.floor(loc.length / 2);
  const one = Buffer.alloc(1);
  await h.read(one, 0, 1, at);
  one[0] = one[0]! ^ 0x5a;
  await h.write(one, 0, 1, at);
  await h.close();
}

async function cli(args: string[]) {
  return runCli(home, args);
}

test('a flipped byte in a file chunk: verify and restore exit 12 naming the broken points; others still restore', async () => {
  const b = await build('repo-data');
  const entry = (await treeOf(b.repo, b.alpha[0]!)).find(e => e.path.endsWith('docs/f3.bin'))!;
  await flipByteOf(b, entry.chunks![0]!);

  const v = await cli(['verify', '--repo', b.dir]);
  assert.equal(v.code, 12, v.stdout + v.stderr);
  for (const p of b.alpha) assert.match(v.stdout, new RegExp(`broken restore point ${p.id} of alpha`));
  assert.doesNotMatch(v.stdout, new RegExp(b.beta.id), 'an undamaged backup is not blamed');
  assert.match(v.stderr, /2 broken restore point/);
  const json = await cli(['verify', '--repo', b.dir, '--json']);
  assert.equal(json.code, 12);
  const report = JSON.parse(json.stdout) as {
    ok: boolean;
    badChunks: number;
    badPacks: string[];
    brokenPoints: {pointId: string; backupId: string; machine: string}[];
  };
  assert.equal(report.ok, false);
  assert.equal(report.badChunks, 1, 'only the blob with the flipped byte is bad');
  assert.equal(report.badPacks.length, 1);
  assert.deepEqual(report.brokenPoints.map(p => p.pointId).sort(), b.alpha.map(p => p.id).sort());

  const r = await cli([
    'restore',
    '--repo',
    b.dir,
    '--backup',
    b.alpha[1]!.backupId,
    '--point',
    b.alpha[1]!.id,
    '--to',
    join(work, 'out-bad'),
  ]);
  assert.equal(r.code, 12, r.stderr);
  assert.match(r.stderr, new RegExp(`Restore point ${b.alpha[1]!.id} of alpha`));
  assert.equal(r.stderr.split('\n').filter(l => l.startsWith('backhaul:')).length, 1, 'one clear sentence');
  const ok = await cli([
    'restore',
    '--repo',
    b.dir,
    '--backup',
    b.beta.backupId,
    '--point',
    'latest',
    '--to',
    join(work, 'out-good'),
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  // A restore limited to undamaged files of a damaged point still works.
  const part = await cli([
    'restore',
    '--repo',
    b.dir,
    '--backup',
    b.alpha[0]!.backupId,
    '--point',
    b.alpha[0]!.id,
    '--path',
    'alpha/big.bin',
    '--to',
    join(work, 'out-part'),
  ]);
  assert.equal(part.code, 0, part.stderr);
});

test('a flipped byte in a file tree: verify and restore name the point', async () => {
  const b = await build('repo-tree');
  const point = b.alpha[1]!;
  // The second point's tree differs from the first one's (a file was added): only it breaks.
  const tree = point.nodes[0]!.disks[0]!.tree!;
  assert.notDeepEqual(tree, b.alpha[0]!.nodes[0]!.disks[0]!.tree);
  await flipByteOf(b, tree[0]!);
  const v = await cli(['verify', '--repo', b.dir, '--json']);
  assert.equal(v.code, 12);
  const report = JSON.parse(v.stdout) as {brokenPoints: {pointId: string}[]};
  assert.deepEqual(
    report.brokenPoints.map(p => p.pointId),
    [point.id],
  );
  const r = await cli([
    'restore',
    '--repo',
    b.dir,
    '--backup',
    point.backupId,
    '--point',
    point.id,
    '--to',
    join(work, 'out-tree'),
  ]);
  assert.equal(r.code, 12, r.stderr);
  assert.match(r.stderr, new RegExp(point.id));
});

test('a missing pack: verify names every point that needs it', async () => {
  const b = await build('repo-missing');
  const entry = (await treeOf(b.repo, b.beta)).find(e => e.path === 'beta/big.bin')!;
  await fs.rm(join(b.dir, packKey(b.repo.index.get(entry.chunks![0]!)!.pack)));
  const v = await cli(['verify', '--repo', b.dir, '--json']);
  assert.equal(v.code, 12);
  const report = JSON.parse(v.stdout) as {brokenPoints: {pointId: string}[]};
  assert.deepEqual(
    report.brokenPoints.map(p => p.pointId),
    [b.beta.id],
  );
  const r = await cli(['restore', '--repo', b.dir, '--backup', b.beta.backupId, '--to', join(work, 'out-missing')]);
  assert.equal(r.code, 12, r.stderr);
  assert.match(r.stderr, new RegExp(b.beta.id));
});

async function snapshotFiles(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir, {recursive: true});
  return names.map(String).sort();
}

test('a repository of an unknown format version is refused with exit 17, and left untouched', async () => {
  const dir = join(work, 'repo-v99');
  await Repository.create(new FilesystemStorage(dir));
  const config = JSON.parse(await fs.readFile(join(dir, 'config'), 'utf8')) as {version: number};
  config.version = 99;
  await fs.writeFile(join(dir, 'config'), JSON.stringify(config));
  const before = await snapshotFiles(dir);
  const src = join(work, 'v99-src');
  await fs.mkdir(src, {recursive: true});
  for (const args of [
    ['list', '--repo', dir],
    ['verify', '--repo', dir],
    ['agent', 'backup', '--repo', dir, '--job', 'j', '--machine', 'm', '--kind', 'server', '--path', src],
    ['repo', 'add', 'v99', dir],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 17, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /uses repository format version 99; this Backhaul reads versions 1 and 2/);
    assert.match(r.stderr, /hint: Upgrade Backhaul/);
  }
  assert.deepEqual(await snapshotFiles(dir), before, 'nothing was written');
  assert.equal(JSON.parse(await fs.readFile(join(dir, 'config'), 'utf8')).version, 99);
  const list = await cli(['repo', 'list', '--json']);
  assert.deepEqual(JSON.parse(list.stdout), [], 'a refused repository is not registered');
});

test('a garbage or foreign config is refused with a clear message', async () => {
  const dir = join(work, 'repo-garbage');
  await Repository.create(new FilesystemStorage(dir));
  for (const [content, message] of [
    ['\u0000\u0001 not json {', /has an unreadable config/],
    ['{"format": "restic", "version": 1}', /is not a Backhaul repository/],
    ['{"format": "backhaul-repository", "version": "one"}', /uses repository format version one/],
    ['{"format": "backhaul-repository", "version": 0}', /uses repository format version 0/],
    ['[]', /is not a Backhaul repository/],
    ['null', /unreadable config|is not a Backhaul repository/],
  ] as const) {
    await fs.writeFile(join(dir, 'config'), content);
    await assert.rejects(Repository.open(new FilesystemStorage(dir)), (e: unknown) => {
      assert.ok(e instanceof BackhaulError, `config ${JSON.stringify(content)}: ${String(e)}`);
      assert.equal(e.exitCode, 17);
      assert.match(e.message, message);
      assert.ok(e.hint.length > 0);
      return true;
    });
  }
  // The same through the CLI: one sentence and a hint on stderr, exit 17.
  await fs.writeFile(join(dir, 'config'), 'garbage');
  const g = await cli(['list', '--repo', dir]);
  assert.equal(g.code, 17, g.stderr);
  assert.match(g.stderr, /^backhaul: .* has an unreadable config\.\nhint: /);
  await fs.rm(join(dir, 'config'));
  const r = await cli(['list', '--repo', dir]);
  assert.equal(r.code, 10, r.stderr);
  assert.match(r.stderr, /No Backhaul repository at/);
});
