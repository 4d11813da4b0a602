/**
 * A copy between repositories whose chunks are stored under different keys
 * (copy/rekey.ts): every chunk read, checked, stored under the target's id,
 * trees and manifests rewritten; the copy holds the same content, file by
 * file and image byte by byte, verifies, and a second run copies nothing.
 * (Here forced between two plain repositories with `rekey: true`; the
 * encrypted cases are in rekey-encrypted.test.ts.)
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import type {BackupId} from '../../../source/engine/ids.js';
import {ZSTD} from '../../../source/engine/repository/blob.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {randomBuffer} from '../../helpers/cli.js';
import {contentOf} from '../../helpers/content.js';

const MiB = 1024 * 1024;
let work: string;
let source: Repository;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-rekey-'));
  const files = join(work, 'files');
  await fs.mkdir(join(files, 'sub'), {recursive: true});
  await fs.writeFile(join(files, 'a.bin'), randomBuffer(3 * MiB + 17, 5));
  await fs.writeFile(join(files, 'sub', 'b.txt'), 'hello\n'.repeat(50000));
  await fs.writeFile(join(files, 'empty'), '');
  await fs.symlink('sub/b.txt', join(files, 'link'));
  const image = join(work, 'disk.img');
  await fs.writeFile(image, Buffer.concat([randomBuffer(2 * MiB, 6), Buffer.alloc(3 * MiB), randomBuffer(MiB + 5, 7)]));
  source = await Repository.create(new FilesystemStorage(join(work, 'source')));
  const backup = () =>
    runBackup(source, {
      job: 'j',
      machine: 'm',
      kind: 'server',
      owner: userInfo().username,
      nodes: [
        {
          name: 'm',
          disks: [
            {name: 'files', kind: 'files', roots: [{root: files, prefix: 'data'}]},
            {name: 'disk', kind: 'image', image},
          ],
        },
      ],
    });
  await backup();
  await fs.writeFile(join(files, 'c.bin'), randomBuffer(MiB, 8));
  await backup();
});
after(() => fs.rm(work, {recursive: true, force: true}));

test('a re-keyed copy holds the same files and images, verifies, and a re-run copies nothing', async () => {
  const target = await Repository.create(new FilesystemStorage(join(work, 'target')));
  const backupId = (await source.listBackups())[0]!.id as BackupId;
  const summary = await runCopy(source, target, await planCopy(source, target, {points: 'all'}), {rekey: true});
  assert.equal(summary.result, 'success', JSON.stringify(summary.failed));
  assert.equal(summary.pointsCopied, 2);
  const copy = await Repository.open(new FilesystemStorage(join(work, 'target')));
  const report = await verifyRepository(copy);
  assert.equal(report.ok, true, JSON.stringify(report).slice(0, 500));
  for (const point of await source.listPoints(backupId)) {
    const theirs = await copy.getPoint(backupId, point.id);
    assert.equal(theirs.origin?.repositoryId, source.id);
    assert.deepEqual(await contentOf(copy, theirs), await contentOf(source, point));
  }
  const again = await runCopy(source, copy, await planCopy(source, copy, {points: 'all'}), {rekey: true});
  assert.equal(again.pointsCopied, 0);
  assert.equal(again.transferredBytes, 0);
});

test("a re-keyed copy stores each blob as the source compressed it (sealed again, not recompressed at the target's level)", async () => {
  // The target compresses at level 1 and the source at 3: a recompressed blob would differ from the source's.
  const target = await Repository.create(new FilesystemStorage(join(work, 'target-level-1')), {level: 1});
  const summary = await runCopy(source, target, await planCopy(source, target, {points: 'all'}), {rekey: true});
  assert.equal(summary.result, 'success', JSON.stringify(summary.failed));
  const copy = await Repository.open(new FilesystemStorage(join(work, 'target-level-1')));
  const backupId = (await source.listBackups())[0]!.id as BackupId;
  const pairs = new Map<string, string>();
  for (const point of await source.listPoints(backupId)) {
    const theirs = await copy.getPoint(backupId, point.id);
    point.nodes.forEach((node, n) =>
      node.disks.forEach((disk, d) => {
        const other = theirs.nodes[n]!.disks[d]!;
        disk.image?.chunks.forEach((id, i) => pairs.set(id, other.image!.chunks[i]!));
      }),
    );
    for (const [n, node] of point.nodes.entries())
      for (const [d, disk] of node.disks.entries()) {
        if (!disk.tree) continue;
        const mine: string[] = [];
        const copied: string[] = [];
        for await (const e of source.readTree(disk)) mine.push(...(e.chunks ?? []));
        for await (const e of copy.readTree(theirs.nodes[n]!.disks[d]!)) copied.push(...(e.chunks ?? []));
        assert.equal(copied.length, mine.length);
        mine.forEach((id, i) => pairs.set(id, copied[i]!));
      }
  }
  let compressed = 0;
  for (const [sourceId, targetId] of pairs) {
    const a = await source.readBlob(sourceId as never);
    const b = await copy.readBlob(targetId as never);
    assert.equal(b.encoding, a.encoding, `chunk ${sourceId.slice(0, 12)}`);
    assert.ok(b.payload.equals(a.payload), `chunk ${sourceId.slice(0, 12)} was stored differently`);
    if (a.encoding === ZSTD) compressed++;
  }
  assert.ok(compressed > 0, 'the data set has compressed chunks');
  assert.equal((await verifyRepository(copy)).ok, true);
});
