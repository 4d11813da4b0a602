/**
 * Old repositories stay readable: test/fixtures/repo-v1 is a frozen version-1
 * repository (written once by test/fixtures/make-repo-v1.ts, committed). This
 * Backhaul must open, list, restore, copy and verify it exactly, and may add to it.
 * If this test fails, the change broke the format: raise FORMAT_VERSION and
 * keep a reader for version 1 instead of editing the fixture.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {ROOT, runCli} from '../../helpers/cli.js';
import {fixtureImage, fixtureTree, POINT_TIMES} from '../../fixtures/repo-v1-content.js';

let work: string;
let home: string;
let repo: string;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-repo-v1-'));
  home = join(work, 'home');
  repo = join(work, 'repo-v1');
  // Work on a copy: the committed fixture must never change, whatever a test does.
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v1'), repo, {recursive: true});
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

async function cli(args: string[]): Promise<string> {
  const r = await runCli(home, args);
  assert.equal(r.code, 0, `backhaul ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

async function assertTree(root: string, point: 1 | 2): Promise<void> {
  const expected = fixtureTree(point);
  const found = (await fs.readdir(join(root, 'home'), {recursive: true})).map(p => `home/${String(p)}`);
  assert.deepEqual(
    found.sort(),
    expected
      .filter(e => e.path !== 'home')
      .map(e => e.path)
      .sort(),
    `point ${point}: the same entries`,
  );
  for (const e of expected) {
    const path = join(root, e.path);
    const s = await fs.lstat(path);
    assert.equal(s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : 'file', e.type, e.path);
    assert.equal(Math.floor(s.mtimeMs), Date.parse(e.mtime), `${e.path}: mtime`);
    if (e.type !== 'symlink') assert.equal(s.mode & 0o7777, e.mode, `${e.path}: mode`);
    if (e.type === 'file') assert.ok((await fs.readFile(path)).equals(e.content!), `${e.path}: content`);
    if (e.type === 'symlink') assert.equal(await fs.readlink(path), e.target);
  }
}

test('the frozen version-1 fixture opens, with both blob encodings', async () => {
  const r = await Repository.open(new FilesystemStorage(repo));
  assert.equal(r.config.version, 1);
  const encodings = new Set([...r.index.entries()].map(([, loc]) => loc.encoding));
  assert.deepEqual([...encodings].sort(), [0, 1], 'raw and deflated blobs are both frozen here');
});

test('list and points read the fixture', async () => {
  const backups = JSON.parse(await cli(['list', '--repo', repo, '--json'])) as {
    id: string;
    machine: string;
    kind: string;
    owner: string;
    points: number;
    logicalBytes: number;
    nodes: {name: string; disks: {name: string; shared: boolean}[]}[];
  }[];
  const byMachine = new Map(backups.map(b => [b.machine, b]));
  assert.deepEqual([...byMachine.keys()].sort(), ['srv-fixture', 'ws-fixture']);
  const ws = byMachine.get('ws-fixture')!;
  assert.equal(ws.kind, 'workstation');
  assert.equal(ws.owner, 'alice');
  assert.equal(ws.points, 2);
  assert.deepEqual(ws.nodes, [{name: 'ws-fixture', disks: [{name: 'files', kind: 'files', shared: false}]}]);
  const srv = byMachine.get('srv-fixture')!;
  assert.equal(srv.kind, 'server');
  assert.equal(srv.owner, 'bob');
  assert.equal(srv.logicalBytes, fixtureImage().length);
  const points = JSON.parse(await cli(['points', ws.id, '--repo', repo, '--json'])) as {
    time: string;
    type: string;
    logicalBytes: number;
  }[];
  assert.deepEqual(
    points.map(p => [p.time, p.type]),
    [
      [POINT_TIMES[0], 'full'],
      [POINT_TIMES[1], 'incremental'],
    ],
  );
  const size = (point: 1 | 2) => fixtureTree(point).reduce((s, e) => s + (e.content?.length ?? 0), 0);
  assert.deepEqual(
    points.map(p => p.logicalBytes),
    [size(1), size(2)],
  );
});

test('both points and the image restore exactly', async () => {
  const backups = JSON.parse(await cli(['list', '--repo', repo, '--json'])) as {id: string; machine: string}[];
  const ws = backups.find(b => b.machine === 'ws-fixture')!;
  const points = JSON.parse(await cli(['points', ws.id, '--repo', repo, '--json'])) as {id: string}[];
  for (const [i, point] of points.entries()) {
    const out = join(work, `out-${i + 1}`);
    await cli(['restore', '--repo', repo, '--backup', ws.id, '--point', point.id, '--to', out]);
    await assertTree(out, (i + 1) as 1 | 2);
  }
  const srv = backups.find(b => b.machine === 'srv-fixture')!;
  const out = join(work, 'out-image');
  await cli(['restore', '--repo', repo, '--backup', srv.id, '--to', out]);
  assert.ok((await fs.readFile(join(out, 'root.img'))).equals(fixtureImage()));
});

test('the fixture copies into a new plain and a new encrypted repository (version 2), whose points restore exactly', async () => {
  const backups = JSON.parse(await cli(['list', '--repo', repo, '--json'])) as {id: string; machine: string}[];
  const password = join(work, 'password');
  await fs.writeFile(password, 'copy of version 1\n');
  for (const [name, extra] of [
    ['plain', []],
    ['encrypted', ['--encrypt', '--password-file', password]],
  ] as const) {
    const target = join(work, `copy-${name}`);
    const pw = extra.length > 0 ? ['--password-file', password] : [];
    await cli(['repo', 'add', `copy-${name}`, target, ...extra]);
    await cli([
      'copy',
      '--from',
      repo,
      '--to',
      `copy-${name}`,
      '--points',
      'all',
      ...(pw.length ? ['--to-password-file', password] : []),
    ]);
    const copied = await Repository.open(
      new FilesystemStorage(target),
      pw.length ? {password: async () => 'copy of version 1'} : {},
    );
    assert.equal(copied.config.version, 2, `${name}: a new repository is version 2`);
    const report = JSON.parse(await cli(['verify', '--repo', target, '--json', ...pw])) as {
      ok: boolean;
      points: number;
    };
    assert.deepEqual([report.ok, report.points], [true, 3], `${name}: every point copied, verifies`);
    const ws = backups.find(b => b.machine === 'ws-fixture')!;
    const points = JSON.parse(await cli(['points', ws.id, '--repo', target, '--json', ...pw])) as {id: string}[];
    assert.equal(points.length, 2);
    for (const [i, point] of points.entries()) {
      const out = join(work, `copy-${name}-out-${i + 1}`);
      await cli(['restore', '--repo', target, '--backup', ws.id, '--point', point.id, '--to', out, ...pw]);
      await assertTree(out, (i + 1) as 1 | 2);
    }
    const srv = backups.find(b => b.machine === 'srv-fixture')!;
    const out = join(work, `copy-${name}-image`);
    await cli(['restore', '--repo', target, '--backup', srv.id, '--to', out, ...pw]);
    assert.ok((await fs.readFile(join(out, 'root.img'))).equals(fixtureImage()), `${name}: the image`);
  }
});

test('the fixture verifies, and this Backhaul can add to it', async () => {
  const report = JSON.parse(await cli(['verify', '--repo', repo, '--json'])) as {
    ok: boolean;
    points: number;
    packs: number;
  };
  assert.equal(report.ok, true);
  assert.equal(report.points, 3);
  const src = join(work, 'more');
  await fs.mkdir(src);
  await fs.writeFile(join(src, 'x.txt'), 'x\n');
  await cli([
    'agent',
    'backup',
    '--repo',
    repo,
    '--job',
    'more',
    '--machine',
    'new-host',
    '--kind',
    'server',
    '--path',
    src,
  ]);
  const after = JSON.parse(await cli(['verify', '--repo', repo, '--json'])) as {ok: boolean; points: number};
  assert.equal(after.ok, true);
  assert.equal(after.points, 4);
});
