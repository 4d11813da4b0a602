/**
 * The access view both faces read through (access/view.ts): a plain user sees
 * their own backups and no copy, a hidden backup fails exactly like a missing
 * one, admins see copies, and copy jobs are an admin's on both sides.
 */
import assert from 'node:assert/strict';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {requireCopyRights, visibleBackup, visibleBackups} from '../../../source/engine/access/view.js';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {copyJob} from '../../../source/engine/operations/copy.js';
import type {Repository} from '../../../source/engine/repository/repository.js';
import {createRepository} from '../../../source/engine/workspace/open.js';
import {alice, bob, carol} from './fixtures.js';

let dir: string;
let primary: Repository;
let secondary: Repository;
const ids: Record<string, string> = {};
const savedData = process.env['XDG_DATA_HOME'];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-view-'));
  process.env['XDG_DATA_HOME'] = join(dir, 'data');
  primary = await createRepository({location: join(dir, 'primary')});
  for (const owner of ['alice', 'bob']) {
    const src = join(dir, `src-${owner}`);
    await mkdir(src, {recursive: true});
    await writeFile(join(src, 'notes.txt'), `${owner}'s notes\n`);
    const machine = `${owner}-pc`;
    await runBackup(primary, {
      job: 'daily',
      machine,
      kind: 'workstation',
      owner,
      nodes: [{name: machine, disks: [{name: 'home', kind: 'files', roots: [{root: src, prefix: ''}]}]}],
    });
    ids[owner] = (await primary.listBackups()).find(b => b.owner === owner)!.id;
  }
  secondary = await createRepository({location: join(dir, 'secondary')});
  await copyJob({source: join(dir, 'primary'), target: join(dir, 'secondary'), selection: {backups: [ids['alice']!]}});
  await secondary.refreshIndex();
});
after(async () => {
  if (savedData === undefined) delete process.env['XDG_DATA_HOME'];
  else process.env['XDG_DATA_HOME'] = savedData;
  await rm(dir, {recursive: true, force: true});
});

const hidden = (e: unknown) => e instanceof BackhaulError && e.code === 'not-found';
const denied = (e: unknown) => e instanceof BackhaulError && e.code === 'denied' && e.exitCode === 15;

test("a plain user sees their own backups, not others', and no copy", async () => {
  assert.deepEqual(
    (await visibleBackups(primary, alice)).map(b => b.owner),
    ['alice'],
  );
  assert.equal((await visibleBackup(primary, ids['alice']!, alice)).owner, 'alice');
  await assert.rejects(visibleBackup(primary, ids['bob']!, alice), hidden, "bob's backup is hidden like a missing one");
  await assert.rejects(visibleBackup(primary, 'bnosuch000001', alice), hidden);
  assert.deepEqual(await visibleBackups(secondary, alice), [], 'a copy has no access list: admins only');
  await assert.rejects(visibleBackup(secondary, ids['alice']!, alice), hidden);
});

test('an admin sees every backup and the copies', async () => {
  assert.deepEqual((await visibleBackups(primary, carol)).map(b => b.owner).sort(), ['alice', 'bob']);
  assert.deepEqual(
    (await visibleBackups(secondary, carol)).map(b => b.id),
    [ids['alice']],
  );
});

test("copy jobs are an admin's job on both sides", async () => {
  await requireCopyRights(primary, secondary, carol);
  await assert.rejects(requireCopyRights(primary, secondary, bob), denied);
});
