/**
 * Access control end to end, with real OS users and the documented sudo rule
 * (README, "Access control"). Needs root (CI runs as root), sudo, runuser and
 * useradd; skipped otherwise.
 *
 * Setup (idempotent): users alice and bob, admin hadmin in group
 * backhaul-admins (left in place afterwards: creating them again is a no-op);
 * the CLI bundle installed at /opt/backhaul-e2e (root-owned, world-readable);
 * the sudoers file /etc/sudoers.d/backhaul-test with
 *   ALL ALL=(root) NOPASSWD: /usr/bin/node /opt/backhaul-e2e/cli.js *
 * (removed in teardown, with the installed CLI and the users' restored files).
 * The demo repositories live in a root-owned 0700 temp dir; demo-primary is
 * copied to demo-secondary first. Sudo resets the environment (HOME=/root),
 * so repositories are named by path here.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {demoWorkspace, type Result, type Workspace} from '../helpers/demo-cache.js';
import {ensureUsers, installSudoCli, sudoSkipReason, type SudoInstall} from '../helpers/sudo-users.js';
import {sameTree} from '../helpers/tree.js';

const skip = await sudoSkipReason();

let ws: Workspace;
let sudo: SudoInstall;
let aliceId: string;
let aliceCopyId: string;

const as = (user: string, args: string[], useSudo = true): Promise<Result> => sudo.as(user, args, {sudo: useSudo});

async function asJson(user: string, args: string[]): Promise<any> {
  const r = await as(user, [...args, '--json']);
  assert.equal(r.code, 0, `${user}: backhaul ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

before(
  async () => {
    if (skip) return;
    ensureUsers();
    sudo = await installSudoCli('access');
    // Through sudo only repositories root alone can change are opened: the workspace is below a root-only directory.
    ws = await demoWorkspace('access-sudo', {rootOnly: true});
    const copy = await ws.run(['copy', '--from', 'demo-primary', '--to', 'demo-secondary', '--points', 'all'], {
      timeoutMs: 600_000,
    });
    assert.equal(copy.code, 0, copy.stderr);
    const primary = await ws.json(['list', '--repo', ws.primary, '--json']);
    const secondary = await ws.json(['list', '--repo', ws.secondary, '--json']);
    aliceId = primary.find((b: any) => b.owner === 'alice').id;
    aliceCopyId = secondary.find((b: any) => b.owner === 'alice').id;
  },
  {timeout: 900_000},
);

after(async () => {
  if (skip) return;
  await sudo?.remove();
  for (const dir of ['/home/alice/e2e-delegated', '/home/alice/e2e-own'])
    await fs.rm(dir, {recursive: true, force: true});
  await ws?.cleanup();
});

test('through sudo, alice lists only her own backups and none of the copies', {skip}, async () => {
  const mine = await asJson('alice', ['list', '--repo', ws.primary]);
  assert.ok(mine.length >= 1);
  assert.deepEqual([...new Set(mine.map((b: any) => b.owner))], ['alice']);
  assert.deepEqual(await asJson('alice', ['list', '--repo', ws.secondary]), []);
});

test('alice may not run a delegated restore or change the policy (exit 15, clear message)', {skip}, async () => {
  const r = await as('alice', [
    'restore',
    '--delegated',
    '--for',
    'alice',
    '--reason',
    'x',
    '--repo',
    ws.secondary,
    '--backup',
    aliceCopyId,
    '--to',
    '/home/alice/x',
  ]);
  assert.equal(r.code, 15, r.stderr);
  assert.match(r.stderr, /alice \(via sudo\) may not restore on another user's behalf/);
  const p = await as('alice', ['access', 'policy', 'add-admin', '--repo', ws.secondary, '--user', 'alice']);
  assert.equal(p.code, 15, p.stderr);
  assert.match(p.stderr, /may not change the access policy/);
  const a = await as('alice', ['agent', 'backup', '--repo', ws.primary, '--job', 'x', '--path', '/etc']);
  assert.equal(a.code, 15, a.stderr);
  assert.match(a.stderr, /cannot be run through sudo/);
});

test("bob cannot read alice's restore points, even by id: the same answer as a random id", {skip}, async () => {
  const real = await as('bob', ['points', aliceId, '--repo', ws.primary]);
  const fake = await as('bob', ['points', 'b000000000000', '--repo', ws.primary]);
  assert.equal(real.code, 13);
  assert.equal(fake.code, 13);
  assert.equal(real.stderr.replace(aliceId, 'ID'), fake.stderr.replace('b000000000000', 'ID'));
  const restore = await as('bob', ['restore', '--repo', ws.primary, '--backup', aliceId, '--to', '/tmp/bob-steals']);
  assert.equal(restore.code, 13);
});

test('without sudo, alice cannot read the repositories; their files are private to root', {skip}, async () => {
  const r = await as('alice', ['list', '--repo', ws.secondary], false);
  assert.ok(r.code === 15 || r.code === 10, `exit ${r.code}: ${r.stderr}`);
  assert.match(r.stderr, /Permission denied|denied|No Backhaul repository/i);
  const cat = spawnSync('runuser', ['-u', 'alice', '--', 'cat', join(ws.secondary, 'config')], {encoding: 'utf8'});
  assert.notEqual(cat.status, 0);
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, {withFileTypes: true})) {
      const path = join(dir, e.name);
      const s = await fs.lstat(path);
      assert.equal(s.mode & 0o077, 0, `${path} is readable by others (mode ${(s.mode & 0o777).toString(8)})`);
      assert.equal(s.uid, 0, `${path} is not root's`);
      if (e.isDirectory()) await walk(path);
    }
  };
  assert.equal((await fs.lstat(ws.secondary)).mode & 0o077, 0);
  await walk(ws.secondary);
});

test('through sudo, alice cannot restore into a place she could not write herself', {skip}, async () => {
  const r = await as('alice', ['restore', '--repo', ws.primary, '--backup', aliceId, '--to', '/etc/backhaul-e2e-evil']);
  assert.equal(r.code, 15, r.stderr);
  await assert.rejects(fs.lstat('/etc/backhaul-e2e-evil'));
});

test(
  "an admin's delegated restore from demo-secondary gives alice identical files she owns; the audit records it",
  {skip},
  async () => {
    const dest = '/home/alice/e2e-delegated';
    await fs.rm(dest, {recursive: true, force: true});
    const r = await as('hadmin', [
      'restore',
      '--delegated',
      '--for',
      'alice',
      '--reason',
      'ticket 42: lost thesis',
      '--repo',
      ws.secondary,
      '--backup',
      aliceCopyId,
      '--to',
      dest,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /for alice/);
    const source = join(ws.dir, 'source-restore');
    const plain = await ws.run(['restore', '--repo', ws.primary, '--backup', aliceId, '--to', source]);
    assert.equal(plain.code, 0, plain.stderr);
    await sameTree(source, dest, {label: 'delegated vs source'});
    const diff = spawnSync('diff', ['-r', '--no-dereference', source, dest], {encoding: 'utf8'});
    assert.equal(diff.status, 0, diff.stdout);
    const owners = spawnSync('find', [dest, '!', '-user', 'alice'], {encoding: 'utf8'}).stdout.trim();
    assert.equal(owners, '', 'files not owned by alice');
    const entries = (await ws.run(['audit', '--repo', ws.secondary, '--json'])).stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l));
    const e = entries.at(-1);
    assert.equal(e.action, 'restore.delegated');
    assert.equal(e.actor.user, 'hadmin');
    assert.equal(e.actor.viaSudo, true);
    assert.equal(e.forUser, 'alice');
    assert.equal(e.backupId, aliceCopyId);
    assert.equal(e.reason, 'ticket 42: lost thesis');
    assert.equal(e.result, 'ok');
    assert.ok(e.bytes > 0 && e.startedAt && e.endedAt);
    assert.equal(e.destination, `dir:${dest} (keep)`);
  },
);

test(
  'after access grant alice restores from the copy herself through sudo; after revoke she cannot',
  {skip},
  async () => {
    const g = await ws.run([
      'access',
      'grant',
      '--repo',
      ws.secondary,
      '--backup',
      aliceCopyId,
      '--user',
      'alice',
      '--reason',
      'e2e',
    ]);
    assert.equal(g.code, 0, g.stderr);
    assert.deepEqual(
      (await asJson('alice', ['list', '--repo', ws.secondary])).map((b: any) => b.id),
      [aliceCopyId],
    );
    const dest = '/home/alice/e2e-own';
    await fs.rm(dest, {recursive: true, force: true});
    const own = await as('alice', ['restore', '--repo', ws.secondary, '--backup', aliceCopyId, '--to', dest]);
    assert.equal(own.code, 0, own.stderr);
    assert.equal(spawnSync('find', [dest, '!', '-user', 'alice'], {encoding: 'utf8'}).stdout.trim(), '');
    const last = (await ws.run(['audit', '--repo', ws.secondary, '--json'])).stdout
      .trim()
      .split('\n')
      .map(l => JSON.parse(l))
      .at(-1);
    assert.equal(last.action, 'restore.own');
    assert.equal(last.actor.user, 'alice');
    const v = await ws.run(['access', 'revoke', '--repo', ws.secondary, '--backup', aliceCopyId, '--user', 'alice']);
    assert.equal(v.code, 0, v.stderr);
    const again = await as('alice', ['restore', '--repo', ws.secondary, '--backup', aliceCopyId, '--to', `${dest}-2`]);
    assert.equal(again.code, 13, again.stderr);
    assert.deepEqual(await asJson('alice', ['list', '--repo', ws.secondary]), []);
  },
);

test('editing any audit entry makes audit --verify fail, naming it', {skip}, async () => {
  // Through sudo, as the restores above were: their anchors are root's (/var/lib/backhaul), which the tests' own root runs do not use.
  const ok = await as('hadmin', ['audit', '--repo', ws.secondary, '--verify']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const key = join(ws.secondary, 'audit', '000000000001.json');
  const entry = JSON.parse(await fs.readFile(key, 'utf8'));
  entry.reason = 'nothing to see here';
  await fs.writeFile(key, JSON.stringify(entry) + '\n');
  const bad = await as('hadmin', ['audit', '--repo', ws.secondary, '--verify']);
  assert.equal(bad.code, 12);
  assert.match(bad.stdout, /entry 1 \(audit\/000000000001\.json\): edited/);
});
