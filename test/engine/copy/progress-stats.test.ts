/**
 * The figures a copy reports while it runs (issue 18: "rate 0 B/s" for a
 * whole copy). A disk's logical bytes count as processed as its data lands,
 * not all at once when the disk is over, so a copy of one large disk reports
 * a processed figure and rate from its first pack on; and the figures are
 * refreshed when a disk starts moving, whatever the ticker's phase, so a
 * copy shorter than a tick is still seen mid-way.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {runBackup} from '../../../source/engine/agent/backup.js';
import type {CopyEvent, CopyStats} from '../../../source/engine/copy/events.js';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {randomBuffer} from '../../helpers/cli.js';

const MiB = 1024 * 1024;
let work: string;
let source: Repository;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-progress-'));
  const files = join(work, 'files');
  await fs.mkdir(files);
  // Incompressible, several packs' worth, on one disk: one segment of the run.
  for (let i = 0; i < 4; i++) await fs.writeFile(join(files, `f${i}.bin`), randomBuffer(8 * MiB, 300 + i));
  source = await Repository.create(new FilesystemStorage(join(work, 'source')));
  await runBackup(source, {
    job: 'j',
    machine: 'big',
    kind: 'server',
    owner: userInfo().username,
    nodes: [{name: 'big', disks: [{name: 'files', kind: 'files', roots: [{root: files, prefix: 'data'}]}]}],
  });
  source = await Repository.open(new FilesystemStorage(join(work, 'source')));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test('a copy of one large disk reports processed bytes and a rate while its data lands, not only at the end', async () => {
  const target = await Repository.create(new FilesystemStorage(join(work, 'target')));
  const plan = await planCopy(source, target, {});
  assert.equal(plan.pointsToCopy, 1);
  const stats: CopyStats[] = [];
  const summary = await runCopy(source, target, plan, {
    onEvent: (e: CopyEvent) => {
      if (e.type === 'copy.stats') stats.push(e.stats);
    },
  });
  const midway = stats.filter(s => s.transferredBytes > 0 && s.transferredBytes < summary.transferredBytes);
  assert.ok(midway.length > 0, 'the figures are reported while the disk is being copied');
  for (const s of stats.filter(x => x.transferredBytes > 0)) {
    assert.ok(s.processedBytes > 0, `processed is 0 B although ${s.transferredBytes} B were sent`);
    assert.ok(s.rate > 0, 'the rate is not 0 B/s once data has moved');
    assert.ok(s.processedBytes <= summary.logicalBytes);
  }
  for (let i = 1; i < stats.length; i++)
    assert.ok(stats[i]!.processedBytes >= stats[i - 1]!.processedBytes, 'processed never goes back');
  assert.equal(stats.at(-1)!.processedBytes, summary.logicalBytes, "the last figures are the summary's");
});
