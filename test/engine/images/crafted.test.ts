/**
 * A filesystem image is hostile input, like a manifest: crafted ext4 images
 * (a symlink escaping upwards, a name with '/', a device node, a setuid file,
 * a directory loop, a truncated image, no filesystem at all) get the same
 * refusals and limits as crafted manifests — a typed error (corrupt: exit 12)
 * or the entry reported and left out — nothing outside the destination, no
 * crash, no hang. Partitions of an MBR disk are listed as p1, p2, ...
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {planRestore} from '../../../source/engine/restore/plan.js';
import {restorePlan, restorePoint} from '../../../source/engine/restore/restore.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

let work: string;
let repo: Repository;
let n = 0;
const record = {id: 'b', machine: 'evil'} as never;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-crafted-img-'));
  repo = await Repository.create(new FilesystemStorage(join(work, 'repo')));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

/** An ext4 image (no metadata checksums, so patched bytes are what a reader sees) from `files`, then debugfs commands. */
async function ext4(files: Record<string, string>, commands: string[], sizeMiB = 16): Promise<string> {
  const src = join(work, `src${++n}`);
  await fs.mkdir(src);
  for (const [path, text] of Object.entries(files)) {
    await fs.mkdir(join(src, path, '..'), {recursive: true});
    await fs.writeFile(join(src, path), text);
  }
  const image = join(work, `img${n}`);
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-O', '^metadata_csum', '-d', src, image, `${sizeMiB}M`]);
  if (commands.length)
    execFileSync('debugfs', ['-w', '-f', '-', image], {
      input: commands.join('\n') + '\n',
      stdio: ['pipe', 'ignore', 'ignore'],
    });
  return image;
}

async function backUp(image: string): Promise<PointManifest> {
  return runBackup(repo, {
    job: `j${++n}`,
    machine: 'evil',
    kind: 'server',
    owner: userInfo().username,
    nodes: [{name: 'evil', disks: [{name: 'disk', kind: 'image', image}]}],
  });
}

/** Every path under `dir`, symlinks not followed (to show nothing landed outside the destination). */
async function listAll(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, {withFileTypes: true})) {
    out.push(prefix + e.name);
    if (e.isDirectory()) out.push(...(await listAll(join(dir, e.name), `${prefix}${e.name}/`)));
  }
  return out.sort();
}

async function patch(image: string, from: string, to: string): Promise<void> {
  const data = await fs.readFile(image);
  const at = data.indexOf(from);
  assert.ok(at > 0, `${from} is in the image`);
  data.write(to, at, 'latin1');
  await fs.writeFile(image, data);
}

test('a symlink escaping upwards is restored as a symlink (data), never followed', async () => {
  const point = await backUp(await ext4({'home/x': 'x'}, ['symlink home/evil ../../../../etc']));
  const to = join(work, 'out-link');
  await restorePoint(repo, record, point, {to, disk: 'disk', paths: ['home']});
  assert.equal(await fs.readlink(join(to, 'home/evil')), '../../../../etc');
  assert.deepEqual(await listAll(work + '/out-link'), ['home', 'home/evil', 'home/x']);
  await assert.rejects(
    restorePoint(repo, record, point, {to: join(work, 'out-link2'), disk: 'disk', paths: ['home/evil/passwd']}),
    {code: 'not-found'},
  );
});

test("a name with '/' is refused as corrupt, with nothing written", async () => {
  const image = await ext4({'d/slashXname0123': 'a'}, []);
  await patch(image, 'slashXname0123', 'slash/name0123');
  const point = await backUp(image);
  const to = join(work, 'out-slash');
  await assert.rejects(
    restorePoint(repo, record, point, {to, disk: 'disk', paths: ['d']}),
    (e: unknown) => e instanceof BackhaulError && e.code === 'corrupt' && e.exitCode === 12,
  );
  await assert.rejects(fs.stat(to), {code: 'ENOENT'});
});

test("a second '..' entry is never a way out of the destination", async () => {
  const image = await ext4({'d/zz': 'a', 'd/keep': 'k'}, []);
  // ".." in place of "zz": same length, so the directory block stays well formed.
  const data = await fs.readFile(image);
  const at = data.indexOf('zz\0\0');
  assert.ok(at > 0);
  data.write('..', at, 'latin1');
  await fs.writeFile(image, data);
  const point = await backUp(image);
  const to = join(work, 'out-dotdot');
  await restorePoint(repo, record, point, {to, disk: 'disk', paths: ['d']}).catch((e: unknown) =>
    assert.equal((e as BackhaulError).code, 'corrupt'),
  );
  assert.deepEqual(await fs.readdir(work).then(l => l.filter(x => x === 'keep' || x === 'zz')), []);
  for (const p of await listAll(to).catch(() => [])) assert.ok(p === 'd' || p.startsWith('d/'), p);
});

test('a device node is reported, not restored; a setuid file loses its bit unless root restores for root', async () => {
  const point = await backUp(
    await ext4({'bin/tool': '#!/bin/sh\n'}, ['cd /bin', 'mknod mem c 1 1', 'cd /', 'sif /bin/tool mode 0104755']),
  );
  const plan = await planRestore(repo, point, {disk: 'disk', paths: ['bin']});
  try {
    assert.deepEqual(plan.skipped, ['bin/mem (character device)']);
    const to = join(work, 'out-dev');
    const me = {uid: process.geteuid!(), gid: process.getegid!(), name: userInfo().username};
    const r = await restorePlan(
      repo,
      plan,
      {kind: 'dir', path: to, conflict: 'fail'},
      {writer: me, keepOwners: false, keepSpecial: false},
    );
    assert.equal(r.specialDropped, 1);
    assert.equal((await fs.stat(join(to, 'bin/tool'))).mode & 0o7777, 0o755);
    assert.deepEqual(await listAll(to), ['bin', 'bin/tool']);
  } finally {
    await plan.close();
  }
});

test('a directory loop ends in corrupt, not a hang', async () => {
  const point = await backUp(await ext4({'d/f': 'f'}, ['link /d /d/loop']));
  await assert.rejects(restorePoint(repo, record, point, {to: join(work, 'out-loop'), disk: 'disk', paths: ['d']}), {
    code: 'corrupt',
    message: /directory loop/,
  });
  await assert.rejects(fs.stat(join(work, 'out-loop')), {code: 'ENOENT'});
});

test('a truncated image is corrupt; an image without a filesystem says so and offers the whole image', async () => {
  const image = await ext4({a: 'a'}, [], 32);
  await fs.truncate(image, 8 * 1024 * 1024);
  const point = await backUp(image);
  await assert.rejects(restorePoint(repo, record, point, {to: join(work, 'out-trunc'), disk: 'disk', paths: ['a']}), {
    code: 'corrupt',
    message: /truncated/,
  });
  const noise = join(work, 'noise.img');
  await fs.writeFile(noise, Buffer.alloc(4 * 1024 * 1024, 0x5a));
  const p2 = await backUp(noise);
  await assert.rejects(
    restorePoint(repo, record, p2, {to: join(work, 'out-noise'), disk: 'disk', paths: ['a']}),
    (e: unknown) =>
      e instanceof BackhaulError &&
      e.code === 'not-found' &&
      /no filesystem/.test(e.message) &&
      /disk\.img/.test(e.hint),
  );
  const whole = await restorePoint(repo, record, p2, {to: join(work, 'out-noise'), disk: 'disk'});
  assert.equal(whole.images.length, 1);
});

test('an MBR disk lists its ext partitions as p1, p2 and restores from them', async () => {
  const part = await ext4({'etc/hostname': 'inside-p2\n'}, [], 8);
  const disk = join(work, 'mbr.img');
  const MiB = 1024 * 1024;
  const data = Buffer.alloc(12 * MiB);
  (await fs.readFile(part)).copy(data, 2 * MiB);
  const entry = (slot: number, type: number, start: number, sectors: number) => {
    const at = 446 + (slot - 1) * 16;
    data[at + 4] = type;
    data.writeUInt32LE(start, at + 8);
    data.writeUInt32LE(sectors, at + 12);
  };
  entry(1, 0x0b, 2048, 2048); // a FAT partition: listed, not readable
  entry(2, 0x83, 4096, 8 * 2048);
  data.writeUInt16LE(0xaa55, 510);
  await fs.writeFile(disk, data);
  const point = await backUp(disk);
  const to = join(work, 'out-mbr');
  await restorePoint(repo, record, point, {to, disk: 'disk', paths: ['p2/etc/hostname']});
  assert.equal(await fs.readFile(join(to, 'p2/etc/hostname'), 'utf8'), 'inside-p2\n');
  await assert.rejects(restorePoint(repo, record, point, {to: join(work, 'out-mbr1'), disk: 'disk', paths: ['p1/x']}), {
    code: 'not-found',
  });
});

test('a GPT disk lists its ext partition by its slot, and a bogus entry count is bounded', async () => {
  const part = await ext4({'srv/ok': 'gpt\n'}, [], 8);
  const MiB = 1024 * 1024;
  const data = Buffer.alloc(12 * MiB);
  (await fs.readFile(part)).copy(data, 2 * MiB);
  data[446 + 4] = 0xee; // protective MBR
  data.writeUInt32LE(1, 446 + 8);
  data.writeUInt32LE(12 * 2048 - 1, 446 + 12);
  data.writeUInt16LE(0xaa55, 510);
  const header = data.subarray(512, 1024);
  header.write('EFI PART', 0, 'latin1');
  header.writeBigUInt64LE(2n, 72);
  header.writeUInt32LE(0xffffffff, 80); // far more entries than any table holds: read at most 256
  header.writeUInt32LE(128, 84);
  const entry = (slot: number, first: number, last: number) => {
    const at = 1024 + (slot - 1) * 128;
    data.fill(0x11, at, at + 16); // any type GUID
    data.writeBigUInt64LE(BigInt(first), at + 32);
    data.writeBigUInt64LE(BigInt(last), at + 40);
  };
  entry(3, 4096, 4096 + 8 * 2048 - 1);
  entry(4, 20_000, 10_000_000); // beyond the disk: listed, never read
  const disk = join(work, 'gpt.img');
  await fs.writeFile(disk, data);
  const point = await backUp(disk);
  const to = join(work, 'out-gpt');
  await restorePoint(repo, record, point, {to, disk: 'disk', paths: ['p3/srv/ok']});
  assert.equal(await fs.readFile(join(to, 'p3/srv/ok'), 'utf8'), 'gpt\n');
  await assert.rejects(restorePoint(repo, record, point, {to: join(work, 'out-gpt4'), disk: 'disk', paths: ['p4/x']}), {
    code: 'not-found',
  });
});
