/**
 * The shared re-read behind every miss (index-refresh.ts): misses at the
 * same time share one re-read; a miss during a re-read that began before it
 * waits for that one and, if it did not bring what was missed, gets one that
 * began after it (shared again); a pack miss needs a whole re-read; a failed
 * re-read fails the misses waiting on it. Driven by hand-released re-reads,
 * so the order of events is exact. And through a real repository: a reader
 * left open while another writer commits finds the new chunk after one
 * re-read, and calls a chunk missing only after one.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {createHash, randomBytes} from 'node:crypto';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {ChunkId} from '../../../source/engine/ids.js';
import {IndexRefresher} from '../../../source/engine/repository/index-refresh.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

/** Re-reads that finish when the test says so. */
function reads() {
  const started: {full: boolean; finish: (error?: Error) => void}[] = [];
  const refresher = new IndexRefresher(
    full =>
      new Promise<void>((resolve, reject) => {
        started.push({full, finish: error => (error ? reject(error) : resolve())});
      }),
  );
  return {refresher, started};
}

const settle = () => new Promise(resolve => setImmediate(resolve));

test('misses at the same time share one re-read, even of chunks that really are missing', async () => {
  const {refresher, started} = reads();
  const misses = Array.from({length: 50}, () => refresher.afterMiss(false, () => false));
  await settle();
  assert.equal(started.length, 1);
  started[0]!.finish();
  await Promise.all(misses);
  assert.equal(started.length, 1);
});

test('misses during a re-read share at most one more', async () => {
  const {refresher, started} = reads();
  const first = refresher.afterMiss(false, () => false);
  await settle();
  const late = Array.from({length: 20}, () => refresher.afterMiss(false, () => false));
  started[0]!.finish();
  await first;
  await settle();
  assert.equal(started.length, 2);
  started[1]!.finish();
  await Promise.all(late);
  assert.equal(started.length, 2);
});

test('a miss during an earlier re-read waits for it, then gets its own unless that one found it', async () => {
  const {refresher, started} = reads();
  let found = false;
  const first = refresher.afterMiss(false, () => found);
  await settle();
  const late = [refresher.afterMiss(false, () => found), refresher.afterMiss(false, () => found)];
  await settle();
  assert.equal(started.length, 1, 'no second re-read while the first runs');
  started[0]!.finish();
  await first;
  await settle();
  assert.equal(started.length, 2, 'the late misses get one re-read that began after them, shared');
  started[1]!.finish();
  await Promise.all(late);

  const third = refresher.afterMiss(false, () => found);
  await settle();
  const covered = refresher.afterMiss(false, () => found);
  found = true; // what the third re-read brings covers the later miss too
  started[2]!.finish();
  await Promise.all([third, covered]);
  assert.equal(started.length, 3);
});

test('a pack miss gets a whole re-read, even while a partial one runs', async () => {
  const {refresher, started} = reads();
  const chunk = refresher.afterMiss(false, () => false);
  await settle();
  const pack = refresher.afterMiss(true, () => false);
  await settle();
  started[0]!.finish();
  await chunk;
  await settle();
  assert.deepEqual(
    started.map(s => s.full),
    [false, true],
  );
  const chunkAgain = refresher.afterMiss(false, () => false);
  started[1]!.finish();
  await pack;
  await settle();
  assert.equal(started.length, 3, 'a chunk miss after the whole re-read began gets its own');
  started[2]!.finish();
  await chunkAgain;
});

test('a failed re-read fails the misses waiting on it; the next miss tries again', async () => {
  const {refresher, started} = reads();
  const misses = [refresher.afterMiss(false, () => false), refresher.afterMiss(false, () => false)];
  await settle();
  started[0]!.finish(new Error('storage down'));
  for (const m of misses) await assert.rejects(m, /storage down/);
  const again = refresher.afterMiss(false, () => false);
  await settle();
  assert.equal(started.length, 2);
  started[1]!.finish();
  await again;
});

test('a repository left open while another writer commits: a chunk it misses is found by one re-read; one truly missing is damage after one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bh-index-refresh-'));
  try {
    const storage = new FilesystemStorage(dir);
    await Repository.create(storage);
    let listings = 0;
    const counting = Object.create(storage) as FilesystemStorage;
    counting.list = (prefix: string) => {
      if (prefix.startsWith('index')) listings++;
      return storage.list(prefix);
    };
    const reader = await Repository.open(counting); // loaded before the writer commits
    const before = listings;
    const writer = await RepositoryWriter.begin(await Repository.open(storage), 'writer beside the reader');
    const data = randomBytes(100_000);
    const id = await writer.addChunk(data);
    await writer.flush();
    await writer.close();

    assert.deepEqual(await reader.readChunk(id), data, 'found after re-reading the index');
    assert.equal(listings, before + 1, 'one re-read');
    const missing = createHash('sha256').update('never stored').digest('hex') as ChunkId;
    await assert.rejects(reader.readChunk(missing), (e: unknown) => {
      return e instanceof BackhaulError && e.code === 'corrupt' && /is missing from/.test(e.message);
    });
    assert.equal(listings, before + 2, 'one more re-read before calling it missing, not more');
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});
