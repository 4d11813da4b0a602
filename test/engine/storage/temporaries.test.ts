import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, mkdir, readdir, writeFile, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';

test("a writer removes temporary files left by a killed process, and keeps a live one's", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bh-temp-'));
  try {
    const repo = await Repository.create(new FilesystemStorage(dir));
    await mkdir(join(dir, 'data', 'ab'), {recursive: true});
    // PID 2^22+1 is above Linux's pid_max ceiling: never a running process.
    const dead = join(dir, 'data', 'ab', `ab12.tmp-${2 ** 22 + 1}-deadbeef`);
    const live = join(dir, 'data', 'ab', `ab34.tmp-${process.pid}-cafebabe`);
    await writeFile(dead, 'half a pack');
    await writeFile(live, 'being written');
    const writer = await RepositoryWriter.begin(repo, 'test');
    await writer.close();
    const left = await readdir(join(dir, 'data', 'ab'));
    assert.deepEqual(left, [`ab34.tmp-${process.pid}-cafebabe`]);
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});
