/**
 * Restore treats a manifest as untrusted input and the destination as
 * hostile: crafted trees with `../`, absolute paths, `a/../../x`, a NUL, a
 * symlink followed by a file beneath it, or unsafe node and disk names are
 * refused, and nothing is ever written outside DIR; a symlink planted in DIR
 * is never written through; existing files are not overwritten unless
 * --overwrite (exit 16, nothing written). The repositories here are written
 * with the real RepositoryWriter, as a tampered or malicious writer would.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import {newBackupId, newPointId, type BackupId, type ChunkId} from '../../../source/engine/ids.js';
import type {BackupRecord, DiskManifest, PointManifest, TreeEntry} from '../../../source/engine/repository/model.js';
import {pointKey, Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {restorePoint} from '../../../source/engine/restore/restore.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {runCli} from '../../helpers/cli.js';

let work: string;
let home: string;
let repoDir: string;
let repo: Repository;
let outside: string;
let payload: ChunkId;
const backupId: BackupId = newBackupId();
const record: BackupRecord = {
  format: 1,
  id: backupId,
  job: 'crafted',
  machine: 'evil',
  kind: 'workstation',
  owner: userInfo().username,
  access: [`user:${userInfo().username}`],
  createdAt: new Date().toISOString(),
  nodes: [{name: 'evil', disks: [{name: 'files', kind: 'files', shared: false}]}],
};

const now = Date.parse('2026-01-02T03:04:05Z');
const dir = (path: string): TreeEntry => ({path, type: 'dir', mode: 0o755, uid: 0, gid: 0, mtimeMs: now, size: 0});
const file = (path: string): TreeEntry => ({
  path,
  type: 'file',
  mode: 0o644,
  uid: 0,
  gid: 0,
  mtimeMs: now,
  size: 6,
  chunks: [payload],
});
const link = (path: string, target: string): TreeEntry => ({
  path,
  type: 'symlink',
  mode: 0o777,
  uid: 0,
  gid: 0,
  mtimeMs: now,
  size: 0,
  target,
});

/** Commits a point whose nodes hold the given disks (file trees written verbatim, in the given order). */
async function craftPoint(
  nodes: {name: string; disks: {name: string; entries?: TreeEntry[]; image?: boolean}[]}[],
): Promise<PointManifest> {
  const writer = await RepositoryWriter.begin(repo, 'crafting a test manifest');
  try {
    const manifestNodes = [];
    for (const n of nodes) {
      const disks: DiskManifest[] = [];
      for (const d of n.disks) {
        if (d.image)
          disks.push({
            name: d.name,
            kind: 'image',
            shared: false,
            logicalBytes: 6,
            image: {size: 6, chunks: [payload]},
          });
        else
          disks.push({
            name: d.name,
            kind: 'files',
            shared: false,
            logicalBytes: 6,
            fileCount: 1,
            tree: await writer.addTree(d.entries!),
          });
      }
      manifestNodes.push({name: n.name, disks});
    }
    const manifest: PointManifest = {
      format: 1,
      id: newPointId(),
      backupId,
      time: new Date().toISOString(),
      type: 'full',
      nodes: manifestNodes,
      logicalBytes: 6,
      storedBytes: 0,
    };
    // Straight to storage, as a malicious writer would: RepositoryWriter.commitPoint refuses unsafe names.
    await writer.flush();
    await repo.putBackup(record);
    await repo.storage.put(pointKey(backupId, manifest.id), Buffer.from(JSON.stringify(manifest)));
    return manifest;
  } finally {
    await writer.close();
  }
}

/** Every path under `root`, for "nothing changed here" checks. */
async function listAll(root: string): Promise<string[]> {
  return (await fs.readdir(root, {recursive: true})).map(String).sort();
}

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-restore-safety-'));
  home = join(work, 'home');
  repoDir = join(work, 'repo');
  outside = join(work, 'outside');
  await fs.mkdir(outside);
  repo = await Repository.create(new FilesystemStorage(repoDir));
  const writer = await RepositoryWriter.begin(repo, 'test data');
  payload = await writer.addChunk(Buffer.from('pwned\n'));
  await writer.flush();
  await writer.close();
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

async function assertRefused(point: PointManifest, name: string, viaCli = false): Promise<void> {
  const parent = join(work, `dest-${name}`);
  const dest = join(parent, 'DIR');
  await fs.mkdir(dest, {recursive: true});
  const outsideBefore = await listAll(outside);
  await assert.rejects(
    restorePoint(repo, record, point, {to: dest}),
    (e: unknown) => {
      assert.ok(e instanceof BackhaulError, `${name}: ${String(e)}`);
      assert.ok(['corrupt', 'denied'].includes(e.code), `${name}: ${e.code}: ${e.message}`);
      return true;
    },
    `${name} must be refused`,
  );
  assert.deepEqual(await listAll(outside), outsideBefore, `${name}: nothing written outside`);
  assert.deepEqual(await fs.readdir(parent), ['DIR'], `${name}: nothing written next to DIR`);
  assert.deepEqual(await listAll(dest), [], `${name}: a refused manifest writes nothing at all`);
  if (!viaCli) return;
  // The CLI says so in one sentence and a non-zero exit code.
  const r = await runCli(home, ['restore', '--repo', repoDir, '--backup', backupId, '--point', point.id, '--to', dest]);
  assert.ok(r.code === 12 || r.code === 15, `${name}: CLI exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, /^backhaul: /);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.deepEqual(await listAll(outside), outsideBefore);
  assert.deepEqual(await fs.readdir(parent), ['DIR']);
}

test('crafted entry paths that leave DIR are refused and nothing is written', async () => {
  const cases: [string, TreeEntry[]][] = [
    ['dotdot', [dir('ok'), file('ok/fine.txt'), file('../escape')]],
    ['absolute', [file(join(outside, 'abs-pwned'))]],
    ['absolute-dir', [dir(outside), file(`${outside}/inside`)]],
    ['dotdot-middle', [dir('a'), file('a/../../x')]],
    ['dotdot-deep', [file('a/b/../../../../x')]],
    ['dot', [file('./x')]],
    ['empty-segment', [file('a//x')]],
    ['trailing-slash', [file('x/')]],
    ['nul', [file('x\u0000/../../y')]],
    ['empty', [file('')]],
    ['dotdot-dir', [dir('..'), file('../x')]],
    ['dotdot-symlink', [link('../evil-link', outside)]],
  ];
  for (const [name, entries] of cases) {
    await assertRefused(
      await craftPoint([{name: 'evil', disks: [{name: 'files', entries}]}]),
      name,
      name === 'dotdot' || name === 'absolute',
    );
  }
});

test('a symlink followed by a file beneath it is refused, in any order', async () => {
  const cases: [string, TreeEntry[]][] = [
    ['link-then-file', [link('link', outside), file('link/pwned')]],
    ['file-then-link', [file('link/pwned'), link('link', outside)]],
    ['relative-link', [dir('a'), link('a/up', '../..'), file('a/up/pwned')]],
    ['nested', [link('d', outside), dir('d/sub'), file('d/sub/pwned')]],
    ['duplicate', [dir('x'), link('x', outside), file('x/pwned')]],
  ];
  for (const [name, entries] of cases) {
    await assertRefused(
      await craftPoint([{name: 'evil', disks: [{name: 'files', entries}]}]),
      name,
      name === 'link-then-file',
    );
  }
  // A symlink to anywhere is fine on its own: it is restored as a symlink, never followed.
  const fine = await craftPoint([
    {name: 'evil', disks: [{name: 'files', entries: [link('link', outside), file('other')]}]},
  ]);
  const dest = join(work, 'dest-plain-link');
  await restorePoint(repo, record, fine, {to: dest});
  assert.equal(await fs.readlink(join(dest, 'link')), outside);
  assert.deepEqual(await listAll(outside), []);
});

test('unsafe node and disk names cannot place files outside DIR', async () => {
  const entries = [dir('d'), file('d/f')];
  await assertRefused(
    await craftPoint([{name: 'evil', disks: [{name: '../../img-escape', image: true}]}]),
    'image-disk-name',
    true,
  );
  await assertRefused(
    await craftPoint([
      {name: '..', disks: [{name: 'files', entries}]},
      {name: 'ok', disks: [{name: 'files', entries}]},
    ]),
    'node-name',
  );
  await assertRefused(
    await craftPoint([
      {
        name: 'evil',
        disks: [
          {name: '..', entries},
          {name: 'other', entries},
        ],
      },
    ]),
    'disk-name',
  );
});

test('a symlink planted in the destination is never written through', async () => {
  const good = await craftPoint([
    {
      name: 'evil',
      disks: [
        {name: 'files', entries: [dir('home'), dir('home/alice'), file('home/alice/notes.txt'), file('top.txt')]},
      ],
    },
  ]);
  const outside2 = join(work, 'outside2');
  await fs.mkdir(outside2);
  const dest = join(work, 'dest-planted', 'DIR');
  await fs.mkdir(dest, {recursive: true});
  await fs.symlink(outside2, join(dest, 'home'));
  for (const overwrite of [false, true]) {
    const args = [
      'restore',
      '--repo',
      repoDir,
      '--backup',
      backupId,
      '--point',
      good.id,
      '--to',
      dest,
      ...(overwrite ? ['--overwrite'] : []),
    ];
    const r = await runCli(home, args);
    assert.notEqual(r.code, 0, `overwrite=${overwrite}: restore through a planted symlink must fail`);
    assert.match(r.stderr, /symlink/);
    assert.deepEqual(await listAll(outside2), [], `overwrite=${overwrite}: nothing written through DIR/home`);
  }
  // A planted symlink in place of a file is not followed either, even with --overwrite.
  const victim = join(outside2, 'victim.txt');
  await fs.writeFile(victim, 'precious\n');
  const dest2 = join(work, 'dest-planted-file', 'DIR');
  await fs.mkdir(dest2, {recursive: true});
  await fs.symlink(victim, join(dest2, 'top.txt'));
  const r = await runCli(home, [
    'restore',
    '--repo',
    repoDir,
    '--backup',
    backupId,
    '--point',
    good.id,
    '--to',
    dest2,
    '--overwrite',
  ]);
  assert.equal(await fs.readFile(victim, 'utf8'), 'precious\n', 'the symlink target is untouched');
  if (r.code === 0)
    assert.ok((await fs.lstat(join(dest2, 'top.txt'))).isFile(), 'replaced by a file, not written through');
  else assert.match(r.stderr, /symlink/);
});

test('existing files are not overwritten unless --overwrite (exit 16, nothing written)', async () => {
  const good = await craftPoint([
    {
      name: 'evil',
      disks: [{name: 'files', entries: [dir('docs'), file('docs/a.txt'), file('docs/b.txt'), file('z.txt')]}],
    },
  ]);
  const dest = join(work, 'dest-existing');
  await fs.mkdir(join(dest, 'docs'), {recursive: true});
  await fs.writeFile(join(dest, 'docs', 'b.txt'), 'mine\n');
  const before = await listAll(dest);
  const r = await runCli(home, ['restore', '--repo', repoDir, '--backup', backupId, '--point', good.id, '--to', dest]);
  assert.equal(r.code, 16, r.stderr);
  assert.match(r.stderr, /docs\/b\.txt/);
  assert.match(r.stderr, /hint: .*--overwrite/);
  assert.deepEqual(await listAll(dest), before, 'nothing written when any file would be overwritten');
  assert.equal(await fs.readFile(join(dest, 'docs', 'b.txt'), 'utf8'), 'mine\n');
  const ok = await runCli(home, [
    'restore',
    '--repo',
    repoDir,
    '--backup',
    backupId,
    '--point',
    good.id,
    '--to',
    dest,
    '--overwrite',
  ]);
  assert.equal(ok.code, 0, ok.stderr);
  for (const p of ['docs/a.txt', 'docs/b.txt', 'z.txt'])
    assert.equal(await fs.readFile(join(dest, p), 'utf8'), 'pwned\n');
});
