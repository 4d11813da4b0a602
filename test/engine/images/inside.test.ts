/**
 * Files inside a volume image restore like files of a file-level backup,
 * reading only the chunks they need: a 1 GiB (sparse) ext4 image holding
 * 40 MiB of other data is backed up as a volume-level disk; one 10 KiB file
 * is restored reading < 5 MB from the repository, byte-identical to what
 * debugfs reads from the image; a directory keeps modes, mtimes, symlinks
 * (targets as data), hard links (as copies) and sparse files, and a fifo is
 * reported, not restored.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup} from '../../../source/engine/agent/backup.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {restorePoint} from '../../../source/engine/restore/restore.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {randomBuffer} from '../../helpers/cli.js';

const MiB = 1024 * 1024;
let work: string;
let image: string;
let repo: Repository;
let point: PointManifest;
const backup = {id: '', machine: 'vm'};
const mtime = new Date('2025-03-04T05:06:07Z');

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-inside-'));
  const src = join(work, 'src');
  await fs.mkdir(join(src, 'home/alice/docs'), {recursive: true});
  await fs.mkdir(join(src, 'data'));
  for (let i = 0; i < 40; i++) await fs.writeFile(join(src, 'data', `blob${i}`), randomBuffer(MiB, i));
  await fs.writeFile(join(src, 'home/alice/report.txt'), randomBuffer(10 * 1024, 99));
  await fs.writeFile(join(src, 'home/alice/docs/a.txt'), 'alpha\n');
  await fs.chmod(join(src, 'home/alice/docs/a.txt'), 0o640);
  await fs.link(join(src, 'home/alice/docs/a.txt'), join(src, 'home/alice/docs/a-link.txt'));
  await fs.symlink('../../../etc/shadow', join(src, 'home/alice/docs/escape'));
  const sparse = await fs.open(join(src, 'home/alice/docs/sparse.bin'), 'w');
  await sparse.write(Buffer.from('end'), 0, 3, 20 * MiB);
  await sparse.close();
  execFileSync('mkfifo', [join(src, 'home/alice/docs/pipe')]);
  for (const p of ['home/alice/docs/a.txt', 'home/alice/docs/sparse.bin', 'home/alice/docs'])
    await fs.utimes(join(src, p), mtime, mtime);
  image = join(work, 'disk.img');
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', src, image, '1024M']);
  repo = await Repository.create(new FilesystemStorage(join(work, 'repo')));
  point = await runBackup(repo, {
    job: 'j',
    machine: 'vm',
    kind: 'server',
    owner: userInfo().username,
    nodes: [{name: 'vm', disks: [{name: 'root', kind: 'image', image}]}],
  });
  backup.id = point.backupId;
  repo = await Repository.open(new FilesystemStorage(join(work, 'repo')));
});

after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

const record = () => ({id: backup.id, machine: backup.machine}) as never;

test('one 10 KiB file from a 1 GiB image reads < 5 MB and matches debugfs', async () => {
  const to = join(work, 'one');
  const r = await restorePoint(repo, record(), point, {to, disk: 'root', paths: ['home/alice/report.txt']});
  assert.equal(r.files, 1);
  assert.ok(r.readBytes > 0 && r.readBytes < 5_000_000, `read ${r.readBytes} bytes`);
  const fromDebugfs = execFileSync('debugfs', ['-R', 'cat /home/alice/report.txt', image], {
    stdio: ['ignore', 'pipe', 'ignore'],
    maxBuffer: 64 * MiB,
  });
  assert.equal(fromDebugfs.length, 10 * 1024);
  assert.deepEqual(await fs.readFile(join(to, 'home/alice/report.txt')), fromDebugfs);
  process.stderr.write(`# readBytes for one 10 KiB file of a 1 GiB image: ${r.readBytes}\n`);
});

test('a directory keeps modes, mtimes, symlinks as data, hard links and sparse files; a fifo is reported', async () => {
  const to = join(work, 'dir');
  const r = await restorePoint(repo, record(), point, {to, disk: 'root', paths: ['home/alice/docs']});
  const docs = join(to, 'home/alice/docs');
  assert.deepEqual((await fs.readdir(docs)).sort(), ['a-link.txt', 'a.txt', 'escape', 'sparse.bin']);
  assert.deepEqual(r.skipped, ['home/alice/docs/pipe (fifo)']);
  const a = await fs.stat(join(docs, 'a.txt'));
  assert.equal(a.mode & 0o7777, 0o640);
  assert.equal(a.mtimeMs, mtime.getTime());
  assert.equal(await fs.readFile(join(docs, 'a-link.txt'), 'utf8'), 'alpha\n');
  assert.equal(await fs.readlink(join(docs, 'escape')), '../../../etc/shadow');
  const sparse = await fs.stat(join(docs, 'sparse.bin'));
  assert.equal(sparse.size, 20 * MiB + 3);
  assert.ok(sparse.blocks * 512 < 2 * MiB, 'the hole stays a hole');
  assert.equal((await fs.stat(docs)).mtimeMs, mtime.getTime());
});

test('without --disk the image restores whole, as before; a path that is not there is not-found', async () => {
  await assert.rejects(
    restorePoint(repo, record(), point, {to: join(work, 'none'), disk: 'root', paths: ['home/bob']}),
    {code: 'not-found'},
  );
});

test('the restore browser lists the files inside the image beside the image itself', async () => {
  const {listTree} = await import('../../../source/engine/restore/tree.js');
  const tree = await listTree(repo, point.nodes[0]!.disks[0]!);
  const names = tree.children!.map(c => `${c.type}:${c.name}`);
  assert.ok(
    names.includes('file:root.img') && names.includes('dir:home') && names.includes('dir:data'),
    names.join(' '),
  );
  const alice = tree.children!.find(c => c.name === 'home')!.children!.find(c => c.name === 'alice')!;
  assert.equal(alice.children!.find(c => c.name === 'report.txt')!.size, 10 * 1024);
});
