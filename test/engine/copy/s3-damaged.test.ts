// A damaged chunk in a directory source, copied to S3 on a real Ceph RGW. Its
// pack goes up whole with its id as the signed payload hash, without a hash
// pass of ours: RGW must refuse it, and the copy then checks that pack's
// chunks one by one. Only the point that needs the damaged chunk fails (exit
// 3, named); every other point is copied; the pack is not stored under its
// name; the bucket verifies. Once the source is repaired, a re-run copies that
// point alone.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import type {ChunkId} from '../../../source/engine/ids.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {packKey} from '../../../source/engine/repository/pack.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {pointChunks} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {S3Storage} from '../../../source/engine/storage/s3.js';
import {flipChunkByte} from '../../helpers/damage.js';
import {demoWorkspace, type Workspace} from '../../helpers/demo-cache.js';
import {rgwForThisFile, rgwSkipReason, type RgwServer} from '../../helpers/rgw.js';

const skip = rgwSkipReason();
const rgw = rgwForThisFile();
const LOCATION = 's3://bh-damaged/site-a';

if (skip) {
  test('a damaged source chunk copied to S3', {skip}, () => {});
} else
  describe('a damaged source chunk copied to S3', () => {
    let server: RgwServer;
    let ws: Workspace;
    let total = 0;
    let victim: PointManifest;
    let damagedPack: string;
    let unflip: () => Promise<void>;
    const copy = ['copy', '--from', 'demo-primary', '--to', 's3-damaged', '--points', 'all', '--json'];

    before(async () => {
      [ws, server] = await Promise.all([demoWorkspace('s3-damaged'), rgw.get()]);
      for (const env of [ws.env, process.env])
        Object.assign(env, {AWS_ACCESS_KEY_ID: server.accessKeyId, AWS_SECRET_ACCESS_KEY: server.secretAccessKey});
      const primary = await Repository.open(new FilesystemStorage(ws.primary));
      const uses = new Map<string, number>();
      const alice: {point: PointManifest; chunks: Set<string>}[] = [];
      for (const b of await primary.listBackups()) {
        for (const point of await primary.listPoints(b.id)) {
          const chunks = await pointChunks(primary, point);
          total++;
          for (const id of chunks) uses.set(id, (uses.get(id) ?? 0) + 1);
          if (b.machine === 'alice-laptop') alice.push({point, chunks});
        }
      }
      // The newest point of a workstation; a file chunk (not a tree chunk) no other point references.
      const newest = alice.at(-1)!;
      const trees = new Set<string>(newest.point.nodes.flatMap(n => n.disks.flatMap(d => d.tree ?? [])));
      const unique = [...newest.chunks].find(id => uses.get(id) === 1 && !trees.has(id));
      assert.ok(unique, 'the newest point of alice-laptop has a chunk of its own');
      victim = newest.point;
      damagedPack = primary.index.get(unique as ChunkId)!.pack;
      unflip = await flipChunkByte(ws.primary, primary, unique);
      const added = await ws.run(['repo', 'add', 's3-damaged', LOCATION, '--endpoint', server.endpoint]);
      assert.equal(added.code, 0, added.stderr);
    });
    after(async () => {
      await rgw.stop();
      await ws?.cleanup();
    });

    test('only the point needing it fails; the pack is refused, not stored; the bucket verifies', async () => {
      const r = await ws.run(copy);
      assert.equal(r.code, 3, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.pointsFailed, 1);
      assert.equal(summary.pointsCopied, total - 1);
      assert.deepEqual(
        summary.failed.map((f: {pointId: string}) => f.pointId),
        [victim.id],
      );
      const s3 = new S3Storage(LOCATION, {endpoint: server.endpoint});
      try {
        assert.equal(await s3.stat(packKey(damagedPack)), undefined, 'no object under the damaged pack’s name');
        const packs: string[] = [];
        for await (const info of s3.list('data/')) packs.push(info.key);
        assert.ok(packs.length > 0, 'the sound chunks of that pack and the other packs were stored');
      } finally {
        await s3.close();
      }
      await new Promise(resolve => setTimeout(resolve, 1000)); // RGW writes its access log asynchronously
      const log = await readFile(join(server.dir, 'log', 'client.rgw.a.log'), 'utf8');
      const refused = log
        .split('\n')
        .filter(l => l.includes('beast: ') && l.includes(`"PUT /bh-damaged/site-a/${packKey(damagedPack)}`));
      assert.ok(
        refused.length > 0 && refused.every(l => /HTTP\/1\.1" 400 /.test(l)),
        `the pack went up whole and RGW refused it:\n${refused.join('\n')}`,
      );
      const report = await ws.json(['verify', '--repo', 's3-damaged', '--json']);
      assert.equal(report.ok, true, JSON.stringify(report).slice(0, 2000));
    });

    test('once the source is repaired, a re-run copies that point alone', async () => {
      await unflip();
      const r = await ws.run(copy);
      assert.equal(r.code, 0, r.stderr);
      const summary = JSON.parse(r.stdout);
      assert.equal(summary.pointsCopied, 1);
      assert.equal(summary.pointsFailed, 0);
      const report = await ws.json(['verify', '--repo', 's3-damaged', '--json']);
      assert.equal(report.ok, true);
    });
  });
