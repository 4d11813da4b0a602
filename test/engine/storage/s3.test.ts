/**
 * The storage contract on S3Storage against a real Ceph RGW (started by
 * test/helpers/rgw.ts, no mocks), plus what only S3 has: multipart uploads,
 * pagination, error mapping, and retries through a proxy that fails ~20% of
 * requests on purpose.
 */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {createServer} from 'node:net';
import {after, before, describe, it} from 'node:test';
import {ListMultipartUploadsCommand} from '@aws-sdk/client-s3';
import {BackhaulError} from '../../../source/engine/errors.js';
import {parseS3Location, S3Storage, type S3StorageOptions} from '../../../source/engine/storage/s3.js';
import {startFaultProxy} from '../../helpers/fault-proxy.js';
import {rgwForThisFile, rgwSkipReason, type RgwServer} from '../../helpers/rgw.js';
import {roundTripChecks, runStorageContract} from './storage-contract.js';

const BUCKET = 'backhaul-test';
const skip = rgwSkipReason();
const rgw = rgwForThisFile();
let server: RgwServer;
let n = 0;

const isCode = (code: string) => (e: unknown) => e instanceof BackhaulError && e.code === code;
const open = (options: S3StorageOptions = {}, bucket = BUCKET) =>
  new S3Storage(`s3://${bucket}/run-${process.pid}-${n++}`, {
    endpoint: server.endpoint,
    region: server.region,
    ...options,
  });

describe('parseS3Location', () => {
  it('splits bucket and prefix, and refuses what is not one', () => {
    assert.deepEqual(parseS3Location('s3://bucket'), {bucket: 'bucket', prefix: ''});
    assert.deepEqual(parseS3Location('s3://my.bucket/a/b/'), {bucket: 'my.bucket', prefix: 'a/b'});
    for (const bad of ['bucket/x', 's3://', 's3://UPPER/x', 's3://b/x/../y', 's3://b/a//b', 'http://b/x']) {
      assert.throws(() => parseS3Location(bad), isCode('usage'), bad);
    }
  });
});

if (skip) {
  it('S3 storage against a real Ceph RGW', {skip}, () => {});
} else
  describe('on a real Ceph RGW', () => {
    before(async () => {
      server = await rgw.get();
      // The SDK's default credential chain is the only way in; we never pass keys.
      process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
      const storage = open();
      assert.equal(await storage.ensureBucket(), 'created');
      assert.equal(await storage.ensureBucket(), 'exists');
      await storage.close();
    });
    after(() => rgw.stop());

    it('starts a throwaway Ceph RGW', t => {
      t.diagnostic(
        `RGW started in ${server.startMs} ms at ${server.endpoint} (steps: ${JSON.stringify(server.phasesMs)})`,
      );
      assert.match(server.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
    });

    runStorageContract('S3 on Ceph RGW', async () => open());

    describe('S3Storage on Ceph RGW', () => {
      it('uploads large objects in parts and paginates listings', async () => {
        const s = open();
        const large = randomBytes(20 * 1024 * 1024 + 5);
        await s.put('big', large);
        assert.equal(s.stats.requests.CreateMultipartUpload, 1);
        assert.equal(s.stats.requests.UploadPart, 3);
        assert.equal(s.stats.requests.PutObject, 0);
        assert.ok((await s.getRange('big', 20 * 1024 * 1024 - 3, 8)).equals(large.subarray(-8)));
        const keys = Array.from({length: 1001}, (_, i) => `index/${i}`);
        for (let i = 0; i < keys.length; i += 50)
          await Promise.all(keys.slice(i, i + 50).map(k => s.put(k, Buffer.from(k))));
        let listed = 0;
        for await (const _ of s.list('index/')) listed++;
        assert.equal(listed, 1001);
        assert.equal(s.stats.requests.ListObjectsV2, 2);
        await s.close();
      });

      it('aborts a cancelled multipart upload and leaves nothing behind', async () => {
        const s = open({partSize: 5 * 1024 * 1024, concurrency: 1});
        const controller = new AbortController();
        const putting = s.put('cancelled', randomBytes(40 * 1024 * 1024), controller.signal);
        // Cancel once parts are on their way, so there is an upload to abort.
        const poll = setInterval(() => s.stats.requests.UploadPart >= 2 && controller.abort(), 1);
        putting.finally(() => clearInterval(poll)).catch(() => {});
        await assert.rejects(putting, isCode('cancelled'));
        assert.equal(await s.stat('cancelled'), undefined);
        assert.equal(s.stats.requests.AbortMultipartUpload, 1);
        const uploads = await s.client.send(new ListMultipartUploadsCommand({Bucket: BUCKET, Prefix: s.prefix}));
        assert.deepEqual(uploads.Uploads ?? [], []);
        await s.close();
      });

      it('maps failures to errors a user can act on', async () => {
        const ok = open();
        await ok.put('k', Buffer.from('v'));
        await assert.rejects(open({}, 'no-such-bucket-here').get('k'), isCode('no-repository'));
        const secret = process.env.AWS_SECRET_ACCESS_KEY;
        process.env.AWS_SECRET_ACCESS_KEY = 'wrong-' + secret;
        try {
          const bad = new S3Storage(ok.location, {endpoint: server.endpoint});
          await assert.rejects(
            bad.get('k'),
            e => isCode('denied')(e) && /SignatureDoesNotMatch/.test((e as Error).message),
          );
          await bad.close();
        } finally {
          process.env.AWS_SECRET_ACCESS_KEY = secret;
        }
        const port = await closedPort();
        const down = new S3Storage(`s3://${BUCKET}`, {
          endpoint: `http://127.0.0.1:${port}`,
          retry: {attempts: 3, baseMs: 1, capMs: 5},
        });
        await assert.rejects(
          down.get('k'),
          e => isCode('storage')(e) && (e as BackhaulError).hint.includes(`127.0.0.1:${port}`),
        );
        assert.equal(down.stats.requests.GetObject, 3);
        await down.close();
        await ok.close();
      });

      it('survives a network that fails ~20% of requests, thanks to retries', async t => {
        const proxy = await startFaultProxy({target: server.endpoint, failureRate: 0.2, seed: 42});
        const s = open({endpoint: proxy.endpoint, retry: {attempts: 12, baseMs: 5, capMs: 100}});
        try {
          await roundTripChecks(s);
          const keys = Array.from({length: 300}, (_, i) => `data/${String(i % 10).padStart(2, '0')}/p${i}`);
          for (let i = 0; i < keys.length; i += 16)
            await Promise.all(keys.slice(i, i + 16).map(k => s.put(k, Buffer.from(k))));
          const listed = new Set<string>();
          for await (const info of s.list('data/')) listed.add(info.key);
          for (const k of keys) assert.ok(listed.has(k), k);
          for (const k of keys.slice(0, 50)) assert.equal((await s.get(k)).toString(), k);
          const large = randomBytes(24 * 1024 * 1024);
          await s.put('large', large);
          assert.ok((await s.get('large')).equals(large));
          t.diagnostic(`fault proxy: ${JSON.stringify(proxy.counts)}; client retries ${s.stats.retries}`);
          for (const kind of ['error500', 'error503', 'resetBefore', 'resetAfter'] as const)
            assert.ok(proxy.counts[kind] > 0, kind);
          assert.ok(s.stats.retries >= proxy.counts.error500 + proxy.counts.error503);
        } finally {
          await s.close();
          await proxy.close();
        }
      });

      it('putIfAbsent whose reply was lost still reports that it created the object', async () => {
        const proxy = await startFaultProxy({
          target: server.endpoint,
          failureRate: 1,
          faults: ['resetAfter'],
          maxConsecutive: 1,
          seed: 7,
        });
        const s = open({endpoint: proxy.endpoint, retry: {attempts: 6, baseMs: 1, capMs: 5}});
        try {
          assert.equal(await s.putIfAbsent('locks/mine', Buffer.from(randomBytes(16).toString('hex'))), true);
          assert.ok(proxy.counts.resetAfter >= 1);
          assert.equal(await s.putIfAbsent('locks/mine', Buffer.from('someone else')), false);
        } finally {
          await s.close();
          await proxy.close();
        }
      });
    });
  });

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>(r => probe.listen(0, '127.0.0.1', r));
  const {port} = probe.address() as {port: number};
  await new Promise(r => probe.close(r));
  return port;
}
