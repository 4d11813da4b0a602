// The reused buffers a copy to S3 reads its packs into: every byte read, memory
// handed out again only after release, files that cannot be read rejected.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PackBuffers} from '../../../source/engine/copy/pack-buffers.js';

const MiB = 1024 * 1024;

describe('PackBuffers', () => {
  let dir: string;
  const files: Record<string, Buffer> = {
    small: randomBytes(5000),
    pack: randomBytes(3 * MiB),
    big: randomBytes(17 * MiB),
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pack-buffers-'));
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
  });
  after(() => rm(dir, {recursive: true, force: true}));

  test('reads each file whole, larger than the usual buffer included', async () => {
    const buffers = new PackBuffers(2);
    for (const [name, bytes] of Object.entries(files)) {
      const got = await buffers.read(join(dir, name));
      assert.equal(got.data.length, bytes.length);
      assert.ok(got.data.equals(bytes), name);
      got.release();
    }
  });

  test('hands a buffer out again only once it was released', async () => {
    const buffers = new PackBuffers(2);
    const first = await buffers.read(join(dir, 'pack'));
    const second = await buffers.read(join(dir, 'small'));
    assert.notEqual(first.data.buffer, second.data.buffer, 'two packs in flight share no memory');
    assert.ok(first.data.equals(files.pack!), 'the second read left the first one alone');
    const memory = first.data.buffer;
    first.release();
    first.release(); // a second release does not put the buffer in the pool twice
    const third = await buffers.read(join(dir, 'small'));
    const fourth = await buffers.read(join(dir, 'small'));
    assert.equal(third.data.buffer, memory, 'released memory is reused');
    assert.notEqual(fourth.data.buffer, memory, 'and handed to one reader only');
    assert.ok(third.data.equals(files.small!) && fourth.data.equals(files.small!));
  });

  test('keeps the largest buffers it may keep', async () => {
    const buffers = new PackBuffers(1);
    const big = await buffers.read(join(dir, 'big'));
    const small = await buffers.read(join(dir, 'small'));
    const memory = big.data.buffer;
    big.release();
    small.release();
    const next = await buffers.read(join(dir, 'pack'));
    assert.equal(next.data.buffer, memory, 'the small buffer was dropped, not the big one');
    assert.ok(next.data.equals(files.pack!));
  });

  test('a file that cannot be read rejects, and its buffer goes back', async () => {
    const buffers = new PackBuffers(1);
    const got = await buffers.read(join(dir, 'pack'));
    const memory = got.data.buffer;
    got.release();
    await assert.rejects(buffers.read(join(dir, 'missing')), {code: 'ENOENT'});
    await assert.rejects(buffers.read(dir), {code: 'EISDIR'});
    const again = await buffers.read(join(dir, 'small'));
    assert.equal(again.data.buffer, memory);
    assert.ok(again.data.equals(files.small!));
  });
});
