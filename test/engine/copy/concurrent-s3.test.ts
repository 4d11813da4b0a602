// Two copies from different sources into one version 2 target on object
// storage at the same time, against a real Ceph RGW (FORMAT.md "Locking
// (version 2: shared and exclusive)"): the first is frozen with SIGSTOP
// until the second holds its own shared lock too, so they overlap by
// construction; both complete, the backup both carry is one backup, the
// target verifies, no lock is left, and a third copy finds nothing to copy.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {ChildProcess} from 'node:child_process';
import {join} from 'node:path';
import {S3Storage} from '../../../source/engine/storage/s3.js';
import {collect, demoWorkspace, type Result, type Workspace} from '../../helpers/demo-cache.js';
import {rgwForThisFile, rgwSkipReason, type RgwServer} from '../../helpers/rgw.js';

const skip = rgwSkipReason();
const rgw = rgwForThisFile();

/** The pids holding version 2 lock files under `location`. */
async function lockHolders(s: S3Storage): Promise<number[]> {
  const pids: number[] = [];
  for await (const info of s.list('locks/')) {
    if (!/^locks\/[0-9a-f]{16}$/.test(info.key)) continue;
    try {
      pids.push(JSON.parse((await s.get(info.key)).toString()).pid);
    } catch {
      // released meanwhile
    }
  }
  return pids;
}

if (skip) {
  test('two copies at once into one S3 target', {skip}, () => {});
} else
  describe('two copies from different sources into one S3 target at once', () => {
    let server: RgwServer;
    let ws: Workspace;

    before(async () => {
      [ws, server] = await Promise.all([demoWorkspace('concurrent-s3'), rgw.get()]);
      for (const env of [ws.env, process.env])
        Object.assign(env, {AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey});
    });
    after(async () => {
      await rgw.stop();
      await ws?.cleanup();
    });

    test('both complete; the target verifies; nothing is left to copy', async () => {
      const listed: any[] = await ws.json(['list', '--repo', 'demo-primary', '--json']);
      const total = listed.reduce((s, b) => s + b.points, 0);
      const shared = listed[0].machine;
      assert.equal((await ws.run(['repo', 'add', 'site-b', join(ws.dir, 'site-b')])).code, 0);
      const b0 = await ws.run([
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
      assert.equal(b0.code, 0, b0.stderr);
      const location = 's3://bh-two/target';
      const added = await ws.run(['repo', 'add', 'two', location, '--endpoint', server.endpoint]);
      assert.equal(added.code, 0, added.stderr);
      const s3 = new S3Storage(location, {endpoint: server.endpoint});

      const frozen = async (from: string): Promise<{child: ChildProcess; done: Promise<Result>}> => {
        const child = ws.spawn(['copy', '--from', from, '--to', 'two', '--points', 'all', '--json']);
        const done = collect(child);
        let exited = false;
        void done.then(() => (exited = true));
        while (!exited && !(await lockHolders(s3)).includes(child.pid!)) await new Promise(r => setTimeout(r, 25));
        assert.equal(exited, false, `the copy from ${from} finished before it could be frozen`);
        child.kill('SIGSTOP');
        return {child, done};
      };
      const first = await frozen('demo-primary');
      let second: {child: ChildProcess; done: Promise<Result>};
      try {
        second = await frozen('site-b');
        assert.deepEqual(
          (await lockHolders(s3)).sort(),
          [first.child.pid!, second.child.pid!].sort(),
          'two shared locks at once',
        );
        second.child.kill('SIGCONT');
      } finally {
        first.child.kill('SIGCONT');
      }
      const [a, b] = [await first.done, await second.done];
      assert.equal(a.code, 0, a.stderr.slice(-3000));
      assert.equal(b.code, 0, b.stderr.slice(-3000));
      const [sa, sb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)];
      assert.equal(sa.pointsFailed + sb.pointsFailed, 0);
      assert.ok(sa.pointsCopied > 0 && sb.pointsCopied > 0, 'both copied');

      assert.equal((await ws.json(['verify', '--repo', 'two', '--json'])).ok, true);
      const onTarget: any[] = await ws.json(['list', '--repo', 'two', '--json']);
      assert.equal(
        onTarget.reduce((s, x) => s + x.points, 0),
        total,
        'every point once',
      );
      assert.equal(onTarget.filter(x => x.machine === shared).length, 1, 'the backup both carried is one backup');
      const rest = await ws.json(['copy', '--from', 'demo-primary', '--to', 'two', '--points', 'all', '--json']);
      assert.equal(rest.pointsCopied, 0);
      assert.equal(rest.pointsSkipped, total);
      assert.deepEqual(await lockHolders(s3), [], 'both released their locks');
      await s3.close();
    });
  });
