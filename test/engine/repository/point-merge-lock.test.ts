// The point merge lock (point-merge-lock.ts): holders one after the other,
// a lock whose holder died broken, and a holder past its lease writes nothing.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtemp, readdir} from 'node:fs/promises';
import {hostname, tmpdir} from 'node:os';
import {join} from 'node:path';
import {sweepLeftovers} from '../../../source/engine/repository/lock-break.js';
import {LEASE_MS} from '../../../source/engine/repository/lock-info.js';
import {pointLockKey, withPointMergeLock} from '../../../source/engine/repository/point-merge-lock.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

const storage = async () => new FilesystemStorage(await mkdtemp(join(tmpdir(), 'bh-point-lock-')));

test('holders take turns: the second starts only once the first is done, and nothing is left', async () => {
  const s = await storage();
  const events: string[] = [];
  let release!: () => void;
  const first = withPointMergeLock(s, 'b1', 'p1', async () => {
    events.push('first in');
    await new Promise<void>(r => (release = r));
    events.push('first out');
  });
  while (!release) await new Promise(r => setTimeout(r, 5));
  const second = withPointMergeLock(s, 'b1', 'p1', async () => void events.push('second in'));
  // Another point's lock is another lock: not held up.
  await withPointMergeLock(s, 'b1', 'p2', async () => void events.push('other point'));
  await new Promise(r => setTimeout(r, 100));
  release();
  await Promise.all([first, second]);
  assert.deepEqual(events, ['first in', 'other point', 'first out', 'second in']);
  assert.deepEqual(await readdir(join(s.root, 'locks')), []);
});

test('a lock whose process is gone (this host) is broken, and the merge goes on', async () => {
  const s = await storage();
  const dead = spawnSync('true').pid!; // exited, so its pid names no process
  const lock = {host: hostname(), pid: dead, user: 'x', operation: 'merging', time: new Date().toISOString()};
  await s.put(pointLockKey('b1', 'p1'), Buffer.from(JSON.stringify({...lock, refreshed: lock.time})));
  let ran = false;
  await withPointMergeLock(s, 'b1', 'p1', async () => void (ran = true));
  assert.ok(ran);
  assert.deepEqual(
    (await readdir(join(s.root, 'locks'))).filter(n => n.startsWith('point-')),
    [],
  );
});

test('a holder past its lease stops before writing, with a clear error, and removes only its own lock', async () => {
  const s = await storage();
  let now = 0;
  let wrote = false;
  await assert.rejects(
    withPointMergeLock(
      s,
      'b1',
      'p1',
      async beforeWrite => {
        now = LEASE_MS + 1; // the read and merge took longer than the lease
        beforeWrite();
        wrote = true;
      },
      {clock: () => now},
    ),
    (e: any) => e.code === 'locked' && /took over 90 s/.test(e.message) && /Run the same copy again/.test(e.hint),
  );
  assert.equal(wrote, false);
  assert.deepEqual(await readdir(join(s.root, 'locks')), []);
});

test("a writer's sweep of locks/ breaks a dead holder's point merge lock and leaves a live one", async () => {
  const s = await storage();
  const dead = spawnSync('true').pid!;
  const record = (pid: number) => {
    const time = new Date().toISOString();
    return Buffer.from(JSON.stringify({host: hostname(), pid, user: 'x', operation: 'merging', time, refreshed: time}));
  };
  await s.put(pointLockKey('b1', 'dead'), record(dead));
  await s.put(pointLockKey('b1', 'live'), record(process.pid));
  await sweepLeftovers(s, Date.now(), true);
  assert.deepEqual(await readdir(join(s.root, 'locks')), ['point-b1-live']);
});
