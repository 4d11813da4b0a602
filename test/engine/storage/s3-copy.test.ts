// Acceptance of S3 repositories (issue 6) against a real Ceph RGW started by
// test/helpers/rgw.ts — no mock of the SDK or of the storage, the CLI run as a
// user runs it (credentials in the environment, --endpoint at RGW):
// - `repo add NAME s3://...` creates the bucket; the dry run says free space
//   is unknown and shows the bytes it will store;
// - the demo copied to S3 with `--points all`, killed with SIGKILL three
//   times mid-transfer, resumes without re-sending what arrived; the result
//   verifies, restores identically (a workstation, every cluster node), a
//   re-run sends 0 bytes, `list` shows the copies; S3 works as a source too;
// - the three-node cluster on a fresh bucket stores each shared disk once;
// - a second writer is seen through the lock object, judged stale by time;
// - RGW refuses a pack whose bytes do not match its name;
// - a copy through a proxy failing ~15% of requests completes and verifies,
//   its --json summary counting the retries.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {ListObjectsV2Command} from '@aws-sdk/client-s3';
import {S3Storage} from '../../../source/engine/storage/s3.js';
import {demoWorkspace, type Result, type Workspace} from '../../helpers/demo-cache.js';
import {startFaultProxy} from '../../helpers/fault-proxy.js';
import {assertSameRestore} from '../../helpers/restore-compare.js';
import {rgwForThisFile, rgwSkipReason, type RgwServer} from '../../helpers/rgw.js';

const skip = rgwSkipReason();
const rgw = rgwForThisFile();
const MiB = 1 << 20;
const ALL = ['--points', 'all'];

interface Listed {
  id: string;
  machine: string;
  kind: string;
  nodes: {name: string}[];
  points: number;
}

/** Every object in a bucket (ListObjectsV2, paginated): key → size. */
async function bucketObjects(server: RgwServer, bucket: string, prefix = ''): Promise<Map<string, number>> {
  const s3 = new S3Storage(`s3://${bucket}`, {endpoint: server.endpoint});
  const out = new Map<string, number>();
  try {
    let token: string | undefined;
    do {
      const page = await s3.client.send(
        new ListObjectsV2Command({Bucket: bucket, Prefix: prefix, ContinuationToken: token}),
      );
      for (const o of page.Contents ?? []) out.set(o.Key!, o.Size ?? 0);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  } finally {
    await s3.close();
  }
  return out;
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((s, n) => s + n, 0);
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;
const packsOf = (objects: Map<string, number>) =>
  new Map([...objects].filter(([k]) => /\/data\/[0-9a-f]{2}\/[0-9a-f]{64}$/.test(k)));

/** Pack uploads RGW saw under a repository prefix, from its access log (one `beast:` line per request). */
async function packPuts(server: RgwServer, prefix: string): Promise<number> {
  await new Promise(r => setTimeout(r, 1000)); // RGW writes its log asynchronously
  const log = await readFile(join(server.dir, 'log', 'client.rgw.a.log'), 'utf8');
  return log.split('\n').filter(l => l.includes('beast: ') && l.includes(`"PUT /${prefix}/data/`)).length;
}

/** Writes `locks/writer` in a repository as another host would. */
async function foreignLock(server: RgwServer, location: string, refreshedAgoMs: number): Promise<void> {
  const s3 = new S3Storage(location, {endpoint: server.endpoint});
  const time = new Date(Date.now() - refreshedAgoMs).toISOString();
  const info = {
    host: 'backup-02.example',
    pid: 4242,
    user: 'ops',
    operation: 'copy from site-b',
    time,
    refreshed: time,
  };
  await s3.put('locks/writer', Buffer.from(JSON.stringify(info)));
  await s3.close();
}

const check = (r: Result, what: string) =>
  assert.equal(
    r.code,
    0,
    `${what} exited ${r.code} (${r.signal ?? ''}):\n${r.stderr.slice(-3000)}${r.stdout.slice(-1000)}`,
  );

if (skip) {
  test('copies to and from S3 on a real Ceph RGW', {skip}, () => {});
} else
  describe('S3 repositories on a real Ceph RGW (CLI, demo)', () => {
    let server: RgwServer;
    let ws: Workspace;
    let listed: Listed[];
    const byMachine = (m: string) => listed.find(b => b.machine === m)!;

    before(async () => {
      [ws, server] = await Promise.all([demoWorkspace('s3copy'), rgw.get()]);
      // The SDK's standard chain, as a user would set it; Backhaul never stores keys.
      for (const env of [ws.env, process.env])
        Object.assign(env, {AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey});
      listed = await ws.json(['list', '--repo', 'demo-primary', '--json']);
    });
    after(async () => {
      await rgw.stop();
      await ws?.cleanup();
    });

    describe('the demo copied to S3', () => {
      const location = 's3://bh-demo/site-a';
      let planned: number;

      test('repo add creates the bucket and an empty repository; no keys in the config', async () => {
        assert.equal(await bucketObjects(server, 'bh-demo').catch(() => undefined), undefined, 'no bucket before');
        const added = await ws.json(['repo', 'add', 's3', location, '--endpoint', server.endpoint, '--json']);
        assert.equal(added.created, true);
        assert.deepEqual([...(await bucketObjects(server, 'bh-demo')).keys()], ['site-a/config']);
        const repos: any[] = await ws.json(['repo', 'list', '--json']);
        const entry = repos.find(r => r.name === 's3');
        assert.deepEqual({location: entry.location, endpoint: entry.endpoint}, {location, endpoint: server.endpoint});
        assert.ok(!JSON.stringify(repos).includes(server.secretAccessKey), 'credentials are never stored');
        // Registering it again opens the existing repository.
        assert.equal(
          (await ws.json(['repo', 'add', 's3', location, '--endpoint', server.endpoint, '--json'])).created,
          false,
        );
      });

      test('the dry run says free space on S3 is unknown and shows the bytes it will store', async () => {
        const plan = await ws.json(['copy', '--from', 'demo-primary', '--to', 's3', ...ALL, '--dry-run', '--json']);
        planned = plan.transferBytes;
        assert.equal(plan.freeBytes, undefined);
        assert.equal(plan.fits, true);
        assert.ok(plan.transferBytes > 100 * MiB, 'the copy is large enough to be killed mid-way');
        assert.ok(plan.storeBytes >= plan.transferBytes);
        assert.ok(
          plan.notes.some((n: string) => /cannot be known/.test(n) && /object storage/.test(n)),
          plan.notes.join('\n'),
        );
        const text = await ws.run(['copy', '--from', 'demo-primary', '--to', 's3', ...ALL, '--dry-run']);
        check(text, 'dry run');
        assert.match(text.stdout, /Free space on target: unknown \(object storage\)/);
        assert.match(text.stdout, /store \d/);
        assert.deepEqual(
          [...(await bucketObjects(server, 'bh-demo')).keys()],
          ['site-a/config'],
          'the dry run wrote nothing',
        );
      });

      test('a copy killed with SIGKILL three times resumes without re-sending what arrived', async t => {
        // Kills are placed by what has arrived (packs in the bucket), not by time, so they land mid-transfer on any machine.
        const killAfterPacks = [3, 6, 5];
        const seen = new Map<string, number>();
        const log: string[] = [];
        for (const [i, more] of killAfterPacks.entries()) {
          const before = packsOf(await bucketObjects(server, 'bh-demo')).size;
          const child = ws.spawn(['copy', '--from', 'demo-primary', '--to', 's3', ...ALL]);
          let polling = true;
          const exited = new Promise(r => child.once('exit', r));
          const poll = (async () => {
            while (polling) {
              if (packsOf(await bucketObjects(server, 'bh-demo')).size >= before + more) {
                child.kill('SIGKILL');
                return;
              }
              await Promise.race([exited, new Promise(r => setTimeout(r, 100))]);
            }
          })();
          let stderr = '';
          child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
          const signal = await new Promise(r => child.once('close', (_code, sig) => r(sig)));
          polling = false;
          await poll;
          assert.equal(
            signal,
            'SIGKILL',
            `run ${i + 1} was to be killed after ${more} packs but ended by itself:\n${stderr.slice(-2000)}`,
          );
          const packs = packsOf(await bucketObjects(server, 'bh-demo'));
          for (const [k, v] of packs) seen.set(k, v);
          log.push(`run ${i + 1}: killed with ${packs.size} packs (${mib(sum(packs))}) in the bucket`);
        }
        const arrived = sum(seen);
        // S3 dates objects to the second: a pack stored in the second the next writer's lock is made is left for a
        // later writer to adopt (FORMAT.md, "Unfinished work of dead writers"). An admin re-runs later than that.
        await new Promise(r => setTimeout(r, 1100));
        const final = await ws.json(['copy', '--from', 'demo-primary', '--to', 's3', ...ALL, '--json']);
        assert.equal(final.result, 'success');
        assert.equal(final.pointsFailed, 0);
        const after = await bucketObjects(server, 'bh-demo');
        for (const [k, v] of packsOf(after)) seen.set(k, v);
        const puts = await packPuts(server, 'bh-demo/site-a');
        log.push(`pack uploads over all runs: ${puts}, packs in the bucket: ${packsOf(after).size}`);
        // Only packs in flight when a run was killed (at most 16 each) were sent again.
        assert.ok(
          puts <= packsOf(after).size + killAfterPacks.length * 16,
          `${puts} pack uploads for ${packsOf(after).size} packs`,
        );
        log.push(
          `final run: ${final.pointsCopied} points, transferred ${mib(final.transferredBytes)}; ${mib(sum(seen))} of packs arrived over all runs for ${mib(planned)} planned`,
        );
        t.diagnostic(log.join('\n'));
        assert.ok(
          ![...after.keys()].some(k => /^site-a\/locks\/(writer|[0-9a-f]{16})$/.test(k)),
          'the writer lock is released',
        );
        // What arrived before was adopted, not sent again: the final run sent about the rest, and all runs together about one copy.
        assert.ok(
          final.transferredBytes <= planned - arrived * 0.9,
          `the resumed run sent ${final.transferredBytes} bytes though ${arrived} had arrived`,
        );
        assert.ok(
          sum(seen) <= planned * 1.02 + 2 * MiB,
          `${sum(seen)} bytes of packs written across runs for a ${planned}-byte copy`,
        );
        assert.ok(sum(packsOf(after)) >= planned, 'the bucket holds the whole copy');
      });

      test('verify passes, a re-run transfers 0 bytes, list shows the copies', async () => {
        const report = await ws.json(['verify', '--repo', 's3', '--json']);
        assert.equal(report.ok, true);
        assert.equal(
          report.points,
          listed.reduce((s, b) => s + b.points, 0),
        );
        const again = await ws.json(['copy', '--from', 'demo-primary', '--to', 's3', ...ALL, '--json']);
        assert.equal(again.transferredBytes, 0);
        assert.equal(again.pointsCopied, 0);
        const copies: Listed[] = await ws.json(['list', '--repo', 's3', '--json']);
        assert.deepEqual(
          copies.map(b => [b.id, b.machine, b.points]).sort(),
          listed.map(b => [b.id, b.machine, b.points]).sort(),
        );
        const cluster = copies.find(b => b.kind === 'cluster')!;
        assert.deepEqual(
          cluster.nodes.map(n => n.name),
          byMachine(cluster.machine).nodes.map(n => n.name),
        );
      });

      test('restores from S3 equal restores from demo-primary: a workstation and every cluster node', async () => {
        const workstation = listed.find(b => b.kind === 'workstation')!;
        const cluster = listed.find(b => b.kind === 'cluster')!;
        const dir = join(ws.dir, 'restore');
        const files = await assertSameRestore(ws, 'demo-primary', 's3', {backup: workstation.id, point: 'latest'}, dir);
        assert.ok(files.size > 10);
        for (const node of cluster.nodes) {
          await assertSameRestore(
            ws,
            'demo-primary',
            's3',
            {backup: cluster.id, point: 'latest', node: node.name},
            dir,
          );
        }
      });

      test('S3 as a source: copy to a fresh directory repository, verify, restore identically', async () => {
        check(await ws.run(['repo', 'add', 'local', join(ws.dir, 'local-copy')]), 'repo add local');
        const picked = [listed.find(b => b.kind === 'workstation')!, listed.find(b => b.kind === 'cluster')!];
        const ids = picked.map(b => b.id);
        const plan = await ws.json(['copy', '--from', 's3', '--to', 'local', ...ids, ...ALL, '--dry-run', '--json']);
        const copied = await ws.json(['copy', '--from', 's3', '--to', 'local', ...ids, ...ALL, '--json']);
        assert.equal(copied.result, 'success');
        assert.ok(plan.transferBytes > 0);
        assert.equal(copied.transferredBytes, plan.transferBytes);
        const report = await ws.json(['verify', '--repo', 'local', '--json']);
        assert.equal(report.ok, true);
        assert.equal(
          report.points,
          picked.reduce((s, b) => s + b.points, 0),
        );
        const copies: Listed[] = await ws.json(['list', '--repo', 'local', '--json']);
        assert.deepEqual(copies.map(b => [b.id, b.points]).sort(), picked.map(b => [b.id, b.points]).sort());
        await assertSameRestore(
          ws,
          'demo-primary',
          'local',
          {backup: picked[0]!.id, point: 'latest'},
          join(ws.dir, 'restore'),
        );
      });
    });

    describe('the cluster alone on a fresh bucket', () => {
      const location = 's3://bh-cluster/sql';

      test('a second writer is detected by its lock object; a lock not refreshed for over 120 s is broken', async () => {
        check(await ws.run(['repo', 'add', 's3-cluster', location, '--endpoint', server.endpoint]), 'repo add');
        await foreignLock(server, location, 5_000);
        const locked = await ws.run([
          'copy',
          '--from',
          'demo-primary',
          '--to',
          's3-cluster',
          '--machine',
          'sql-cluster',
          ...ALL,
        ]);
        assert.equal(locked.code, 11, locked.stderr);
        assert.match(locked.stderr, /ops@backup-02\.example/);
        const objects = await bucketObjects(server, 'bh-cluster');
        assert.deepEqual(
          [...objects.keys()].sort(),
          ['sql/config', 'sql/locks/writer'],
          'nothing written, the live lock kept',
        );
        await foreignLock(server, location, 10 * 60_000);
      });

      test('each shared disk is stored once: the bucket holds about the unique data, not N x the shared disks', async t => {
        const plan = await ws.json([
          'copy',
          '--from',
          'demo-primary',
          '--to',
          's3-cluster',
          '--machine',
          'sql-cluster',
          ...ALL,
          '--dry-run',
          '--json',
        ]);
        const copied = await ws.json([
          'copy',
          '--from',
          'demo-primary',
          '--to',
          's3-cluster',
          '--machine',
          'sql-cluster',
          ...ALL,
          '--json',
        ]);
        assert.equal(copied.result, 'success');
        const objects = await bucketObjects(server, 'bh-cluster');
        assert.ok(
          ![...objects.keys()].some(k => /^sql\/locks\/(writer|[0-9a-f]{16})$/.test(k)),
          'the stale lock was broken, ours released',
        );
        const stored = sum(objects);
        const disks = plan.backups[0].points.flatMap((p: any) => p.disks);
        const nodes = plan.backups[0].nodes.length;
        const shared = disks.filter((d: any) => d.shared).reduce((s: number, d: any) => s + d.transferBytes, 0);
        const naive = plan.transferBytes + (nodes - 1) * shared; // every node storing its own copy of the shared disks
        t.diagnostic(
          `bucket ${mib(stored)} in ${objects.size} objects; unique data ${mib(plan.transferBytes)}; shared disks ${mib(shared)} x ${nodes} nodes would be ${mib(naive)}; logical ${mib(plan.logicalBytes)}`,
        );
        assert.equal(nodes, 3);
        assert.equal(copied.transferredBytes, plan.transferBytes);
        assert.ok(
          Math.abs(stored - plan.transferBytes) <= plan.transferBytes * 0.1,
          `bucket ${stored} vs unique ${plan.transferBytes}`,
        );
        assert.ok(shared > plan.transferBytes / 2, 'the shared disks are most of the data');
        assert.ok(stored < naive * 0.6, `bucket ${stored} vs ${naive} with the shared disks once per node`);
        assert.ok(stored < plan.logicalBytes / 10);
        const report = await ws.json(['verify', '--repo', 's3-cluster', '--json']);
        assert.equal(report.ok, true);
      });
    });

    test('the server checks each pack against its name (the SHA-256 sent as the payload hash)', async () => {
      const s3 = new S3Storage('s3://bh-named/p', {endpoint: server.endpoint});
      try {
        await s3.ensureBucket();
        const body = Buffer.from('pack bytes');
        const id = createHash('sha256').update(body).digest('hex');
        await s3.put(`data/${id.slice(0, 2)}/${id}`, body);
        assert.deepEqual(await s3.get(`data/${id.slice(0, 2)}/${id}`), body);
        const other = createHash('sha256').update('other bytes').digest('hex');
        await assert.rejects(s3.put(`data/${other.slice(0, 2)}/${other}`, body), /XAmzContentSHA256Mismatch/);
        assert.equal(await s3.stat(`data/${other.slice(0, 2)}/${other}`), undefined);
        assert.equal(s3.stats.retries, 0, 'a mismatch is not retried');
      } finally {
        await s3.close();
      }
    });

    test('a copy through a network failing ~15% of requests (500, 503, resets) completes and verifies', async t => {
      const proxy = await startFaultProxy({target: server.endpoint, failureRate: 0.15, seed: 6});
      try {
        const location = 's3://bh-faults/r';
        check(
          await ws.run(['repo', 'add', 's3-faulty', location, '--endpoint', proxy.endpoint]),
          'repo add through the proxy',
        );
        const machines = ['alice-laptop', 'web01', 'db01'].map(byMachine);
        const ids = machines.map(b => b.id);
        const copied = await ws.json(['copy', '--from', 'demo-primary', '--to', 's3-faulty', ...ids, ...ALL, '--json']);
        assert.equal(copied.result, 'success');
        assert.equal(
          copied.pointsCopied,
          machines.reduce((n, b) => n + b.points, 0),
        );
        assert.ok(copied.retries > 0, 'the --json summary counts the retries');
        const report = await ws.json(['verify', '--repo', 's3-faulty', '--json']);
        assert.equal(report.ok, true);
        t.diagnostic(`fault proxy: ${JSON.stringify(proxy.counts)}`);
        for (const kind of ['error500', 'error503', 'resetBefore', 'resetAfter'] as const)
          assert.ok(proxy.counts[kind] > 0, `${kind} was injected`);
        // The same bucket, straight to RGW: everything arrived once.
        check(await ws.run(['repo', 'add', 's3-direct', location, '--endpoint', server.endpoint]), 'repo add direct');
        assert.equal(
          (await ws.json(['copy', '--from', 'demo-primary', '--to', 's3-direct', ...ids, ...ALL, '--json']))
            .transferredBytes,
          0,
        );
      } finally {
        await proxy.close();
      }
    });
  });
