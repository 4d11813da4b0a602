/**
 * The sudo rule and delegated restore, attacked as a user would, with real OS
 * users and the documented rule (README, "Access control"). Each case was a
 * path to root or to someone else's files before the trust work:
 * - a repository planted where anyone can write (sticky /tmp, /var/tmp,
 *   /dev/shm, a group-writable root directory) with a policy naming the
 *   planter admin, and a config that is a symlink (an existence oracle);
 * - a symlink flipped in a loop between root's repository and the caller's
 *   while root checks it;
 * - a restore "for root" (`--for root`, `--for 0`) by an admin who is not root;
 * - setuid/setgid payloads restored for someone else;
 * - root's own restore into a directory a user can write, with the restored
 *   directory swapped for a symlink in a loop (≥ 200 MB, so the race is long);
 * - node and disk names with '/', and a backup record that claims another id;
 * - a forged, correctly hashed audit entry.
 * Needs root, sudo, runuser and useradd (CI has them).
 */
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {auditKey, hashEntry, readAudit} from '../../source/engine/access/audit.js';
import {FilesystemStorage} from '../../source/engine/storage/filesystem.js';
import {emptyWorkspace, type Workspace} from '../helpers/demo-cache.js';
import {rootOnlyTempDir} from '../helpers/root-only.js';
import {ensureUsers, installSudoCli, sh, sudoSkipReason, type SudoInstall} from '../helpers/sudo-users.js';

const skip = await sudoSkipReason();
let sudo: SudoInstall;
let root: Workspace;
let base: string;
let repo: string;
let aliceId: string;
let bobId: string;
let uid: Record<string, number> = {};
const cleanups: string[] = [];

const ONLY_ROOT = /only repositories that only root can change/;

async function tree(
  dir: string,
  files: Record<string, {content?: string | Buffer; mode?: number; owner?: string}>,
): Promise<void> {
  for (const [path, f] of Object.entries(files)) {
    await fs.mkdir(join(dir, path, '..'), {recursive: true});
    await fs.writeFile(join(dir, path), f.content ?? 'x');
    if (f.owner) await fs.chown(join(dir, path), uid[f.owner]!, uid[f.owner]!);
    if (f.mode !== undefined) await fs.chmod(join(dir, path), f.mode);
  }
}

async function rootRun(args: string[], timeoutMs?: number) {
  const r = await root.run(args, {timeoutMs});
  assert.equal(r.code, 0, `backhaul ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const backupOf = async (machine: string) =>
  (JSON.parse(await rootRun(['list', '--repo', repo, '--json'])) as any[]).find(b => b.machine === machine)
    .id as string;

before(
  async () => {
    if (skip) return;
    uid = ensureUsers();
    sudo = await installSudoCli('attacks');
    root = await emptyWorkspace('attacks');
    base = await rootOnlyTempDir('bh-attacks');
    repo = join(base, 'repo');
    const src = join(base, 'src');
    await fs.copyFile('/bin/sh', join(base, 'sh-copy'));
    const sh0 = await fs.readFile(join(base, 'sh-copy'));
    await tree(join(src, 'alice-pc'), {
      'notes.txt': {content: "alice's notes\n", owner: 'alice', mode: 0o644},
      'bin/sh': {content: sh0, owner: 'alice', mode: 0o4755},
      'bin/gsh': {content: sh0, owner: 'alice', mode: 0o2755},
    });
    await tree(join(src, 'bob-pc'), {'secret.txt': {content: "bob's secret\n", owner: 'bob', mode: 0o600}});
    await rootRun(['repo', 'add', 'attacked', repo]);
    await rootRun([
      'agent',
      'backup',
      '--repo',
      repo,
      '--job',
      'j',
      '--machine',
      'alice-pc',
      '--kind',
      'workstation',
      '--path',
      join(src, 'alice-pc'),
      '--owner',
      'alice',
    ]);
    await rootRun([
      'agent',
      'backup',
      '--repo',
      repo,
      '--job',
      'j',
      '--machine',
      'bob-pc',
      '--kind',
      'workstation',
      '--path',
      join(src, 'bob-pc'),
      '--owner',
      'bob',
    ]);
    aliceId = await backupOf('alice-pc');
    bobId = await backupOf('bob-pc');
  },
  {timeout: 600_000},
);

after(async () => {
  if (skip) return;
  await sudo?.remove();
  await root?.cleanup();
  for (const dir of [base, ...cleanups]) if (dir) await fs.rm(dir, {recursive: true, force: true});
});

/** alice makes a repository of her own at `dir` (without sudo) and names herself admin in its policy. */
async function plantRepository(dir: string): Promise<void> {
  const env = ['env', `XDG_CONFIG_HOME=${dir}.cfg`, `XDG_DATA_HOME=${dir}.data`, `XDG_STATE_HOME=${dir}.state`];
  const made = spawnSync('runuser', ['-u', 'alice', '--', ...env, 'node', sudo.cli, 'repo', 'add', 'mine', dir], {
    encoding: 'utf8',
  });
  assert.equal(made.status, 0, made.stderr);
  const policy = spawnSync(
    'runuser',
    ['-u', 'alice', '--', ...env, 'node', sudo.cli, 'access', 'policy', 'add-admin', '--repo', dir, '--user', 'alice'],
    {encoding: 'utf8'},
  );
  assert.equal(policy.status, 0, policy.stderr);
}

test(
  'a repository planted where others can write is refused through sudo, before anything in it is read',
  {skip},
  async () => {
    const gw = `/srv/bh-group-writable-${randomBytes(3).toString('hex')}`;
    await fs.mkdir(gw, {mode: 0o775});
    await fs.chmod(gw, 0o775);
    sh('chown', ['root:alice', gw]); // root's, and writable by alice's group
    cleanups.push(gw);
    for (const parent of ['/tmp', '/var/tmp', '/dev/shm', gw]) {
      const dir = join(parent, `bh-planted-${randomBytes(3).toString('hex')}`);
      cleanups.push(dir, `${dir}.cfg`, `${dir}.data`, `${dir}.state`);
      await plantRepository(dir);
      for (const args of [
        ['access', 'policy', 'show'],
        ['list'],
        ['audit'],
        ['restore', '--delegated', '--for', 'bob', '--reason', 'x', '--backup', bobId, '--to', '/tmp/x'],
      ]) {
        const r = await sudo.as('alice', [...args, '--repo', dir]);
        assert.equal(r.code, 15, `${parent}: ${args.join(' ')}: exit ${r.code} ${r.stderr}${r.stdout}`);
        assert.match(r.stderr, ONLY_ROOT);
        assert.doesNotMatch(r.stdout, /admin/);
      }
    }
  },
);

test('a config symlinked to a root-only file tells nothing: the same refusal as a missing one', {skip}, async () => {
  const dir = `/home/alice/bh-oracle-${randomBytes(3).toString('hex')}`;
  cleanups.push(dir);
  sh('runuser', ['-u', 'alice', '--', 'mkdir', dir]);
  const answers: string[] = [];
  for (const target of ['/etc/shadow', '/root/no-such-file']) {
    sh('runuser', ['-u', 'alice', '--', 'ln', '-sfn', target, join(dir, 'config')]);
    const r = await sudo.as('alice', ['list', '--repo', dir]);
    assert.equal(r.code, 15, r.stderr);
    answers.push(r.stderr);
  }
  assert.equal(answers[0], answers[1]);
});

test(
  'a symlink flipped in a loop between root\'s repository and the caller\'s never makes root answer "admin"',
  {skip},
  async () => {
    const mine = `/home/alice/bh-mine-${randomBytes(3).toString('hex')}`;
    const flip = `/home/alice/bh-flip-${randomBytes(3).toString('hex')}`;
    cleanups.push(mine, `${mine}.cfg`, `${mine}.data`, `${mine}.state`, flip);
    await plantRepository(mine);
    const flipper = spawn(
      'runuser',
      ['-u', 'alice', '--', 'sh', '-c', `while :; do ln -sfn ${repo} ${flip}; ln -sfn ${mine} ${flip}; done`],
      {stdio: 'ignore'},
    );
    try {
      let admin = 0;
      const codes = new Map<number | null, number>();
      for (let round = 0; round < 30; round++) {
        const results = await Promise.all(
          Array.from({length: 5}, () => sudo.as('alice', ['access', 'policy', 'show', '--repo', flip])),
        );
        for (const r of results) {
          if (/you: +alice \(admin\)/.test(r.stdout)) admin++;
          codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
        }
      }
      assert.equal(admin, 0, 'root answered "admin" for a repository alice controls');
      assert.deepEqual([...codes.keys()], [15], `every try refused: ${JSON.stringify([...codes])}`);
    } finally {
      flipper.kill('SIGKILL');
      spawnSync('pkill', ['-KILL', '-u', 'alice', '-f', 'bh-flip']);
    }
  },
);

test('an admin who is not root cannot restore "for root" (by name or uid); nothing is written', {skip}, async () => {
  for (const forUser of ['root', '0']) {
    for (const to of ['/root/bh-evil', '/etc/bh-evil']) {
      const r = await sudo.as('hadmin', [
        'restore',
        '--delegated',
        '--for',
        forUser,
        '--reason',
        'x',
        '--repo',
        repo,
        '--backup',
        aliceId,
        '--to',
        to,
      ]);
      assert.equal(r.code, 15, `--for ${forUser} --to ${to}: ${r.stderr}`);
      assert.match(r.stderr, /only root may restore for root/);
      await assert.rejects(fs.lstat(to));
    }
  }
});

test(
  "setuid/setgid survive only root's own restore; delegated and own restores drop them and say so",
  {skip},
  async () => {
    const ww = `/tmp/bh-world-writable-${randomBytes(3).toString('hex')}`;
    await fs.mkdir(ww, {mode: 0o1777});
    await fs.chmod(ww, 0o1777);
    cleanups.push(ww);
    const forBob = join(ww, 'for-bob');
    const r = await sudo.as('hadmin', [
      'restore',
      '--delegated',
      '--for',
      'bob',
      '--reason',
      'ticket 9',
      '--repo',
      repo,
      '--backup',
      aliceId,
      '--to',
      forBob,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /dropped the setuid\/setgid bits of 2 file/);
    for (const name of ['sh', 'gsh']) {
      const s = await fs.stat(join(forBob, 'alice-pc', 'bin', name));
      assert.equal(s.mode & 0o6000, 0, `${name} kept a setuid/setgid bit for bob`);
      assert.equal(s.uid, uid['bob']);
    }
    const own = `/home/alice/bh-own-${randomBytes(3).toString('hex')}`;
    cleanups.push(own);
    const mineRun = await sudo.as('alice', ['restore', '--repo', repo, '--backup', aliceId, '--to', own, '--json']);
    assert.equal(mineRun.code, 0, mineRun.stderr);
    assert.equal(JSON.parse(mineRun.stdout).setuidDropped, 2);
    assert.equal((await fs.stat(join(own, 'alice-pc', 'bin', 'sh'))).mode & 0o6000, 0);
    const asRoot = join(base, 'root-restore');
    await rootRun(['restore', '--repo', repo, '--backup', aliceId, '--to', asRoot]);
    const kept = await fs.stat(join(asRoot, 'alice-pc', 'bin', 'sh'));
    assert.equal(kept.mode & 0o7777, 0o4755);
    assert.equal(kept.uid, uid['alice']);
  },
);

test(
  "root's restore into a directory a user can write cannot be raced into writing elsewhere (200 MB, swapped in a loop)",
  {skip, timeout: 900_000},
  async () => {
    const big = join(base, 'src', 'big-pc');
    for (let d = 0; d < 40; d++) {
      await fs.mkdir(join(big, `d${d}`), {recursive: true});
      for (let f = 0; f < 5; f++) await fs.writeFile(join(big, `d${d}`, `f${f}`), randomBytes(1024 * 1024));
    }
    await rootRun(
      ['agent', 'backup', '--repo', repo, '--job', 'j', '--machine', 'big-pc', '--kind', 'server', '--path', big],
      600_000,
    );
    const bigId = await backupOf('big-pc');
    const victim = await rootOnlyTempDir('bh-victim');
    const before = await fs.stat(victim);
    const dest = `/home/alice/bh-race-${randomBytes(3).toString('hex')}`;
    cleanups.push(dest);
    sh('runuser', ['-u', 'alice', '--', 'mkdir', dest]);
    // alice swaps the restored top directory (in her own directory) for a symlink to a root-only place, over and over.
    const swapper = spawn(
      'runuser',
      [
        '-u',
        'alice',
        '--',
        'sh',
        '-c',
        `i=0; while :; do i=$((i+1)); if [ -d ${dest}/big-pc ] && [ ! -L ${dest}/big-pc ]; then mv ${dest}/big-pc ${dest}/moved-$i 2>/dev/null && ln -s ${victim} ${dest}/big-pc; fi; done`,
      ],
      {stdio: 'ignore'},
    );
    let result;
    try {
      result = await root.run(['restore', '--repo', repo, '--backup', bigId, '--to', dest], {timeoutMs: 600_000});
    } finally {
      swapper.kill('SIGKILL');
      spawnSync('pkill', ['-KILL', '-u', 'alice', '-f', 'bh-race']);
    }
    assert.ok(
      [0, 15, 16].includes(result.code ?? -1),
      `a clean end or a clean refusal, not a crash: exit ${result.code} ${result.stderr}`,
    );
    assert.deepEqual(await fs.readdir(victim), [], "something was written into the symlink's target");
    const afterStat = await fs.stat(victim);
    assert.equal(afterStat.uid, 0);
    assert.equal(afterStat.mode, before.mode);
    await fs.rm(victim, {recursive: true, force: true});
    const moved = (await fs.readdir(dest)).filter(n => n.startsWith('moved-'));
    assert.ok(moved.length > 0 || result.code !== 0, 'the race ran while the restore wrote');
  },
);

test(
  'a node named with "/" is refused (exit 12) and nothing is written through a planted symlink',
  {skip},
  async () => {
    const storage = new FilesystemStorage(repo);
    const key = [...(await fs.readdir(join(repo, 'backups', aliceId, 'points')))].map(
      n => `backups/${aliceId}/points/${n}`,
    )[0]!;
    const original = await storage.get(key);
    const manifest = JSON.parse(original.toString());
    manifest.nodes[0].name = 'lnk/sub';
    await storage.put(key, Buffer.from(JSON.stringify(manifest)));
    try {
      const dest = `/home/alice/bh-slash-${randomBytes(3).toString('hex')}`;
      cleanups.push(dest);
      sh('runuser', ['-u', 'alice', '--', 'mkdir', dest]);
      const outside = `/home/alice/bh-outside-${randomBytes(3).toString('hex')}`;
      cleanups.push(outside);
      sh('runuser', ['-u', 'alice', '--', 'mkdir', outside]);
      sh('runuser', ['-u', 'alice', '--', 'ln', '-s', outside, join(dest, 'lnk')]);
      const r = await sudo.as('alice', ['restore', '--repo', repo, '--backup', aliceId, '--to', dest]);
      assert.equal(r.code, 12, r.stderr);
      assert.deepEqual(await fs.readdir(outside), []);
    } finally {
      await storage.put(key, original);
    }
  },
);

test(
  "a backup record claiming another backup's id is refused (exit 12): alice gets none of bob's files",
  {skip},
  async () => {
    const storage = new FilesystemStorage(repo);
    const key = `backups/${aliceId}/backup.json`;
    const original = await storage.get(key);
    await storage.put(key, Buffer.from(JSON.stringify({...JSON.parse(original.toString()), id: bobId})));
    try {
      const dest = `/home/alice/bh-confused-${randomBytes(3).toString('hex')}`;
      cleanups.push(dest);
      for (const args of [
        ['list', '--repo', repo],
        ['restore', '--repo', repo, '--backup', bobId, '--to', dest],
        ['restore', '--repo', repo, '--backup', aliceId, '--to', dest],
      ]) {
        const r = await sudo.as('alice', args);
        assert.ok(r.code === 12 || r.code === 13, `${args[0]}: exit ${r.code} ${r.stderr}`);
      }
      const found = spawnSync('grep', ['-r', "bob's secret", dest], {encoding: 'utf8'});
      assert.notEqual(found.status, 0, "bob's file was restored for alice");
    } finally {
      await storage.put(key, original);
    }
  },
);

test('a forged, correctly hashed audit entry fails audit --verify through sudo', {skip}, async () => {
  const grant = await sudo.as('hadmin', [
    'access',
    'grant',
    '--repo',
    repo,
    '--backup',
    bobId,
    '--user',
    'bob',
    '--reason',
    'e2e',
  ]);
  assert.equal(grant.code, 0, grant.stderr);
  const ok = await sudo.as('hadmin', ['audit', '--repo', repo, '--verify']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  const storage = new FilesystemStorage(repo);
  const last = (await readAudit(storage)).at(-1)!;
  const body = {
    ...last,
    seq: last.seq + 1,
    time: new Date().toISOString(),
    prevHash: last.hash,
    reason: 'nothing to see',
  };
  delete (body as {hash?: string}).hash;
  await storage.put(auditKey(body.seq), Buffer.from(JSON.stringify({...body, hash: hashEntry(body)}) + '\n'));
  const bad = await sudo.as('hadmin', ['audit', '--repo', repo, '--verify']);
  assert.equal(bad.code, 12, bad.stdout + bad.stderr);
  assert.match(bad.stdout, new RegExp(`entry ${body.seq} .*not written by Backhaul on this host`));
});
