// What the Backups and Restore points screens read of a big backup (issue
// 15, item 4): the point list and the "copied" marks come from the two
// repositories' catalogues — a read per segment, never one per point — and
// a listing that finds the same segments again reads nothing more.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {copiedNodes, summarizeBackups} from '../../source/engine/catalog.js';
import {appendToCatalogue, cataloguePoint} from '../../source/engine/repository/catalogue.js';
import {Repository} from '../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../source/engine/storage/filesystem.js';
import type {Storage} from '../../source/engine/storage/storage.js';
import {MANY_BACKUP, manyPoint, writeManyPoints} from '../helpers/many-points.js';

const N = 1000;
const SEGMENTS = 4;

/** A filesystem storage that counts the objects read from it. */
function counted(dir: string): {storage: Storage; reads: () => number} {
  const inner = new FilesystemStorage(dir);
  let reads = 0;
  const storage = new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (prop === 'get' || prop === 'getRange') return (...args: unknown[]) => (reads++, value.apply(target, args));
      if (prop === 'getMany') return (keys: readonly string[]) => ((reads += keys.length), value.call(target, keys));
      return value.bind(target);
    },
  });
  return {storage, reads: () => reads};
}

async function world() {
  const dir = await fs.mkdtemp(join(tmpdir(), 'backhaul-catalog-'));
  const source = await Repository.create(new FilesystemStorage(join(dir, 'source')));
  const target = await Repository.create(new FilesystemStorage(join(dir, 'target')));
  const all = Array.from({length: N}, (_, i) => i);
  await writeManyPoints(source, 'big', all, SEGMENTS);
  const origin = {repositoryId: source.id, location: source.location, copiedAt: '2026-01-01T00:00:00.000Z'};
  await writeManyPoints(
    target,
    'big',
    all.filter(i => i % 3 === 0),
    SEGMENTS,
    origin,
  );
  return {dir, cleanup: () => fs.rm(dir, {recursive: true, force: true})};
}

test('the points and copied marks of a 1,000-point backup cost a read per catalogue segment, and nothing when unchanged', async () => {
  const w = await world();
  try {
    const src = counted(join(w.dir, 'source'));
    const dst = counted(join(w.dir, 'target'));
    const source = await Repository.open(src.storage);
    const target = await Repository.open(dst.storage);
    const before = [src.reads(), dst.reads()] as const;

    const [summary] = await summarizeBackups(source);
    assert.equal(summary!.points, N);
    assert.equal(summary!.latestPoint, manyPoint('big', N - 1).time);
    const points = await source.listPointSummaries(MANY_BACKUP);
    const copies = await copiedNodes(target, MANY_BACKUP);
    assert.equal(points.length, N);
    assert.deepEqual(
      points.filter(p => copies.has(p.id)).map(p => p.id),
      points.filter((_, i) => i % 3 === 0).map(p => p.id),
    );
    assert.ok(
      [...copies.values()].every(n => n === 1),
      'each copied point holds its one node',
    );
    // backup.json once (summarizeBackups), then the segments once: the points screen reuses the Backups screen's read.
    assert.equal(src.reads() - before[0], 1 + SEGMENTS, 'source objects read');
    assert.equal(dst.reads() - before[1], SEGMENTS, 'target objects read');

    // Polling again: nothing changed, nothing is read.
    const again = [src.reads(), dst.reads()] as const;
    assert.equal((await source.listPointSummaries(MANY_BACKUP)).length, N);
    assert.equal((await copiedNodes(target, MANY_BACKUP)).size, Math.ceil(N / 3));
    assert.deepEqual([src.reads(), dst.reads()], again);

    // One more point copied: only its new segment is read, and the marks show it.
    const late = manyPoint('big', 1);
    await appendToCatalogue(target, MANY_BACKUP, [cataloguePoint(late)]);
    const after = await copiedNodes(target, MANY_BACKUP);
    assert.equal(dst.reads() - again[1], 1, 'only the new segment is read');
    assert.ok(after.has(late.id));
    assert.equal(after.size, Math.ceil(N / 3) + 1);
  } finally {
    await w.cleanup();
  }
});

test('a target without the backup holds none of its points', async () => {
  const w = await world();
  try {
    const empty = await Repository.create(new FilesystemStorage(join(w.dir, 'empty')));
    assert.equal((await copiedNodes(empty, MANY_BACKUP)).size, 0);
  } finally {
    await w.cleanup();
  }
});
