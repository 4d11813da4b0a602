// A copy re-run with nothing new is decided from the source's manifests and
// the target's catalogue alone: it reads neither repository's index and
// starts no verify worker. Once there is something new, the same run loads
// both indexes and copies it (repositories opened with their index deferred,
// copy-here.ts and copy/stream.ts).
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {runBackup, type BackupSpec} from '../../../source/engine/agent/backup.js';
import type {BackupId} from '../../../source/engine/ids.js';
import {copyJob} from '../../../source/engine/operations/copy.js';
import type {Storage} from '../../../source/engine/storage/storage.js';
import {VerifyPool} from '../../../source/engine/workers/verify-pool.js';
import {createRepository, resolveRepository} from '../../../source/engine/workspace/open.js';

let dir: string;
let primary: string;
let secondary: string;
let src: string;
let spec: BackupSpec;
const savedData = process.env['XDG_DATA_HOME'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-noop-rerun-'));
  process.env['XDG_DATA_HOME'] = join(dir, 'data');
  primary = join(dir, 'primary');
  secondary = join(dir, 'secondary');
  src = join(dir, 'src');
  await mkdir(src, {recursive: true});
  for (let i = 0; i < 4; i++) await writeFile(join(src, `f${i}.bin`), randomBytes(300_000));
  spec = {
    job: 'j',
    machine: 'm',
    kind: 'server',
    owner: 'root',
    nodes: [{name: 'm', disks: [{name: 'files', kind: 'files', roots: [{root: src, prefix: ''}]}]}],
  };
  const repo = await createRepository({location: primary});
  await runBackup(repo, {...spec, time: new Date(Date.UTC(2026, 10, 20))});
  await createRepository({location: secondary});
});
after(async () => {
  if (savedData === undefined) delete process.env['XDG_DATA_HOME'];
  else process.env['XDG_DATA_HOME'] = savedData;
  await rm(dir, {recursive: true, force: true});
});

/** A copy of everything, noting every key it reads or lists and whether verify workers were started. */
async function copyAll() {
  const touched: string[] = [];
  const watch = (storage: Storage) => {
    const {list, get} = storage;
    storage.list = (prefix: string) => (touched.push(`${storage.location} list ${prefix}`), list.call(storage, prefix));
    storage.get = (key: string, signal?: AbortSignal) => (
      touched.push(`${storage.location} get ${key}`),
      get.call(storage, key, signal)
    );
  };
  const warm = VerifyPool.prototype.warm;
  let warmed = 0;
  VerifyPool.prototype.warm = function () {
    warmed++;
    warm.call(this);
  };
  try {
    const {summary} = await copyJob({source: primary, target: secondary, selection: {points: 'all'}}, {watch});
    return {summary, indexReads: touched.filter(t => / (list|get) index/.test(t)), warmed};
  } finally {
    VerifyPool.prototype.warm = warm;
  }
}

test('a re-run with nothing new reads no index and starts no worker; a new point is then copied as usual', async () => {
  const first = await copyAll();
  assert.equal(first.summary.pointsCopied, 1);
  assert.ok(first.indexReads.length > 0, 'the first copy reads the indexes');
  assert.ok(first.warmed > 0, 'the first copy starts the workers');

  const again = await copyAll();
  assert.equal(again.summary.result, 'success');
  assert.equal(again.summary.pointsCopied, 0);
  assert.equal(again.summary.pointsSkipped, 1);
  assert.deepEqual(again.indexReads, [], 'neither index is read');
  assert.equal(again.warmed, 0, 'no verify worker is started');

  await writeFile(join(src, 'f0.bin'), randomBytes(300_000));
  await runBackup(await resolveRepository(primary), {...spec, time: new Date(Date.UTC(2026, 10, 21))});
  const incremental = await copyAll();
  assert.equal(incremental.summary.pointsCopied, 1);
  assert.equal(incremental.summary.pointsSkipped, 1);
  assert.ok(incremental.summary.transferredBytes > 0);
  assert.ok(
    incremental.indexReads.some(t => t.startsWith(secondary)) &&
      incremental.indexReads.some(t => t.startsWith(primary)),
  );
  const target = await resolveRepository(secondary);
  for (const point of await target.listPoints((await target.listBackups())[0]!.id as BackupId))
    for (const node of point.nodes)
      for (const disk of node.disks)
        for await (const batch of target.readTreeBatches(disk))
          for (const entry of batch)
            for (const chunk of entry.chunks ?? [])
              assert.ok(target.index.has(chunk), 'every chunk the copied points name is on the target');
});
