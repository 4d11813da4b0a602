// Several writers into one target (FORMAT.md "Locking (version 2: shared and
// exclusive)"), with the real program on a directory:
// - an exclusive lock held (prune, upgrade): a copy fails at once with exit
//   11 naming the holder and writes nothing; with --wait it waits, then copies;
// - two copies from different sources into one version 2 target at the same
//   time (the first frozen with SIGSTOP until the second holds its own lock
//   too, so they overlap by construction, not by the machine's speed): both
//   complete, the backup both carry is one backup whose record names every
//   node, the target verifies, and a third copy finds nothing left to copy.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {ChildProcess} from 'node:child_process';
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {acquireV2Lock} from '../../../source/engine/repository/lock-shared.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {collect, demoWorkspace, type Result, type Workspace} from '../../helpers/demo-cache.js';
import {listing} from '../../helpers/restore-compare.js';

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

/** The pids holding lock files in a directory repository. */
function lockHolders(dir: string): number[] {
  const locks = join(dir, 'locks');
  if (!existsSync(locks)) return [];
  return readdirSync(locks)
    .filter(n => /^[0-9a-f]{16}$/.test(n))
    .flatMap(n => {
      try {
        return [JSON.parse(readFileSync(join(locks, n), 'utf8')).pid as number];
      } catch {
        return []; // released meanwhile
      }
    });
}

/** Starts a copy and resolves once it holds its lock on `targetDir`, frozen with SIGSTOP. */
async function frozenWriter(
  ws: Workspace,
  targetDir: string,
  args: string[],
): Promise<{child: ChildProcess; done: Promise<Result>}> {
  const child = ws.spawn(['copy', ...args, '--json']);
  const done = collect(child);
  let exited = false;
  void done.then(() => (exited = true));
  await waitFor('the copy to take its lock', () => lockHolders(targetDir).includes(child.pid!) || exited);
  assert.equal(exited, false, 'the copy finished before it could be frozen');
  child.kill('SIGSTOP');
  return {child, done};
}

describe('several writers into one target', () => {
  let ws: Workspace;
  let total = 0;
  let siteB = '';
  let shared = ''; // the machine both sources carry

  before(async () => {
    ws = await demoWorkspace('concurrency');
    const listed: any[] = await ws.json(['list', '--repo', 'demo-primary', '--json']);
    total = listed.reduce((s, b) => s + b.points, 0);
    shared = listed[0].machine;
    // A second source: site B holds a copy of one backup of the primary.
    siteB = join(ws.dir, 'site-b');
    assert.equal((await ws.run(['repo', 'add', 'site-b', siteB])).code, 0);
    const r = await ws.run([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'site-b',
      '--machine',
      shared,
      '--points',
      'all',
    ]);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => ws?.cleanup());

  const addTarget = async (name: string) => {
    const dir = join(ws.dir, name);
    const r = await ws.run(['repo', 'add', name, dir]);
    assert.equal(r.code, 0, r.stderr);
    return dir;
  };

  test('an exclusive lock held: a copy fails at once with exit 11 naming the holder, and writes nothing', async () => {
    const dir = await addTarget('held-target');
    assert.equal((await ws.run(['copy', '--from', 'site-b', '--to', 'held-target', '--points', 'latest'])).code, 0);
    const lock = await acquireV2Lock(new FilesystemStorage(dir), 'test holding the exclusive lock', {exclusive: true});
    try {
      const untouched = await listing(dir);
      const r = await ws.run(['copy', '--from', 'demo-primary', '--to', 'held-target', '--points', 'all']);
      assert.equal(r.code, 11, r.stderr);
      assert.match(
        r.stderr,
        new RegExp(`locked by .*\\(exclusive lock, pid ${process.pid}, test holding the exclusive lock since `),
      );
      assert.match(r.stderr, /--wait/, 'the hint says how to wait');
      assert.deepEqual(await listing(dir), untouched);
    } finally {
      await lock.release();
    }
    assert.deepEqual(readdirSync(join(dir, 'locks')), [], 'no lock file is left');
  });

  test('--wait: a copy waits while the exclusive lock is held, then copies', async () => {
    const dir = await addTarget('wait-target');
    const lock = await acquireV2Lock(new FilesystemStorage(dir), 'test holding the exclusive lock', {exclusive: true});
    const waiter = collect(
      ws.spawn(['copy', '--from', 'demo-primary', '--to', 'wait-target', '--points', 'all', '--wait', '600', '--json']),
    );
    let exited = false;
    void waiter.then(() => (exited = true));
    try {
      await new Promise(r => setTimeout(r, 3000));
      assert.equal(exited, false, 'the copy waits while the exclusive lock is held');
      assert.equal(existsSync(join(dir, 'backups')), false, 'and has written nothing');
    } finally {
      await lock.release();
    }
    const r = await waiter;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).pointsCopied, total);
    assert.equal((await ws.json(['verify', '--repo', 'wait-target', '--json'])).ok, true);
  });

  test('two copies from different sources at once both complete; the target verifies; nothing is left to copy', async () => {
    const dir = await addTarget('two-target');
    const first = await frozenWriter(ws, dir, ['--from', 'demo-primary', '--to', 'two-target', '--points', 'all']);
    let second: {child: ChildProcess; done: Promise<Result>};
    try {
      // The second takes its own shared lock beside the frozen first's.
      second = await frozenWriter(ws, dir, ['--from', 'site-b', '--to', 'two-target', '--points', 'all']);
      assert.deepEqual(
        lockHolders(dir).sort(),
        [first.child.pid!, second.child.pid!].sort(),
        'two shared locks at once',
      );
      second.child.kill('SIGCONT');
    } finally {
      first.child.kill('SIGCONT');
    }
    const [a, b] = [await first.done, await second.done];
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const [sa, sb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
    assert.equal(sa.pointsFailed + sb.pointsFailed, 0);
    assert.ok(sa.pointsCopied > 0 && sb.pointsCopied > 0, 'both copied');

    assert.equal((await ws.json(['verify', '--repo', 'two-target', '--json'])).ok, true);
    const onTarget: any[] = await ws.json(['list', '--repo', 'two-target', '--json']);
    assert.equal(
      onTarget.reduce((s, x) => s + x.points, 0),
      total,
      'every point once',
    );
    assert.equal(onTarget.filter(x => x.machine === shared).length, 1, 'the backup both carried is one backup');
    const rest = await ws.json(['copy', '--from', 'demo-primary', '--to', 'two-target', '--points', 'all', '--json']);
    assert.equal(rest.pointsCopied, 0);
    assert.equal(rest.pointsSkipped, total);
    assert.deepEqual(lockHolders(dir), [], 'both released their locks');
  });
});
