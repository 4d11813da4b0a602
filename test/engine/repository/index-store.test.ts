/**
 * The in-memory chunk index and its refresh: a writer that takes the lock
 * after opening the repository reads only the index files written since
 * (other writers' work), never every file again; an index that had entries
 * dropped in memory (verify, repair) is read whole instead.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {ChunkId, PackId} from '../../../source/engine/ids.js';
import {ChunkIndex, writeIndexFile} from '../../../source/engine/repository/index-store.js';
import type {BlobEntry} from '../../../source/engine/repository/pack.js';
import {PLAIN_CODEC, type ObjectCodec} from '../../../source/engine/repository/codec.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

let work: string;
let storage: FilesystemStorage;

const hex = (seed: number) => seed.toString(16).padStart(64, '0');
const pack = (seed: number) => ({
  id: hex(1000 + seed) as PackId,
  blobs: [[hex(seed) as ChunkId, 0, 10, 20, 1]] as BlobEntry[],
});

/** Counts storage reads of index files. */
class CountingStorage extends FilesystemStorage {
  indexReads = 0;
  override async get(key: string): Promise<Buffer> {
    if (key.startsWith('index/')) this.indexReads++;
    return super.get(key);
  }
}

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-index-'));
  storage = new CountingStorage(work);
});

/** The shared storage as a repository of this version would write index files to it. */
const target = (version: number, into: FilesystemStorage = storage, codec: ObjectCodec = PLAIN_CODEC) => ({
  storage: into,
  codec,
  config: {version},
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test('refresh reads only index files written since the load, and sees their chunks', async () => {
  const counting = storage as CountingStorage;
  await writeIndexFile(target(1), [pack(1)]);
  await writeIndexFile(target(1), [pack(2)]);
  const index = await ChunkIndex.load(storage);
  assert.equal(counting.indexReads, 2);
  assert.ok(index.has(hex(1)) && index.has(hex(2)));

  await writeIndexFile(target(1), [pack(3)]); // another writer, meanwhile
  counting.indexReads = 0;
  const refreshed = await index.refreshed(storage);
  assert.equal(counting.indexReads, 1, 'only the new index file is read');
  assert.equal(refreshed, index);
  assert.ok(refreshed.has(hex(3)));
  assert.equal(refreshed.get(hex(3))?.pack, hex(1003));
  assert.equal(refreshed.indexKeys.size, 3);

  counting.indexReads = 0;
  await index.refreshed(storage);
  assert.equal(counting.indexReads, 0, 'nothing new: nothing read');
});

test('after a chunk was dropped in memory, refresh reads the whole index again', async () => {
  const counting = storage as CountingStorage;
  const index = await ChunkIndex.load(storage);
  index.dropChunk(hex(1));
  assert.equal(index.has(hex(1)), false);
  counting.indexReads = 0;
  const refreshed = await index.refreshed(storage);
  assert.notEqual(refreshed, index);
  assert.equal(counting.indexReads, 3);
  assert.ok(refreshed.has(hex(1)), 'the dropped chunk is back, as its index file says');
});

test('a damaged index file is reported once and not read again by refresh', async () => {
  const counting = storage as CountingStorage;
  const key = await writeIndexFile(target(1), [pack(4)]);
  await fs.writeFile(join(work, key), '{"format":1,"packs":[]}'); // no longer matches its name
  const index = await ChunkIndex.load(storage);
  assert.deepEqual(index.badIndexFiles, [key]);
  counting.indexReads = 0;
  await index.refreshed(storage);
  assert.equal(counting.indexReads, 0);
  assert.deepEqual(index.badIndexFiles, [key]);
});
