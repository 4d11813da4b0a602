/**
 * Streams (large files, disk images) are read in segments and cut by the
 * chunking workers, each segment starting with the previous one's uncut
 * tail. The chunks must be exactly those of cutting the whole stream in one
 * pass — anything else would store unchanged data again after an upgrade and
 * break deduplication between files and images.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {chunkBuffer} from '../../../source/engine/repository/chunker.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {randomBuffer} from '../../helpers/cli.js';

const MiB = 1024 * 1024;
let work: string;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-stream-cuts-'));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test('a stream of several segments is cut exactly as in one pass', async () => {
  // Random runs (content-defined cuts), long runs of one byte (cuts at the maximum size, so
  // tails up to CHUNK_MAX carry over), and a length that ends mid-chunk.
  const parts = [
    randomBuffer(11 * MiB + 12345, 1),
    Buffer.alloc(9 * MiB, 0x41),
    randomBuffer(5 * MiB, 2),
    Buffer.alloc(7 * MiB + 3, 0),
    randomBuffer(3 * MiB + 777, 3),
  ];
  const data = Buffer.concat(parts);
  const image = join(work, 'disk.img');
  await fs.writeFile(image, data);
  const expected: string[] = [];
  let pos = 0;
  for (const n of chunkBuffer(data)) {
    expected.push(
      createHash('sha256')
        .update(data.subarray(pos, pos + n))
        .digest('hex'),
    );
    pos += n;
  }
  const repo = await Repository.create(new FilesystemStorage(join(work, 'repo')));
  const point = await runBackup(repo, {
    job: 'j',
    machine: 'm',
    kind: 'server',
    owner: userInfo().username,
    nodes: [{name: 'm', disks: [{name: 'disk', kind: 'image', image}]}],
  });
  const stored = point.nodes[0]!.disks[0]!.image!;
  assert.equal(stored.size, data.length);
  assert.deepEqual(stored.chunks, expected);
});
