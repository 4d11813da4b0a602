// The set of chunk ids an agent backup hands its chunking workers in shared
// memory (known-ids.ts, ChunkIndex.knownIds): it holds exactly what the
// index would find, from format 3 tables, JSON-loaded maps and both, with
// drops, chunks in two packs and ids sharing their first bytes.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtemp} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import type {ChunkId, PackId} from '../../../source/engine/ids.js';
import {PLAIN_CODEC} from '../../../source/engine/repository/codec.js';
import {ChunkIndex, writeIndexFile} from '../../../source/engine/repository/index-store.js';
import {KnownIdSet, knownIdsOf} from '../../../source/engine/repository/known-ids.js';
import type {BlobEntry} from '../../../source/engine/repository/pack.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

const hash = (s: string) => createHash('sha256').update(s).digest('hex');
const chunk = (s: string) => hash(`chunk ${s}`) as ChunkId;
const pack = (label: string, chunks: string[]) => ({
  id: hash(`pack ${label}`) as PackId,
  blobs: chunks.map((c, i) => [c, i * 10, 10, 10, 0] as BlobEntry),
});

async function indexOf(format: 2 | 3, files: ReturnType<typeof pack>[][]): Promise<ChunkIndex> {
  const storage = new FilesystemStorage(await mkdtemp(join(tmpdir(), 'bh-known-')));
  const config = format === 3 ? {version: 2, indexFiles: 3 as const} : {version: 2};
  for (const packs of files) await writeIndexFile({storage, codec: PLAIN_CODEC, config}, packs);
  return ChunkIndex.load(storage);
}

test('the shared set holds what has() finds: tables, map, drops, two packs, equal prefixes', async () => {
  const ids = Array.from({length: 500}, (_, i) => chunk(`${i}`));
  const crafted = Array.from({length: 30}, (_, i) => ('c0ffee00' + hash(`crafted ${i}`).slice(8)) as ChunkId);
  const files = [
    [pack('a', ids.slice(0, 300)), pack('b', crafted.slice(0, 20))],
    [pack('c', ids.slice(250)), pack('d', crafted.slice(10))],
  ];
  for (const format of [3, 2] as const) {
    const index = await indexOf(format, files);
    // In memory: a pack added (a writer's own), a chunk dropped, a pack dropped (verify, repair).
    index.addPack(hash('pack own') as PackId, [[chunk('own'), 0, 5, 5, 0]]);
    index.dropChunk(ids[7]!);
    index.dropPacks(new Set([hash('pack b')]));
    const known = new KnownIdSet(index.knownIds());
    const probes = [
      ...ids,
      ...crafted,
      chunk('own'),
      chunk('never'),
      ('c0ffee00' + hash('absent').slice(8)) as ChunkId,
    ];
    for (const id of probes) assert.equal(known.has(id), index.has(id), `format ${format}: ${id.slice(0, 12)}`);
    assert.equal(known.has(ids[7]!), false, 'a dropped chunk is not known');
    assert.equal(known.has(crafted[0]!), false, "a dropped pack's chunk is not known");
    assert.equal(known.has('not an id'), false);
  }
});

test('knownIdsOf: a set from ids as strings (anything not an id is left out)', () => {
  const ids = Array.from({length: 100}, (_, i) => chunk(`s${i}`));
  const known = new KnownIdSet(knownIdsOf([...ids, 'nonsense', ids[3]!]));
  assert.equal(known.size, 101);
  for (const id of ids) assert.ok(known.has(id));
  assert.equal(known.has(chunk('other')), false);
  assert.equal(new KnownIdSet(knownIdsOf([])).has(ids[0]!), false);
});
