/**
 * The storage contract on the filesystem backend, plus what only a directory
 * has: private file modes (files 0600, directories 0700), and packs in
 * page-aligned memory written past the page cache.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, describe, it} from 'node:test';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {allocAligned, isAligned} from '../../../source/engine/util/aligned.js';
import {directIoSkip} from '../../helpers/direct-io.js';
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

describe('filesystem storage: packs past the page cache', () => {
  const cachedPages = (path: string) => {
    const out = execFileSync('fincore', ['--bytes', '--noheadings', '--output', 'RES', path], {encoding: 'utf8'});
    return Number(out.trim());
  };

  it(
    'writes a pack in page-aligned memory with O_DIRECT: byte for byte, and only its tail in the cache',
    {skip: directIoSkip(base)},
    async () => {
      const root = join(base, 'direct', 'repo');
      const storage = new FilesystemStorage(root);
      const pack = allocAligned(3 * 1024 * 1024 + 1234); // a tail that is not a whole block
      for (let i = 0; i < pack.length; i++) pack[i] = (i * 7 + (i >> 12)) & 0xff;
      await storage.putParts('data/ab/direct', [pack]);
      const back = readFileSync(join(root, 'data/ab/direct'));
      assert.ok(back.equals(pack), 'read back identical');
      // Reading it back cached it: look at a second copy, never read.
      await storage.putParts('data/ab/direct2', [pack]);
      assert.ok(
        cachedPages(join(root, 'data/ab/direct2')) <= 8192,
        'only the unaligned tail went through the page cache',
      );
      assert.equal(statSync(join(root, 'data/ab/direct2')).mode & 0o777, 0o600);
    },
  );

  it('writes ordinary memory through the cache, as before', async () => {
    const root = join(base, 'cached', 'repo');
    const storage = new FilesystemStorage(root);
    const data = Buffer.alloc(1024 * 1024, 5);
    await storage.putParts('data/cd/cached', [data]);
    assert.equal(cachedPages(join(root, 'data/cd/cached')), data.length);
    assert.ok(readFileSync(join(root, 'data/cd/cached')).equals(data));
  });

  it('tells aligned buffers apart', () => {
    assert.equal(isAligned(allocAligned(100)), true);
    assert.equal(isAligned(allocAligned(5000).subarray(1)), false);
    assert.equal(isAligned(Buffer.allocUnsafeSlow(1 << 20)), false);
  });
});
