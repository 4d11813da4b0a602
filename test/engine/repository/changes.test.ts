/**
 * The change stamp a face polls (changes.ts): the same while nothing is
 * committed, even across a writer that took the lock and committed nothing;
 * different after a committed point, and while a commit holds the lock; on a
 * storage that cannot list directories (object storage) too.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup, type BackupSpec} from '../../../source/engine/agent/backup.js';
import {changeStamp} from '../../../source/engine/repository/changes.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

let work: string;
let dir: string;
let files: string;
const spec = (machine: string): BackupSpec => ({
  job: 'j',
  machine,
  kind: 'server',
  owner: userInfo().username,
  nodes: [{name: machine, disks: [{name: 'files', kind: 'files', roots: [{root: files, prefix: 'data'}]}]}],
});

/** The same directory, seen as a storage that cannot list directories (like S3). */
function listingOnly(): FilesystemStorage {
  const storage = new FilesystemStorage(dir);
  Object.defineProperty(storage, 'listDirectories', {value: undefined});
  return storage;
}

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-changes-'));
  dir = join(work, 'repo');
  files = join(work, 'files');
  await fs.mkdir(files);
  await fs.writeFile(join(files, 'a.txt'), 'one\n');
  await runBackup(await Repository.create(new FilesystemStorage(dir)), spec('web01'));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test('the stamp stays while nothing is committed, and changes with every committed point', async () => {
  const storage = new FilesystemStorage(dir);
  const stamps = async () => [await changeStamp(storage), await changeStamp(listingOnly())];
  const first = await stamps();
  assert.deepEqual(await stamps(), first);

  const writer = await RepositoryWriter.begin(await Repository.open(new FilesystemStorage(dir)), 'test');
  const locked = await stamps();
  assert.notEqual(locked[0], first[0], 'a writer at work shows');
  await writer.close();
  assert.deepEqual(await stamps(), first, 'a writer that committed nothing leaves it as it was');

  await fs.writeFile(join(files, 'b.txt'), 'two\n');
  await runBackup(await Repository.open(new FilesystemStorage(dir)), spec('web01'));
  const second = await stamps();
  assert.notEqual(second[0], first[0], 'a new point of a backup');
  assert.notEqual(second[1], first[1], 'a new point of a backup, listed');

  await runBackup(await Repository.open(new FilesystemStorage(dir)), spec('db01'));
  const third = await stamps();
  assert.notEqual(third[0], second[0], 'a new backup');
  assert.notEqual(third[1], second[1], 'a new backup, listed');
});
