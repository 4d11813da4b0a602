// One writer per target: a second copy into the same target fails at once
// with exit 11 naming the holder, or waits with --wait and then copies only
// what the first left; no corruption either way, and a re-run copies the rest.
// The first copy is frozen (SIGSTOP) while it holds the lock, so the race is
// decided by the test, not by the machine's speed.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {ChildProcess} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {WriterLock} from '../../../source/engine/repository/lock.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {collect, demoWorkspace, type Result, type Workspace} from '../../helpers/demo-cache.js';
import {listing} from '../../helpers/restore-compare.js';

async function waitFor(what: string, check: () => boolean, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

/** Starts a copy and resolves once it holds the target's writer lock, frozen with SIGSTOP. */
async function frozenHolder(
  ws: Workspace,
  target: string,
  args: string[],
): Promise<{child: ChildProcess; done: Promise<Result>}> {
  const child = ws.spawn(['copy', '--from', 'demo-primary', '--to', target, ...args, '--json']);
  const done = collect(child);
  const lock = join(target.includes('/') ? target : ws.secondary, 'locks', 'writer');
  const holds = () => {
    try {
      return JSON.parse(readFileSync(lock, 'utf8')).pid === child.pid;
    } catch {
      return false;
    }
  };
  let exited = false;
  void done.then(() => (exited = true));
  await waitFor('the first copy to take the lock', () => holds() || exited);
  assert.equal(exited, false, 'the first copy finished before it could be frozen');
  child.kill('SIGSTOP');
  return {child, done};
}

describe('two copies into one target', () => {
  let ws: Workspace;
  let total = 0;
  const copy = (...args: string[]) => ['copy', '--from', 'demo-primary', '--to', 'demo-secondary', ...args];

  before(async () => {
    ws = await demoWorkspace('concurrency');
    const listed: any[] = await ws.json(['list', '--repo', 'demo-primary', '--json']);
    total = listed.reduce((s, b) => s + b.points, 0);
  });
  after(async () => ws?.cleanup());

  test('a held lock: the copy fails at once with exit 11 naming the holder, and writes nothing', async () => {
    const lock = await WriterLock.acquire(new FilesystemStorage(ws.secondary), 'test holding the lock');
    try {
      const untouched = await listing(ws.secondary);
      const r = await ws.run(copy('--points', 'all'));
      assert.equal(r.code, 11, r.stderr);
      assert.match(r.stderr, new RegExp(`locked by .*pid ${process.pid}.*test holding the lock`));
      assert.match(r.stderr, /--wait/, 'the hint says how to wait');
      assert.deepEqual(await listing(ws.secondary), untouched);
    } finally {
      await lock.release();
    }
    assert.equal(existsSync(join(ws.secondary, 'locks', 'writer')), false);
  });

  test('a running copy: the second fails with exit 11 naming it; no corruption; a re-run copies the rest', async () => {
    const first = await frozenHolder(ws, 'demo-secondary', ['--points', 'latest']);
    let second: Result;
    try {
      second = await ws.run(copy('--points', 'all', '--json'));
    } finally {
      first.child.kill('SIGCONT');
    }
    assert.equal(second.code, 11, second.stderr);
    assert.match(second.stderr, new RegExp(`locked by .*\\(pid ${first.child.pid}, copy from `));
    const a = await first.done;
    assert.equal(a.code, 0, a.stderr);
    const firstSummary = JSON.parse(a.stdout);
    assert.equal(firstSummary.pointsFailed, 0);

    assert.equal((await ws.json(['verify', '--repo', 'demo-secondary', '--json'])).ok, true);
    const rest = await ws.json(copy('--points', 'all', '--json'));
    assert.equal(rest.pointsSkipped, firstSummary.pointsCopied);
    assert.equal(rest.pointsCopied, total - firstSummary.pointsCopied);
    assert.ok(rest.transferredBytes > 0);
    assert.equal((await ws.json(['verify', '--repo', 'demo-secondary', '--json'])).ok, true);
  });

  test('--wait: the second waits for the first, then copies only what is still missing', async () => {
    const r = await ws.run(['repo', 'add', 'wait-target', join(ws.dir, 'wait-target')]);
    assert.equal(r.code, 0, r.stderr);
    const target = join(ws.dir, 'wait-target');
    const first = await frozenHolder(ws, target, ['--points', 'all']);
    // The waiter plans while the first is frozen (so it plans every point), then waits on the lock.
    const waiter = ws.spawn([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'wait-target',
      '--points',
      'all',
      '--wait',
      '600',
    ]);
    let planned = '';
    waiter.stderr!.on('data', (d: Buffer) => (planned += d.toString()));
    const waited = collect(waiter);
    let waiterExited = false;
    void waited.then(() => (waiterExited = true));
    try {
      await waitFor("the waiter's plan", () => /Total: .*\n/.test(planned) || waiterExited);
      assert.match(planned, new RegExp(`Total: ${total} point\\(s\\) to copy, 0 already on target`));
      await new Promise(res => setTimeout(res, 1000));
      assert.equal(waiterExited, false, 'the waiter waits while the lock is held');
    } finally {
      first.child.kill('SIGCONT');
    }
    const [a, b] = [await first.done, await waited];
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(JSON.parse(a.stdout).pointsCopied, total);
    // Points copied meanwhile are skipped, not copied again, and nothing is sent twice.
    assert.match(b.stdout, new RegExp(`0 point\\(s\\) copied, ${total} skipped, 0 failed`));
    assert.match(b.stdout, /transferred 0 B/);
    assert.equal((await ws.json(['verify', '--repo', 'wait-target', '--json'])).ok, true);
  });
});
