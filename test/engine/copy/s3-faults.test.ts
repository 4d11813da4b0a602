// Copies to S3 that meet a stale lock and a server that goes silent, the CLI
// run as a user runs it, against a real Ceph RGW behind a fault proxy
// (issue 13, items 15-17):
// - the lock race: a stale lock, five copies started at once, every DELETE
//   of the lock held back a second: the five copy side by side under shared
//   locks (version 2); a copy that found the stale lock says so (on stderr
//   and in the session log); no lock or claim is left; the target verifies;
// - an RGW that stalls mid-copy: the copy fails within the bound with exit
//   18 saying what stalled (stalls reported as they happen, counted in the
//   session log); its lock is released or stale-able; nothing half-visible:
//   the target verifies, and the next copy completes it.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {hostname} from 'node:os';
import {join} from 'node:path';
import {S3Storage} from '../../../source/engine/storage/s3.js';
import {collect, demoWorkspace, type Result, type Workspace} from '../../helpers/demo-cache.js';
import {startFaultProxy, type FaultProxy} from '../../helpers/fault-proxy.js';
import {rgwForThisFile, rgwSkipReason, type RgwServer} from '../../helpers/rgw.js';

const skip = rgwSkipReason();
const rgw = rgwForThisFile();

async function keys(server: RgwServer, location: string, prefix = ''): Promise<string[]> {
  const s3 = new S3Storage(location, {endpoint: server.endpoint});
  const out: string[] = [];
  try {
    for await (const info of s3.list(prefix)) out.push(info.key);
  } finally {
    await s3.close();
  }
  return out.sort();
}

async function history(ws: Workspace): Promise<any[]> {
  const text = await readFile(join(ws.env.XDG_DATA_HOME!, 'backhaul', 'history.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter(Boolean)
    .map(line => JSON.parse(line));
}

const check = (r: Result, what: string) =>
  assert.equal(r.code, 0, `${what} exited ${r.code}:\n${r.stderr.slice(-3000)}`);

if (skip) {
  test('copies to S3 meeting a stale lock and a silent server', {skip}, () => {});
} else
  describe('copies to S3: the lock race and a server that stalls', () => {
    let server: RgwServer;
    let ws: Workspace;
    const proxies: FaultProxy[] = [];

    before(async () => {
      [ws, server] = await Promise.all([demoWorkspace('s3-faults'), rgw.get()]);
      for (const env of [ws.env, process.env])
        Object.assign(env, {AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey});
    });
    after(async () => {
      await Promise.all(proxies.map(p => p.close()));
      await rgw.stop();
      await ws?.cleanup();
    });

    test('a stale lock and five copies at once, its DELETE slowed: all five copy beside each other (shared locks); the stale one is broken', async t => {
      // Every DELETE of the stale lock waits a second (the window the old read/compare/delete lost in): the claim
      // protocol lets one contender delete it; the others go on beside it, as version 2's shared locks allow.
      const proxy = await startFaultProxy({
        target: server.endpoint,
        failureRate: 0,
        delay: (method, path) =>
          method === 'DELETE' && path.includes('/locks/writer')
            ? 1000
            : method === 'PUT' && path.includes('/data/')
              ? 300
              : 0,
      });
      proxies.push(proxy);
      const location = 's3://bh-race/site-a';
      check(await ws.run(['repo', 'add', 'race', location, '--endpoint', proxy.endpoint]), 'repo add');
      const time = new Date(Date.now() - 10 * 60_000).toISOString();
      const direct = new S3Storage(location, {endpoint: server.endpoint});
      await direct.put(
        'locks/writer',
        Buffer.from(
          JSON.stringify({
            host: 'backup-02.example',
            pid: 4242,
            user: 'ops',
            operation: 'copy from site-b',
            time,
            refreshed: time,
          }),
        ),
      );
      const children = Array.from({length: 5}, () =>
        ws.spawn(['copy', '--from', 'demo-primary', '--to', 'race', '--machine', 'web01', '--points', 'all', '--json']),
      );
      const results = await Promise.all(children.map(c => collect(c)));
      t.diagnostic(results.map((r, i) => `copy ${i + 1} (pid ${children[i]!.pid}): exit ${r.code}`).join('; '));
      for (const r of results) assert.equal(r.code, 0, r.stderr.slice(-1500));
      const copied = results.reduce((s, r) => s + JSON.parse(r.stdout).pointsCopied, 0);
      assert.ok(copied > 0, 'they copied');
      const said = results.filter(r =>
        /backhaul: Took over a stale writer lock on s3:\/\/bh-race\/site-a held by ops@backup-02\.example \(pid 4242, copy from site-b since .*\): it was last refreshed \d+ s ago \(stale after 120 s\)/.test(
          r.stderr,
        ),
      );
      assert.ok(said.length >= 1, 'a copy that found the stale lock says so');
      const sessions = await history(ws);
      assert.ok(
        sessions.some(s =>
          s.log.some((l: string) =>
            /^\d\d:\d\d:\d\d Took over a stale writer lock on s3:\/\/bh-race\/site-a held by ops@/.test(l),
          ),
        ),
        'the session log says the lock was taken over',
      );
      assert.deepEqual(await keys(server, location, 'locks/'), [], 'the lock is released, no claim is left');
      assert.equal((await ws.json(['verify', '--repo', 'race', '--json'])).ok, true);
      await direct.close();
    });

    test('an RGW that stalls mid-copy: exit 18 within the bound, saying what stalled; the lock is released or stale-able; nothing half-visible', async t => {
      const proxy = await startFaultProxy({target: server.endpoint, failureRate: 0});
      proxies.push(proxy);
      const location = 's3://bh-stall/site-a';
      check(await ws.run(['repo', 'add', 'stall', location, '--endpoint', proxy.endpoint]), 'repo add');
      ws.env.BACKHAUL_S3_TIMEOUT = '4';
      let stalledAt = 0;
      let r: Result;
      try {
        const child = ws.spawn(['copy', '--from', 'demo-primary', '--to', 'stall', '--points', 'all']);
        const done = collect(child);
        let exited = false;
        void done.then(() => (exited = true));
        // Silence falls once packs are arriving: mid-copy on any machine.
        while (!exited && (await keys(server, location, 'data/')).length < 3)
          await new Promise(res => setTimeout(res, 100));
        assert.equal(exited, false, 'the copy ended before the server went silent');
        proxy.stall('silent');
        stalledAt = Date.now();
        r = await done;
      } finally {
        delete ws.env.BACKHAUL_S3_TIMEOUT;
      }
      const took = Date.now() - stalledAt;
      t.diagnostic(
        `failed ${took} ms after the server went silent (bound 4 s per request); ${proxy.stalled.silent} requests went unanswered`,
      );
      assert.equal(r.code, 18, r.stderr.slice(-3000));
      assert.match(
        r.stderr,
        /backhaul: S3 \w+ of .* in s3:\/\/bh-stall\/site-a stalled: http:\/\/127\.0\.0\.1:\d+ sent nothing for 1\.3 s .*gave up within the 4 s limit\./,
      );
      assert.match(
        r.stderr,
        /backhaul: S3 \w+ of .*sent nothing for 1\.3 s; trying again/,
        'stalls were reported as they happened',
      );
      // The bound is per request; a copy has several in flight and then releases its lock (at most 5 s more).
      assert.ok(took < 4000 + 5000 + 10_000, `the copy failed ${took} ms after the server went silent`);
      const failed = (await history(ws)).at(-1);
      assert.equal(failed.summary.result, 'failed');
      assert.ok(
        failed.summary.stalls > 0 && failed.summary.retries >= failed.summary.stalls,
        JSON.stringify(failed.summary),
      );
      assert.ok(
        failed.log.some((l: string) => /sent nothing for 1\.3 s/.test(l)),
        'the session log has the stalls',
      );

      // Its lock: released, or left by a process that is gone (stale at once on this host).
      const left = await keys(server, location, 'locks/');
      for (const key of left.filter(k => /^locks\/[0-9a-f]{16}$/.test(k))) {
        const direct = new S3Storage(location, {endpoint: server.endpoint});
        const lock = JSON.parse((await direct.get(key)).toString());
        await direct.close();
        assert.equal(lock.host, hostname());
        assert.throws(() => process.kill(lock.pid, 0), 'the holder is gone: the lock is stale');
      }
      t.diagnostic(`after the stall: ${left.length ? 'the lock was left (stale)' : 'the lock was released'}`);
      proxy.stall('off');
      assert.equal((await ws.json(['verify', '--repo', 'stall', '--json'])).ok, true, 'nothing half-visible');
      const resumed = await ws.json(['copy', '--from', 'demo-primary', '--to', 'stall', '--points', 'all', '--json']);
      assert.equal(resumed.result, 'success');
      assert.equal(resumed.retries, 0);
      assert.equal((await ws.json(['verify', '--repo', 'stall', '--json'])).ok, true);
    });
  });
