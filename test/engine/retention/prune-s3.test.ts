/**
 * Retention on object storage (a real Ceph RGW): batched deletes
 * (DeleteObjects, 1000 keys a request), and prune killed -9 at random
 * moments of its work, after which the repository opens, verifies and reads
 * every kept point back each time; a last run finishes the work.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import type {BackupId} from '../../../source/engine/ids.js';
import {forget} from '../../../source/engine/retention/forget.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {S3Storage} from '../../../source/engine/storage/s3.js';
import {mapLimit} from '../../../source/engine/util/concurrency.js';
import {collect, ensureBuilt, runCli, seeded, startCli} from '../../helpers/cli.js';
import {rgwForThisFile, rgwSkipReason, type RgwServer} from '../../helpers/rgw.js';
import {changingBackups, pointState} from '../../helpers/retention.js';

const BUCKET = 'backhaul-retention';
const skip = rgwSkipReason();
const rgw = rgwForThisFile();
let server: RgwServer;
let work: string;
let n = 0;
const url = () => `s3://${BUCKET}/run-${process.pid}-${n++}`;
const open = (location: string) => new S3Storage(location, {endpoint: server.endpoint, region: server.region});

async function keysOf(storage: S3Storage, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const info of storage.list(prefix)) keys.push(info.key);
  return keys.sort();
}

if (skip) {
  it('retention against a real Ceph RGW', {skip}, () => {});
} else
  describe('retention on a real Ceph RGW', () => {
    let made: string;
    let states: Map<string, string>;
    let backup: BackupId;
    let kept: string[];
    before(async () => {
      server = await rgw.get();
      process.env.AWS_ACCESS_KEY_ID = server.accessKeyId;
      process.env.AWS_SECRET_ACCESS_KEY = server.secretAccessKey;
      await open(`s3://${BUCKET}`).ensureBucket();
      work = await fs.mkdtemp(join(tmpdir(), 'backhaul-prune-s3-'));
      made = join(work, 'made');
      const repo = await Repository.create(new FilesystemStorage(made));
      states = await changingBackups(repo, join(work, 'src'), {runs: 8, start: '2026-02-01T00:00:00Z', hours: 24});
      await forget(repo, {keepLast: 3});
      backup = (await repo.listBackups())[0]!.id;
      kept = (await repo.listPoints(backup)).map(p => p.id);
    });
    after(async () => {
      await rgw.stop();
      await fs.rm(work, {recursive: true, force: true});
    });

    /** The directory repository `made`, uploaded key by key under a fresh prefix. */
    async function uploaded(): Promise<string> {
      const location = url();
      const storage = open(location);
      const keys = (await fs.readdir(made, {recursive: true, withFileTypes: true}))
        .filter(e => e.isFile())
        .map(e => join(e.parentPath, e.name).slice(made.length + 1));
      await mapLimit(keys, 8, async key => storage.put(key, await fs.readFile(join(made, key))));
      await storage.close();
      return location;
    }

    it('deleteMany removes 1100 keys in two DeleteObjects requests; missing keys are fine', async () => {
      const storage = open(url());
      const keys = Array.from({length: 1100}, (_, i) => `junk/k${i}`);
      await mapLimit(keys, 16, key => storage.put(key, Buffer.from(key)));
      await storage.put('keep/me', Buffer.from('x'));
      const before = storage.stats.requests.DeleteObjects;
      await storage.deleteMany([...keys, 'junk/never-there']);
      assert.equal(storage.stats.requests.DeleteObjects - before, 2);
      assert.deepEqual(await keysOf(storage), ['keep/me']);
      await storage.close();
    });

    it('prune killed -9 at 20 random moments: opens, verifies, every kept point identical each time; a last run finishes', async t => {
      ensureBuilt();
      const home = join(work, 'home');
      const register = (name: string, location: string) =>
        runCli(home, ['repo', 'add', name, location, '--endpoint', server.endpoint, '--region', server.region]);
      const random = seeded(17);
      const outcomes: string[] = [];
      // How long a whole prune takes here (from its lock): the kills are spread over that span, so they
      // land in the index writes and the deletes too, not only in the reads before them.
      const spans: number[] = [];
      for (const threshold of ['1', '20']) {
        const location = await uploaded();
        assert.equal((await register(`whole-${threshold}`, location)).code, 0);
        const storage = open(location);
        const child = startCli(home, ['prune', '--repo', `whole-${threshold}`, '--repack-threshold', threshold]);
        const ended = collect(child);
        let exited = false;
        void ended.then(() => (exited = true));
        while (!exited && (await keysOf(storage, 'locks/')).length === 0) await new Promise(r => setTimeout(r, 5));
        const locked = Date.now();
        assert.equal((await ended).code, 0);
        spans.push(Date.now() - locked);
        await storage.close();
      }
      let last = '';
      for (let i = 0; i < 20; i++) {
        const location = await uploaded();
        const name = (last = `r${i}`);
        assert.equal((await register(name, location)).code, 0);
        const storage = open(location);
        const packsBefore = (await keysOf(storage, 'data/')).length;
        const child = startCli(home, ['prune', '--repo', name, '--repack-threshold', i % 2 === 0 ? '1' : '20']);
        const ended = collect(child);
        let exited = false;
        void ended.then(() => (exited = true));
        while (!exited && (await keysOf(storage, 'locks/')).length === 0) await new Promise(r => setTimeout(r, 5));
        await new Promise(r => setTimeout(r, random() * spans[i % 2]!));
        child.kill('SIGKILL');
        const r = await ended;
        const repo = await Repository.open(storage);
        const report = await verifyRepository(repo);
        assert.ok(report.ok, `run ${i}: verifies`);
        for (const id of kept) assert.equal(await pointState(repo, backup, id), states.get(id), `run ${i}: ${id}`);
        outcomes.push(
          `${r.signal === 'SIGKILL' ? 'killed' : `exit ${r.code}`} (${packsBefore} → ${(await keysOf(storage, 'data/')).length} packs)`,
        );
        await storage.close();
      }
      t.diagnostic(`whole prunes took ${spans.join(' and ')} ms from their lock; runs: ${outcomes.join(', ')}`);
      const done = await runCli(home, ['prune', '--repo', last, '--json']);
      assert.equal(done.code, 0, done.stderr);
      const result = JSON.parse(done.stdout) as {bytesAfter: number; bytesBefore: number};
      assert.ok(result.bytesAfter <= result.bytesBefore);
      const v = await runCli(home, ['verify', '--repo', last]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
    });
  });
