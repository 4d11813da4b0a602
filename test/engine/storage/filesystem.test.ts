/**
 * The storage contract on the filesystem backend, plus what only a directory
 * has: private file modes (files 0600, directories 0700).
 */
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {runStorageContract} from './storage-contract.js';

const base = mkdtempSync(join(tmpdir(), 'backhaul-fs-storage-'));
after(() => rmSync(base, {recursive: true, force: true}));
let n = 0;

runStorageContract('filesystem', async () => new FilesystemStorage(join(base, `repo-${n++}`)));

describe('filesystem storage modes', () => {
  it('writes files 0600 and directories 0700, the root included', async () => {
    const root = join(base, 'modes', 'repo');
    const storage = new FilesystemStorage(root);
    await storage.put('data/ab/pack', Buffer.from('x'));
    assert.equal(await storage.putIfAbsent('locks/l', Buffer.from('y')), true);
    const mode = (path: string) => statSync(path).mode & 0o777;
    for (const file of ['data/ab/pack', 'locks/l']) assert.equal(mode(join(root, file)), 0o600, file);
    for (const dir of ['', 'data', 'data/ab', 'locks']) assert.equal(mode(join(root, dir)), 0o700, dir || 'root');
  });
});
