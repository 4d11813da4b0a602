/**
 * The sudo rule's repository checks (storage/root-only.ts): a directory
 * repository is opened for a sudo caller only if only root can have written
 * it, and is then read through the descriptor the checks ended on. Root only
 * (ownership and modes are what is tested); CI runs as root.
 */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {chmod, chown, lchown, mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {packKey} from '../../../source/engine/repository/pack.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {VerifyPool} from '../../../source/engine/workers/verify-pool.js';
import {rootOnlyTempDir} from '../../helpers/root-only.js';

const skip = process.getuid?.() !== 0 ? 'ownership checks need root (CI runs as root)' : false;
let base: string;

before(async () => {
  if (!skip) base = await rootOnlyTempDir('root-only');
});
after(async () => {
  if (base) await rm(base, {recursive: true, force: true});
});

async function newRepo(parent: string, name: string): Promise<string> {
  const dir = join(parent, name);
  await Repository.create(new FilesystemStorage(dir));
  return dir;
}

function refused(e: unknown): boolean {
  assert.ok(e instanceof BackhaulError, String(e));
  assert.equal(e.code, 'denied');
  assert.equal(e.exitCode, 15);
  assert.match(e.message, /only repositories that only root can change/);
  return true;
}

test('a repository only root can change opens, and reads work through its descriptor', {skip}, async () => {
  const dir = await newRepo(base, 'good');
  const storage = FilesystemStorage.openRootOnly(dir);
  assert.equal(storage.rootOnly, true);
  assert.equal(storage.location, dir);
  const repo = await Repository.open(storage);
  assert.match(repo.id, /^[0-9a-f]{32}$/);
  await storage.close();
});

test('world-writable places (/tmp, /var/tmp, /dev/shm) and group-writable parents are refused', {skip}, async () => {
  for (const parent of ['/tmp', '/var/tmp', '/dev/shm']) {
    const dir = await mkdtemp(join(parent, 'bh-planted-'));
    try {
      await Repository.create(new FilesystemStorage(dir));
      assert.throws(() => FilesystemStorage.openRootOnly(dir), refused, parent);
    } finally {
      await rm(dir, {recursive: true, force: true});
    }
  }
  const group = join(base, 'group-writable');
  await mkdir(group, {mode: 0o770});
  await chmod(group, 0o770);
  const dir = await newRepo(group, 'repo');
  assert.throws(() => FilesystemStorage.openRootOnly(dir), refused);
});

test("a caller's own repository is refused before anything in it is read", {skip}, async () => {
  const dir = join(base, 'callers');
  await mkdir(dir, {mode: 0o700});
  // The config is a symlink to a root-only file: reading it first told "exists" (17) from "missing" (10).
  await symlink('/etc/shadow', join(dir, 'config'));
  await chown(dir, 65534, 65534);
  assert.throws(() => FilesystemStorage.openRootOnly(dir), refused);
  await rm(join(dir, 'config'));
  assert.throws(() => FilesystemStorage.openRootOnly(dir), refused, 'the same answer whatever it holds');
  assert.throws(
    () => FilesystemStorage.openRootOnly(join(base, 'no-such-dir')),
    refused,
    'a missing one answers alike',
  );
});

test("nothing inside may be a symlink, another user's, or writable by others", {skip}, async () => {
  const planted = await newRepo(base, 'inner-link');
  await rm(join(planted, 'config'));
  await symlink('/etc/hostname', join(planted, 'config'));
  assert.throws(() => FilesystemStorage.openRootOnly(planted), refused);

  const linkedDir = await newRepo(base, 'inner-dir-link');
  await mkdir(join(linkedDir, 'backups'), {mode: 0o700});
  await symlink('/etc', join(linkedDir, 'backups', 'b000000000001'));
  assert.throws(() => FilesystemStorage.openRootOnly(linkedDir), refused);

  const writable = await newRepo(base, 'inner-writable');
  await chmod(join(writable, 'config'), 0o666);
  assert.throws(() => FilesystemStorage.openRootOnly(writable), refused);

  const owned = await newRepo(base, 'inner-owned');
  await mkdir(join(owned, 'access'), {mode: 0o700});
  await writeFile(join(owned, 'access', 'policy.json'), '{}', {mode: 0o600});
  await chown(join(owned, 'access', 'policy.json'), 65534, 65534);
  assert.throws(() => FilesystemStorage.openRootOnly(owned), refused);
});

test('symlinks on the way are followed only when root owns them', {skip}, async () => {
  const dir = await newRepo(base, 'target');
  await symlink(dir, join(base, 'via-root-link'));
  const storage = FilesystemStorage.openRootOnly(join(base, 'via-root-link'));
  await Repository.open(storage);
  await storage.close();
  const theirs = join(base, 'via-their-link');
  await symlink(dir, theirs);
  await lchown(theirs, 65534, 65534);
  assert.throws(() => FilesystemStorage.openRootOnly(theirs), refused);
});

test('what was checked is what is read: swapping the directory afterwards changes nothing', {skip}, async () => {
  const dir = await newRepo(base, 'swapped');
  const storage = FilesystemStorage.openRootOnly(dir);
  const config = (await storage.get('config')).toString();
  // Someone who could rename it puts another directory (or a symlink) in its place.
  await rename(dir, `${dir}.moved`);
  const other = await newRepo(base, 'swapped-other');
  await symlink(other, dir);
  assert.equal((await storage.get('config')).toString(), config);
  assert.notEqual((await readFile(join(dir, 'config'))).toString(), config);
  await storage.close();
});

test(
  "its local paths name the held descriptor, and a copy's workers read and copy packs through them",
  {skip},
  async () => {
    const dir = await newRepo(base, 'workers');
    const src = join(base, 'workers-src');
    await mkdir(src);
    await writeFile(join(src, 'data.bin'), randomBytes(300 * 1024));
    await runBackup(await Repository.open(new FilesystemStorage(dir)), {
      job: 'j',
      machine: 'm',
      kind: 'server',
      owner: 'root',
      nodes: [{name: 'm', disks: [{name: 'files', kind: 'files', roots: [{root: src, prefix: ''}]}]}],
    });
    const storage = FilesystemStorage.openRootOnly(dir);
    const repo = await Repository.open(storage);
    const pool = new VerifyPool(1);
    try {
      // Swapped after the checks: the workers must still read the directory that was checked.
      await rename(dir, `${dir}.moved`);
      for (const [pack, blobs] of repo.index.byPack()) {
        const path = storage.local.path(packKey(pack));
        assert.match(path, /^\/proc\/self\/fd\/\d+\//);
        const checked = await pool.verifyFile(path, pack, blobs);
        assert.equal(checked?.packOk, true, 'a worker thread reads the pack through the descriptor');
        checked.release();
        const temp = join(base, `copied-${pack}`);
        assert.equal(await pool.copyPack(path, temp, pack, blobs), true, 'and copies it');
        assert.ok((await readFile(temp)).equals(await readFile(join(`${dir}.moved`, packKey(pack)))));
      }
    } finally {
      await pool.close();
      await storage.close();
    }
  },
);
