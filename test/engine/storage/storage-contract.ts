/**
 * The storage contract as one test suite, run against every backend
 * (filesystem.test.ts, s3.test.ts): each guarantee written in
 * source/engine/storage/storage.ts has a test here. `makeStorage` must return
 * a fresh, empty storage each time.
 */
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {describe, it} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {Storage} from '../../../source/engine/storage/storage.js';

export interface ContractOptions {
  /** Keys to put for the pagination test; S3 pages hold 1000. */
  manyKeys?: number;
  /** Size of the large-object round trip (S3 goes multipart above 16 MiB). */
  largeBytes?: number;
}

async function collect(storage: Storage, prefix: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for await (const info of storage.list(prefix)) {
    assert.ok(!found.has(info.key), `list yielded ${info.key} twice`);
    found.set(info.key, info.size);
  }
  return found;
}

async function inParallel<T>(items: T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({length: limit}, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const isCode = (code: string) => (e: unknown) => e instanceof BackhaulError && e.code === code;

/** The core guarantees; also what the fault-injection test replays through a misbehaving network. */
export async function roundTripChecks(storage: Storage): Promise<void> {
  const data = randomBytes(100_000);
  await storage.put('data/ab/pack-1', data);
  assert.deepEqual(await storage.get('data/ab/pack-1'), data);
  assert.deepEqual(await storage.getRange('data/ab/pack-1', 99_000, 1000), data.subarray(99_000));
  assert.equal((await storage.stat('data/ab/pack-1'))?.size, data.length);
  await storage.put('index/one', Buffer.from('1'));
  assert.deepEqual(
    await collect(storage, ''),
    new Map([
      ['data/ab/pack-1', data.length],
      ['index/one', 1],
    ]),
  );
  assert.equal(await storage.putIfAbsent('locks/x', Buffer.from(randomBytes(16).toString('hex'))), true);
  assert.equal(await storage.putIfAbsent('locks/x', Buffer.from('other')), false);
  await storage.delete('index/one');
  assert.equal(await storage.stat('index/one'), undefined);
}

export function runStorageContract(
  name: string,
  makeStorage: () => Promise<Storage>,
  options: ContractOptions = {},
): void {
  const withStorage = (fn: (s: Storage) => Promise<void>) => async () => {
    const storage = await makeStorage();
    try {
      await fn(storage);
    } finally {
      await storage.close();
    }
  };

  describe(`storage contract: ${name}`, () => {
    it('round-trips put/get/getRange/stat/list/putIfAbsent/delete', withStorage(roundTripChecks));

    it(
      'round-trips empty and large objects',
      withStorage(async s => {
        await s.put('empty', new Uint8Array());
        assert.equal((await s.get('empty')).length, 0);
        assert.equal((await s.stat('empty'))?.size, 0);
        const large = randomBytes(options.largeBytes ?? 20 * 1024 * 1024);
        await s.put('large', large);
        assert.ok((await s.get('large')).equals(large));
        assert.equal((await s.stat('large'))?.size, large.length);
      }),
    );

    it(
      'overwrites atomically: a reader sees the old or the new object, whole',
      withStorage(async s => {
        const a = Buffer.alloc(512 * 1024, 'a');
        const b = Buffer.alloc(700 * 1024, 'b');
        await s.put('obj', a);
        let writing = true;
        const writer = (async () => {
          for (let i = 0; i < 6; i++) await s.put('obj', i % 2 ? a : b);
          writing = false;
        })();
        let reads = 0;
        while (writing || reads === 0) {
          const seen = await s.get('obj');
          assert.ok(seen.equals(a) || seen.equals(b), `read a mixed object of ${seen.length} bytes`);
          reads++;
        }
        await writer;
        assert.ok((await s.get('obj')).equals(a));
      }),
    );

    it(
      'reads ranges, including ones that end at the end',
      withStorage(async s => {
        const data = randomBytes(10_000);
        await s.put('r', data);
        assert.deepEqual(await s.getRange('r', 0, 1), data.subarray(0, 1));
        assert.deepEqual(await s.getRange('r', 1234, 5000), data.subarray(1234, 6234));
        assert.deepEqual(await s.getRange('r', 9_999, 1), data.subarray(9_999));
        assert.deepEqual(await s.getRange('r', 0, 10_000), data);
        assert.equal((await s.getRange('r', 500, 0)).length, 0);
        await assert.rejects(s.getRange('r', 9_990, 20), isCode('corrupt'));
      }),
    );

    it(
      'getMany, where a backend has it, gives what get gives, in order; a missing key is not-found',
      withStorage(async s => {
        if (!s.getMany) return; // optional: callers then get objects one by one
        const keys = Array.from({length: 300}, (_, i) => `many/${String(i).padStart(3, '0')}`);
        for (const [i, key] of keys.entries()) await s.put(key, Buffer.from(`object ${i} `.repeat(i % 7)));
        const shuffled = [...keys].reverse();
        const got = await s.getMany(shuffled);
        assert.equal(got.length, shuffled.length);
        for (const [i, key] of shuffled.entries()) assert.ok(got[i]!.equals(await s.get(key)), key);
        assert.deepEqual(await s.getMany([]), []);
        await assert.rejects(s.getMany([keys[0]!, 'many/none', keys[1]!]), isCode('not-found'));
      }),
    );

    it(
      'listDirectories, where a backend has it, names the directories directly under a prefix, sorted',
      withStorage(async s => {
        if (!s.listDirectories) return; // optional: callers then list every key under the prefix
        for (const key of [
          'backups/b2/backup.json',
          'backups/b2/points/p1.json',
          'backups/a1/points/p1.json',
          'backups/file',
          'backupsX/c3/x',
        ])
          await s.put(key, Buffer.from(key));
        assert.deepEqual(await s.listDirectories('backups/'), ['a1', 'b2']);
        assert.deepEqual(await s.listDirectories('backups/b2/'), ['points']);
        assert.deepEqual(await s.listDirectories('none/'), []);
      }),
    );

    it(
      'stat of a missing key is undefined; get of one is not-found',
      withStorage(async s => {
        assert.equal(await s.stat('nothing/here'), undefined);
        await assert.rejects(s.get('nothing/here'), isCode('not-found'));
        await assert.rejects(s.getRange('nothing/here', 0, 10), isCode('not-found'));
        await s.delete('nothing/here'); // deleting what is not there is fine
      }),
    );

    it(
      'stat reports size and a recent mtime',
      withStorage(async s => {
        await s.put('t', Buffer.from('12345'));
        const info = await s.stat('t');
        assert.equal(info?.key, 't');
        assert.equal(info?.size, 5);
        assert.ok(
          info?.mtimeMs !== undefined && Math.abs(info.mtimeMs - Date.now()) < 10 * 60_000,
          `mtime ${info?.mtimeMs}`,
        );
      }),
    );

    it(
      'putIfAbsent creates once and never overwrites',
      withStorage(async s => {
        assert.equal(await s.putIfAbsent('locks/a', Buffer.from('first')), true);
        assert.equal(await s.putIfAbsent('locks/a', Buffer.from('second')), false);
        assert.equal((await s.get('locks/a')).toString(), 'first');
        await s.put('plain', Buffer.from('x'));
        assert.equal(await s.putIfAbsent('plain', Buffer.from('y')), false);
      }),
    );

    it(
      'putIfAbsent races: exactly one of many concurrent writers wins, ephemeral (a lock) or not',
      withStorage(async s => {
        for (let round = 0; round < 6; round++) {
          const key = `locks/race-${round}`;
          const ephemeral = round % 2 === 1;
          const results = await Promise.all(
            Array.from({length: 8}, (_, i) => s.putIfAbsent(key, Buffer.from(`writer ${i}`), {ephemeral})),
          );
          assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${results}`);
          assert.equal((await s.get(key)).toString(), `writer ${results.indexOf(true)}`);
        }
      }),
    );

    it(
      'lists by prefix, across pages',
      withStorage(async s => {
        const count = options.manyKeys ?? 1100;
        const keys = Array.from({length: count}, (_, i) => `data/${(i % 7).toString(16).padStart(2, '0')}/k${i}`);
        await inParallel(keys, s.preferredConcurrency, k => s.put(k, Buffer.from(k)));
        await s.put('dataX', Buffer.from('not under data/'));
        await s.put('index/i', Buffer.from('i'));
        const all = await collect(s, 'data/');
        assert.equal(all.size, count);
        for (const k of keys) assert.equal(all.get(k), Buffer.byteLength(k));
        assert.deepEqual(
          [...(await collect(s, 'data/03/')).keys()].sort(),
          keys.filter(k => k.startsWith('data/03/')).sort(),
        );
        assert.equal((await collect(s, '')).size, count + 2);
        assert.equal((await collect(s, 'nothing/')).size, 0);
        assert.deepEqual([...(await collect(s, 'data')).keys()].sort(), [...keys, 'dataX'].sort());
      }),
    );

    it(
      'deletes',
      withStorage(async s => {
        await s.put('d/1', Buffer.from('1'));
        await s.put('d/2', Buffer.from('2'));
        await s.delete('d/1');
        assert.equal(await s.stat('d/1'), undefined);
        await assert.rejects(s.get('d/1'), isCode('not-found'));
        assert.deepEqual([...(await collect(s, 'd/')).keys()], ['d/2']);
      }),
    );

    it(
      'rejects keys that could escape or mean different things',
      withStorage(async s => {
        for (const key of ['../x', '/abs', 'a//b', 'a/../b', '', 'a/', 'sp ace', 'a\\b']) {
          await assert.rejects(s.put(key, Buffer.from('x')), `put ${key}`);
          await assert.rejects(s.putIfAbsent(key, Buffer.from('x')), `putIfAbsent ${key}`);
          await assert.rejects(s.get(key), `get ${key}`);
          await assert.rejects(s.getRange(key, 0, 1), `getRange ${key}`);
          await assert.rejects(s.stat(key), `stat ${key}`);
          await assert.rejects(s.delete(key), `delete ${key}`);
        }
        await assert.rejects(collect(s, '../'), 'list ../');
        assert.equal((await collect(s, '')).size, 0, 'nothing was written');
      }),
    );

    it(
      'freeSpace is a number or undefined',
      withStorage(async s => {
        const free = await s.freeSpace();
        assert.ok(free === undefined || (Number.isFinite(free) && free >= 0));
      }),
    );
  });
}
