// A repository opened with its index deferred (a copy deciding from
// catalogues first, copy/stream.ts): reading the index before loading it is
// a bug that throws, never an answer from an empty index; loadIndex reads
// it once however often it is asked; and a refresh asked while a load that
// began earlier is still running also sees what was indexed after that load
// listed the files (a writer refreshes after taking its lock).
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {randomBytes} from 'node:crypto';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

async function addChunk(storage: FilesystemStorage): Promise<string> {
  const writer = await RepositoryWriter.begin(await Repository.open(storage), 'test writer');
  const id = await writer.addChunk(randomBytes(50_000));
  await writer.flush();
  await writer.close();
  return id;
}

test('a deferred index throws until loaded, loads once, and a refresh after an earlier load sees later chunks', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bh-defer-index-'));
  try {
    const storage = new FilesystemStorage(dir);
    await Repository.create(storage);
    const first = await addChunk(storage);
    let listings = 0;
    let listed = () => {};
    let held: Promise<void> | undefined; // while set, a listing waits for it before handing out its keys
    const counting = Object.create(storage) as FilesystemStorage;
    counting.list = (prefix: string) => {
      if (!prefix.startsWith('index')) return storage.list(prefix);
      listings++;
      // The whole listing is made before the first key is handed out, and the test told it is done.
      return (async function* () {
        const all = [];
        for await (const info of storage.list(prefix)) all.push(info);
        listed();
        await held;
        yield* all;
      })();
    };

    const repo = await Repository.open(counting, {deferIndex: true});
    assert.equal(repo.indexLoaded, false);
    assert.equal(listings, 0, 'opening read no index');
    assert.throws(() => repo.index, /before it was loaded/);
    await Promise.all([repo.loadIndex(), repo.loadIndex()]);
    assert.equal(listings, 1, 'one load for both callers');
    assert.ok(repo.index.has(first));

    const late = await Repository.open(counting, {deferIndex: true});
    const done = new Promise<void>(resolve => (listed = resolve));
    let release = () => {};
    held = new Promise<void>(resolve => (release = resolve));
    const loading = late.loadIndex();
    await done; // the load has listed index/, and is held there
    held = undefined;
    const second = await addChunk(storage); // indexed after that listing
    const refreshing = late.refreshIndex(); // asked while the earlier load is still running
    release();
    await Promise.all([loading, refreshing]);
    assert.ok(
      late.index.has(first) && late.index.has(second),
      'the refresh saw the chunk indexed after the load began',
    );
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
});
