// The restore and verify entries both faces call (operations/restore.ts,
// operations/verify.ts): which restore a run is follows from the request and
// the actor, not from a face — a plain restore writes as the process's user
// and is not audited, a restore on someone's behalf is written with their
// rights and audited; keeping existing files needs an audited restore. Verify
// heals from a repair source only when there is damage, and reports the
// repository as it is after the repair.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {copyJob} from '../../../source/engine/operations/copy.js';
import {restoreJob} from '../../../source/engine/operations/restore.js';
import {verifyJob} from '../../../source/engine/operations/verify.js';
import type {Repository} from '../../../source/engine/repository/repository.js';
import {createRepository, resolveRepository} from '../../../source/engine/workspace/open.js';
import {flipChunkByte} from '../../helpers/damage.js';

const root = process.getuid?.() === 0;
const nobody = spawnSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).stdout.trim();
let dir: string;
let repo: Repository;
let backupId: string;
const savedData = process.env['XDG_DATA_HOME'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-ops-'));
  process.env['XDG_DATA_HOME'] = join(dir, 'data');
  repo = await createRepository({location: join(dir, 'primary')});
  const src = join(dir, 'src');
  await mkdir(join(src, 'docs'), {recursive: true});
  await writeFile(join(src, 'docs', 'report.txt'), 'quarterly numbers\n');
  await writeFile(join(src, 'docs', 'big.bin'), Buffer.alloc(300_000, 7));
  await runBackup(repo, {
    job: 'daily',
    machine: 'ws-01',
    kind: 'workstation',
    owner: 'root',
    nodes: [{name: 'ws-01', disks: [{name: 'home', kind: 'files', roots: [{root: src, prefix: ''}]}]}],
  });
  backupId = (await repo.listBackups())[0]!.id;
});
after(async () => {
  if (savedData === undefined) delete process.env['XDG_DATA_HOME'];
  else process.env['XDG_DATA_HOME'] = savedData;
  await rm(dir, {recursive: true, force: true});
});

test('a plain restore writes as this user, unaudited; "keep" is refused without an audited restore, nothing written', async () => {
  const to = join(dir, 'plain');
  const done = await restoreJob(repo, {
    backupId,
    pointId: 'latest',
    destination: {kind: 'dir', path: to, conflict: 'fail'},
  });
  assert.equal(done.audit, undefined);
  assert.equal(done.destination, to);
  assert.equal(done.files, 2);
  assert.equal(await readFile(join(to, 'docs', 'report.txt'), 'utf8'), 'quarterly numbers\n');
  const kept = join(dir, 'kept');
  await assert.rejects(
    restoreJob(repo, {backupId, pointId: 'latest', destination: {kind: 'dir', path: kept, conflict: 'keep'}}),
    (e: unknown) =>
      e instanceof BackhaulError && e.code === 'usage' && /--conflict keep needs --delegated/.test(e.message),
  );
  await assert.rejects(stat(kept), 'nothing written');
});

test(
  "a restore on someone's behalf is theirs and audited",
  {skip: !root || !nobody ? 'needs root and the user nobody' : false},
  async () => {
    const parent = join(dir, 'for-nobody');
    await mkdir(parent);
    await chmod(parent, 0o777);
    await chmod(dir, 0o755); // nobody must reach it
    const to = join(parent, 'restored');
    const done = await restoreJob(repo, {
      backupId,
      pointId: 'latest',
      forUser: 'nobody',
      reason: 'ticket 7',
      destination: {kind: 'dir', path: to, conflict: 'keep'},
    });
    assert.equal(done.audit?.action, 'restore.delegated');
    assert.equal(done.audit?.forUser, 'nobody');
    assert.equal((await stat(join(to, 'docs', 'report.txt'))).uid, Number(nobody));
  },
);

test('verify heals from a repair source only when there is damage, and reports the repository as repaired', async () => {
  const copyDir = join(dir, 'copy');
  await createRepository({location: copyDir});
  await copyJob({source: join(dir, 'primary'), target: copyDir, selection: {}});
  const copy = await resolveRepository(copyDir);
  const clean = await verifyJob(copy, {repairFrom: join(dir, 'no-such-source')});
  assert.equal(clean.report.ok, true);
  assert.equal(clean.repaired, undefined, 'a sound repository never opens the repair source');
  const chunk = [...copy.index.ids()][0]!;
  await flipChunkByte(copyDir, copy, chunk);
  const damaged = await verifyJob(copy);
  assert.equal(damaged.report.ok, false);
  const healed = await verifyJob(copy, {repairFrom: join(dir, 'primary')});
  assert.ok(healed.repaired && healed.repaired.chunksRecopied > 0);
  assert.equal(healed.report.ok, true, 'the report is of the repaired repository');
});
