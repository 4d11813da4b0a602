/**
 * Round trip through the built CLI: a file-level backup of a real tree
 * (/usr/share/man and /usr/share/zoneinfo, backed up in place, ~25 000
 * entries) plus a crafted tree of awkward cases (symlinks of every kind,
 * empty dirs, a sparse file, odd names, odd modes, old mtimes, foreign
 * owners) restores identical: `diff -r --no-dereference`, and lstat of every
 * entry (type, mode, mtime, size, symlink target, and owner when root). A
 * volume-level backup of a real ext4 image restores with the same SHA-256.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync} from 'node:fs';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {randomBuffer, runCli} from '../../helpers/cli.js';
import {sameTree} from '../../helpers/tree.js';

const REAL = ['/usr/share/man', '/usr/share/zoneinfo'].filter(p => existsSync(p));
const isRoot = process.getuid?.() === 0;
const MiB = 1024 * 1024;
let work: string;
let home: string;
let odd: string;

async function cli(args: string[]): Promise<string> {
  const r = await runCli(home, args);
  assert.equal(r.code, 0, `backhaul ${args.join(' ')} exited ${r.code}:\n${r.stderr}`);
  return r.stdout;
}

async function setTimes(path: string, iso: string): Promise<void> {
  const t = new Date(iso);
  await fs.lutimes(path, t, t);
}

/** The awkward cases a file-level backup must keep. */
async function makeOddTree(dir: string): Promise<void> {
  await fs.mkdir(join(dir, 'empty'), {recursive: true});
  await fs.mkdir(join(dir, 'deep/er/est'), {recursive: true});
  await fs.mkdir(join(dir, 'private'), {mode: 0o700});
  await fs.mkdir(join(dir, 'shared-751'));
  await fs.chmod(join(dir, 'shared-751'), 0o751);
  await fs.mkdir(join(dir, 'setgid'));
  await fs.chmod(join(dir, 'setgid'), 0o2775);
  await fs.mkdir(join(dir, 'sticky'));
  await fs.chmod(join(dir, 'sticky'), 0o1777);
  const files: [string, string | Buffer, number][] = [
    ['with space.txt', 'spaces\n', 0o644],
    ['ünïcødé-文件-😀.txt', 'unicode\n', 0o644],
    ['new\nline', 'a newline in the name\n', 0o600],
    ['tab\there', 'tab\n', 0o644],
    ['-leading-dash', 'dash\n', 0o644],
    ['.hidden', 'dot\n', 0o644],
    ['exec-751', '#!/bin/sh\necho hi\n', 0o751],
    ['read-only', 'ro\n', 0o444],
    ['setuid', 'suid\n', 0o4755],
    ['empty-file', '', 0o644],
    ['shared-751/inside.txt', 'inside\n', 0o640],
    ['private/secret', 'secret\n', 0o600],
    ['deep/er/est/leaf.bin', randomBuffer(300_000, 3), 0o644],
    ['medium.bin', randomBuffer(9 * MiB + 7, 4), 0o644], // over the whole-file limit: streamed
    ['text.log', 'log line, compressible\n'.repeat(50_000), 0o644],
  ];
  for (const [name, data, mode] of files) {
    await fs.writeFile(join(dir, name), data);
    await fs.chmod(join(dir, name), mode);
  }
  // A sparse file made with truncate: 64 MiB apparent, 1 MiB of data in the middle.
  execFileSync('truncate', ['-s', '64M', join(dir, 'sparse.img')]);
  const h = await fs.open(join(dir, 'sparse.img'), 'r+');
  await h.write(randomBuffer(MiB, 5), 0, MiB, 20 * MiB);
  await h.close();
  await fs.symlink('with space.txt', join(dir, 'link-relative'));
  await fs.symlink('/etc/hostname', join(dir, 'link-absolute'));
  await fs.symlink('does/not/exist', join(dir, 'link-dangling'));
  await fs.symlink('deep/er', join(dir, 'link-to-dir'));
  await fs.symlink('../../..', join(dir, 'deep/er/est/link-up'));
  await fs.symlink('ünïcødé-文件-😀.txt', join(dir, 'link to unicode'));
  if (isRoot) {
    await fs.chown(join(dir, 'with space.txt'), 1234, 5678);
    await fs.chown(join(dir, 'shared-751'), 2345, 6789);
    await fs.lchown(join(dir, 'link-relative'), 1234, 5678);
  }
  // Old mtimes, on files, symlinks and directories (directories last: writing changes them).
  await setTimes(join(dir, 'read-only'), '1985-10-26T01:21:00.123Z');
  await setTimes(join(dir, 'exec-751'), '2001-09-09T01:46:40Z');
  await setTimes(join(dir, 'tab\there'), '1969-07-20T20:17:40.250Z'); // before 1970
  await setTimes(join(dir, '.hidden'), '2026-11-25T12:34:56.100Z'); // a millisecond value doubles cannot hold
  await setTimes(join(dir, 'link-relative'), '1999-12-31T23:59:59.999Z');
  await setTimes(join(dir, 'empty'), '1990-01-01T00:00:00Z');
  await setTimes(join(dir, 'deep/er/est'), '1995-05-05T05:05:05Z');
  await setTimes(join(dir, 'deep/er'), '1996-06-06T06:06:06Z');
}

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-roundtrip-'));
  home = join(work, 'home');
  odd = join(work, 'odd');
  await makeOddTree(odd);
  await cli(['repo', 'add', 'rt', join(work, 'repo')]);
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

function timer(t: {diagnostic(m: string): void}): (what: string) => void {
  let last = Date.now();
  return what => {
    t.diagnostic(`${what}: ${((Date.now() - last) / 1000).toFixed(1)} s`);
    last = Date.now();
  };
}

test('file-level: a real tree and awkward cases restore identical', async t => {
  if (REAL.length === 0)
    t.diagnostic('no /usr/share/man or /usr/share/zoneinfo here: only the crafted tree is backed up');
  const lap = timer(t);
  const paths = [...REAL, odd].flatMap(p => ['--path', p]);
  const full = JSON.parse(
    await cli([
      'agent',
      'backup',
      '--repo',
      'rt',
      '--job',
      'rt',
      '--machine',
      'host1',
      '--kind',
      'server',
      ...paths,
      '--json',
    ]),
  ) as {backupId: string; pointId: string; type: string; seconds: number};
  assert.equal(full.type, 'full');
  assert.ok(full.seconds > 0, `the JSON result says how long the backup took (${full.seconds})`);
  lap('backup');
  const out = join(work, 'out-full');
  const result = JSON.parse(
    await cli(['restore', '--repo', 'rt', '--backup', full.backupId, '--point', full.pointId, '--to', out, '--json']),
  ) as {files: number};
  assert.ok(result.files > 0);
  lap(`restore of ${result.files} files`);
  for (const src of [...REAL, odd]) {
    const name = src.split('/').pop()!;
    await sameTree(src, join(out, name), {owners: isRoot, label: name});
  }
  lap('compare');
  // Sparse stays sparse: 64 MiB apparent, a few MiB allocated (data plus the chunks around it).
  const sparse = await fs.stat(join(out, 'odd', 'sparse.img'));
  assert.equal(sparse.size, 64 * MiB);
  assert.ok(sparse.blocks * 512 <= 12 * MiB, `restored sparse file allocates ${sparse.blocks * 512} bytes`);
  t.diagnostic(`sparse file: ${sparse.blocks * 512} bytes allocated of ${sparse.size}`);
  await fs.rm(out, {recursive: true, force: true});
});

test('file-level incremental: both points restore as they were (edits, adds, deletes, chmod, symlinks)', async () => {
  const tree = join(work, 'tree');
  execFileSync('cp', ['-a', odd, tree]);
  const backup = [
    'agent',
    'backup',
    '--repo',
    'rt',
    '--job',
    'incr',
    '--machine',
    'host3',
    '--kind',
    'workstation',
    '--path',
    tree,
    '--json',
  ];
  const full = JSON.parse(await cli(backup)) as {backupId: string; pointId: string; type: string};
  assert.equal(full.type, 'full');
  const treeV1 = join(work, 'tree-v1');
  execFileSync('cp', ['-a', tree, treeV1]);

  await fs.writeFile(join(tree, 'with space.txt'), 'edited\n');
  await fs.writeFile(join(tree, 'deep/er/added.txt'), 'new file\n');
  await fs.rm(join(tree, '-leading-dash'));
  await fs.chmod(join(tree, 'exec-751'), 0o700);
  await fs.rm(join(tree, 'link-dangling'));
  await fs.symlink('medium.bin', join(tree, 'link-dangling'));
  await fs.rm(join(tree, 'empty'), {recursive: true});
  const incr = JSON.parse(await cli(backup)) as {backupId: string; pointId: string; type: string; storedBytes: number};
  assert.equal(incr.type, 'incremental');
  assert.equal(incr.backupId, full.backupId);

  const out1 = join(work, 'out-point1');
  await cli(['restore', '--repo', 'rt', '--backup', full.backupId, '--point', full.pointId, '--to', out1]);
  await sameTree(treeV1, join(out1, 'tree'), {owners: isRoot, label: 'point 1'});
  const out2 = join(work, 'out-point2');
  await cli([
    'restore',
    '--repo',
    'rt',
    '--backup',
    full.backupId,
    '--point',
    'latest',
    '--path',
    'tree/deep',
    '--to',
    out2,
  ]);
  assert.deepEqual(await fs.readdir(join(out2, 'tree')), ['deep'], '--path restores only what it names');
  await sameTree(join(tree, 'deep'), join(out2, 'tree', 'deep'), {owners: isRoot, label: 'point 2, --path'});
  const out3 = join(work, 'out-point3');
  await cli(['restore', '--repo', 'rt', '--backup', full.backupId, '--point', 'latest', '--to', out3]);
  await sameTree(tree, join(out3, 'tree'), {owners: isRoot, label: 'point 2'});
});

test('volume-level: a real ext4 image restores with the same SHA-256', async t => {
  const content = ['/usr/share/perl', '/usr/share/zoneinfo', '/usr/share/man/man1'].find(p => existsSync(p)) ?? odd;
  const image = join(work, 'disk.img');
  try {
    execFileSync('mkfs.ext4', ['-q', '-F', '-d', content, image, '64M'], {stdio: 'pipe'});
  } catch (e) {
    t.skip(`mkfs.ext4 -d is not available (${(e as Error).message.split('\n')[0]}); install e2fsprogs`);
    return;
  }
  const sha = async (p: string) =>
    createHash('sha256')
      .update(await fs.readFile(p))
      .digest('hex');
  const before = await sha(image);
  const point = JSON.parse(
    await cli([
      'agent',
      'backup',
      '--repo',
      'rt',
      '--job',
      'vol',
      '--machine',
      'host2',
      '--kind',
      'server',
      '--disk',
      `root=${image}`,
      '--json',
    ]),
  ) as {backupId: string; pointId: string; logicalBytes: number};
  assert.equal(point.logicalBytes, 64 * MiB);
  const out = join(work, 'out-image');
  const result = JSON.parse(
    await cli(['restore', '--repo', 'rt', '--backup', point.backupId, '--point', 'latest', '--to', out, '--json']),
  ) as {images: string[]};
  assert.deepEqual(result.images, [join(out, 'root.img')]);
  assert.equal((await fs.stat(join(out, 'root.img'))).size, 64 * MiB);
  assert.equal(await sha(join(out, 'root.img')), before);
  // The restored image is a valid file system, not just equal bytes.
  execFileSync('e2fsck', ['-n', '-f', join(out, 'root.img')], {stdio: 'pipe'});
});
