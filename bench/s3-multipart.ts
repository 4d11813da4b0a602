/**
 * Multipart uploads, both ways in the same run, against a loopback Ceph RGW
 * (started here, test/helpers/rgw.ts): Backhaul's own (S3Storage.put of an
 * object over the multipart threshold: source/engine/storage/s3-multipart.ts,
 * a Content-MD5 per part, every request through the bounded retry loop)
 * against @aws-sdk/lib-storage's `Upload` on the same client, with the same
 * part size and parts in flight, bare and with a Content-MD5 per part added
 * by a client middleware (the integrity check Backhaul's parts carry).
 * Objects rotate between the ways, so load hits all alike; each is deleted
 * after its upload (RGW's store is RAM).
 *
 * Then larger objects through a proxy that fails 10 % of requests (a 503, or
 * a reset after the server did the work: the reply is lost), same seed for
 * both (test/helpers/fault-proxy.ts): what each way does with a failed
 * request — how many objects arrive, and whether a failed upload is left
 * open (stored, invisible, billed).
 *
 * Usage: node --import tsx bench/s3-multipart.ts [--object-mib 64] [--objects 8] [--faulty-mib 256] [--faulty-objects 4]
 */
import {createCipheriv, createHash} from 'node:crypto';
import type {S3Client} from '@aws-sdk/client-s3';
import {loadavg} from 'node:os';
import {parseArgs} from 'node:util';
import {Upload} from '@aws-sdk/lib-storage';
import {S3Storage} from '../source/engine/storage/s3.js';
import {startFaultProxy} from '../test/helpers/fault-proxy.js';
import {startRgw} from '../test/helpers/rgw.js';

const {values} = parseArgs({
  options: {
    'object-mib': {type: 'string', default: '64'},
    objects: {type: 'string', default: '8'},
    'faulty-mib': {type: 'string', default: '256'},
    'faulty-objects': {type: 'string', default: '4'},
  },
});
const MiB = 1 << 20;
const SIZE = Number(values['object-mib']) * MiB;
const OBJECTS = Math.max(1, Number(values.objects));

const FAULTY_SIZE = Number(values['faulty-mib']) * MiB;
const FAULTY_OBJECTS = Math.max(1, Number(values['faulty-objects']));
const bytes = (size: number) =>
  createCipheriv(
    'aes-256-ctr',
    createHash('sha256').update('backhaul-bench-multipart').digest(),
    Buffer.alloc(16),
  ).update(Buffer.alloc(size));
const data = bytes(SIZE);
const server = await startRgw({memstoreBytes: 6 * 1024 ** 3});
process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
const storage = new S3Storage('s3://bench-multipart/run', {endpoint: server.endpoint, region: server.region});
const seconds: Record<string, number[]> = {};
const NAMES = [
  'Backhaul (s3-multipart.ts)',
  '@aws-sdk/lib-storage Upload',
  'lib-storage + Content-MD5 middleware',
] as const;

/** Adds a Content-MD5 to every part `client` uploads (before s3.ts's own middleware, which then sends the body unsigned). */
function md5Parts(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async args => {
      const headers = (args.request as {headers?: Record<string, string>}).headers;
      const body = (args.input as {Body?: Uint8Array}).Body;
      if (context.commandName === 'UploadPartCommand' && headers && body)
        headers['content-md5'] = createHash('md5').update(body).digest('base64');
      return next(args);
    },
    {step: 'build', priority: 'high', name: 'benchPartMd5'},
  );
}

/** Every way of uploading `body` to `key` through `s`'s client (`withMd5`: a client with md5Parts). */
function waysFor(s: S3Storage, withMd5: S3Storage, body: Buffer): Record<string, (key: string) => Promise<void>> {
  const upload = (via: S3Storage) => async (key: string) => {
    const u = new Upload({
      client: via.client,
      partSize: via.partSize,
      queueSize: Math.min(via.preferredConcurrency, 8),
      params: {Bucket: via.bucket, Key: via.objectKey(key), Body: body},
    });
    await u.done();
  };
  return {[NAMES[0]]: key => s.put(key, body), [NAMES[1]]: upload(s), [NAMES[2]]: upload(withMd5)};
}

const faults: string[] = [];
try {
  await storage.ensureBucket();
  const withMd5 = new S3Storage('s3://bench-multipart/run', {endpoint: server.endpoint, region: server.region});
  md5Parts(withMd5.client);
  const ways = Object.entries(waysFor(storage, withMd5, data));
  for (let i = 0; i < OBJECTS; i++) {
    for (const [name, upload] of [...ways.slice(i % ways.length), ...ways.slice(0, i % ways.length)]) {
      const key = `bench/object-${i}`;
      const started = performance.now();
      await upload(key);
      (seconds[name] ??= []).push((performance.now() - started) / 1000);
      const stat = await storage.stat(key);
      if (stat?.size !== SIZE) throw new Error(`${name} left ${stat?.size} bytes at ${key}, not ${SIZE}`);
      await storage.delete(key);
    }
  }
  await withMd5.close();
  const faultyData = bytes(FAULTY_SIZE);
  for (const name of NAMES) {
    const proxy = await startFaultProxy({
      target: server.endpoint,
      failureRate: 0.1,
      faults: ['error503', 'resetAfter'],
      seed: 18,
      maxFaults: 1000,
      maxConsecutive: 3,
    });
    const faulty = new S3Storage('s3://bench-multipart/faulty', {endpoint: proxy.endpoint, region: server.region});
    const faultyMd5 = new S3Storage('s3://bench-multipart/faulty', {endpoint: proxy.endpoint, region: server.region});
    md5Parts(faultyMd5.client);
    let arrived = 0;
    try {
      for (let i = 0; i < FAULTY_OBJECTS; i++) {
        const key = `bench/faulty-${i}`;
        await waysFor(faulty, faultyMd5, faultyData)[name]!(key).then(
          () => arrived++,
          () => undefined,
        );
        await faulty.delete(key);
      }
      const direct = new S3Storage('s3://bench-multipart/faulty', {endpoint: server.endpoint, region: server.region}); // past the proxy
      const open = await direct.listOpenUploads();
      await direct.close();
      faults.push(
        `| ${name} | ${arrived} of ${FAULTY_OBJECTS} | ${faulty.stats.retries} | ${proxy.counts.error503 + proxy.counts.resetAfter} | ${open.length} |`,
      );
    } finally {
      await faulty.close();
      await faultyMd5.close();
      await proxy.close();
    }
  }
} finally {
  await storage.close();
  await server.stop();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `\n## Multipart upload of ${OBJECTS} × ${SIZE / MiB} MiB each way to a loopback Ceph RGW (part ${storage.partSize / MiB} MiB, load average ${loadavg()[0]!.toFixed(1)})\n`,
);
console.log('| uploader | median per object | MiB/s | each |');
console.log('| --- | ---: | ---: | --- |');
for (const [name, xs] of Object.entries(seconds)) {
  console.log(
    `| ${name} | ${median(xs).toFixed(2)} s | ${(SIZE / MiB / median(xs)).toFixed(0)} | ${xs.map(s => s.toFixed(2)).join(', ')} |`,
  );
}
const [ours, sdk, sdkMd5] = NAMES.map(name => median(seconds[name]!));
console.log(
  `\nratio to Backhaul's: lib-storage ${(sdk! / ours!).toFixed(2)}×, lib-storage with Content-MD5 ${(sdkMd5! / ours!).toFixed(2)}× (above 1: Backhaul's is faster)`,
);
console.log(
  `\n## ${FAULTY_OBJECTS} × ${FAULTY_SIZE / MiB} MiB each way when 10 % of requests fail (503, or the reply lost)\n`,
);
console.log('| uploader | objects stored | retries (ours) | faults injected | uploads left open |');
console.log('| --- | ---: | ---: | ---: | --- |');
for (const line of faults) console.log(line);
