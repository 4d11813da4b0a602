/**
 * What an incremental point guarantees about skipping files: a file whose
 * size, mtime, ctime and inode match the parent point is not read, and its
 * content in the new point is still exactly the file's; a change of content
 * with the same size and mtime put back (so only ctime tells), or a file
 * replaced by another inode with the same size and mtime, is read and stored
 * anew; `forceRead` reads everything.
 */
import assert from 'node:assert/strict';
import {rmSync} from 'node:fs';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {pathsDisk, runBackup, type BackupSpec} from '../../../source/engine/agent/backup.js';
import {workerReads} from '../../../source/engine/agent/chunk-pool.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {randomBuffer} from '../../helpers/cli.js';

let work: string;
const reads: string[] = [];
before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-skip-'));
  workerReads.observe = path => reads.push(path);
});
after(async () => {
  workerReads.observe = undefined;
  await fs.rm(work, {recursive: true, force: true});
});

/** The content of `path` as the point stores it. */
async function stored(repo: Repository, point: PointManifest, path: string): Promise<Buffer> {
  for await (const e of repo.readTree(point.nodes[0]!.disks[0]!)) {
    if (e.path === path) return Buffer.concat(await Promise.all((e.chunks ?? []).map(id => repo.readChunk(id))));
  }
  return assert.fail(`${path} is not in the point`);
}

test('unchanged files are not read but stored identically; ctime or inode changes force a read', async () => {
  const data = join(work, 'data');
  await fs.mkdir(data, {recursive: true});
  const names = ['same.bin', 'rewritten.bin', 'replaced.bin', 'text.txt'];
  for (const [i, name] of names.entries())
    await fs.writeFile(join(data, name), i === 3 ? 'hello\n'.repeat(5000) : randomBuffer(50_000 + i, i));
  const repo = await Repository.create(new FilesystemStorage(join(work, 'repo')));
  const spec: BackupSpec = {
    job: 'j',
    machine: 'm',
    kind: 'server',
    owner: userInfo().username,
    nodes: [{name: 'm', disks: [pathsDisk([data])]}],
  };
  reads.length = 0;
  await runBackup(repo, spec);
  assert.deepEqual([...reads].sort(), names.map(n => join(data, n)).sort(), 'a full point reads every file');

  // Same size, mtime put back: only ctime differs.
  const rewritten = join(data, 'rewritten.bin');
  const before = await fs.stat(rewritten);
  const newContent = randomBuffer(before.size, 99);
  await fs.writeFile(rewritten, newContent);
  await fs.utimes(rewritten, before.atime, before.mtime);
  // Same size and mtime, another inode (written beside and renamed over).
  const replaced = join(data, 'replaced.bin');
  const old = await fs.stat(replaced);
  const replacement = randomBuffer(old.size, 98);
  await fs.writeFile(`${replaced}.new`, replacement);
  await fs.utimes(`${replaced}.new`, old.atime, old.mtime);
  await fs.rename(`${replaced}.new`, replaced);
  assert.notEqual((await fs.stat(replaced)).ino, old.ino);

  reads.length = 0;
  const incr = await runBackup(repo, spec);
  assert.equal(incr.type, 'incremental');
  assert.deepEqual(
    [...reads].sort(),
    [replaced, rewritten].sort(),
    'only the files whose ctime or inode changed are read',
  );
  for (const name of names)
    assert.deepEqual(
      await stored(repo, incr, `data/${name}`),
      await fs.readFile(join(data, name)),
      `${name} as stored`,
    );

  reads.length = 0;
  const forced = await runBackup(repo, spec, {forceRead: true});
  assert.deepEqual([...reads].sort(), names.map(n => join(data, n)).sort(), 'forceRead reads every file');
  assert.equal(forced.storedBytes < 4096, true, `nothing new to store (${forced.storedBytes} bytes: the tree)`);
  for (const name of names)
    assert.deepEqual(await stored(repo, forced, `data/${name}`), await fs.readFile(join(data, name)));
});

test('a file that vanished since the walk fails the backup with a clear error', async () => {
  const data = join(work, 'gone');
  await fs.mkdir(data, {recursive: true});
  await fs.writeFile(join(data, 'a.txt'), 'a');
  const repo = await Repository.create(new FilesystemStorage(join(work, 'repo-gone')));
  const spec: BackupSpec = {
    job: 'j',
    machine: 'm',
    kind: 'server',
    owner: userInfo().username,
    nodes: [{name: 'm', disks: [pathsDisk([data])]}],
  };
  workerReads.observe = path => {
    reads.push(path);
    rmSync(path, {force: true}); // before the worker opens it
  };
  try {
    await assert.rejects(runBackup(repo, spec), /Not found: .*a\.txt/);
  } finally {
    workerReads.observe = path => reads.push(path);
  }
});
