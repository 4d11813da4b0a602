/**
 * Index files of format 3 (index-table.ts, FORMAT.md "Index files of format
 * 3"): the bytes are exactly the documented layout (checked against an
 * encoder written here from the text alone, and pinned by hash), every
 * malformed file is damaged, and a ChunkIndex built from format 3 files
 * answers every question exactly as one built from the same packs in JSON.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import type {ChunkId, PackId} from '../../../source/engine/ids.js';
import {
  ChunkIndex,
  encodeIndexFile,
  indexIdOf,
  parseIndexFile,
  writeIndexFile,
  type IndexedPack,
} from '../../../source/engine/repository/index-store.js';
import {encodeIndexTable, IndexTable} from '../../../source/engine/repository/index-table.js';
import type {BlobEntry} from '../../../source/engine/repository/pack.js';
import {PLAIN_CODEC} from '../../../source/engine/repository/codec.js';
import {EncryptedCodec} from '../../../source/engine/repository/crypto/encrypted-codec.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {pathsDisk, runBackup} from '../../../source/engine/agent/backup.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {ROOT} from '../../helpers/cli.js';

let work: string;
before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-index-table-'));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

const id = (label: string) => createHash('sha256').update(label).digest('hex');
const chunk = (label: string) => id(`chunk ${label}`) as ChunkId;
const packId = (label: string) => id(`pack ${label}`) as PackId;

/** Three packs; chunk "shared" is in two of them (an interrupted write stored it twice). */
function somePacks(): IndexedPack[] {
  return [
    {
      id: packId('a'),
      blobs: [
        [chunk('1'), 0, 100, 200, 2],
        [chunk('2'), 100, 50, 50, 0],
        [chunk('shared'), 150, 10, 10, 0],
      ],
    },
    {id: packId('b'), blobs: [[chunk('3'), 0, 4096, 4194304, 2]]},
    {
      id: packId('c'),
      blobs: [
        [chunk('shared'), 0, 10, 10, 0],
        [chunk('4'), 10, 7, 7, 1],
      ],
    },
  ];
}

/** The layout of FORMAT.md written out by hand, independently of index-table.ts. */
function byTheText(supersedes: string[], packs: IndexedPack[]): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    return b;
  };
  const sortedPacks = [...packs].sort((a, b) => Buffer.compare(Buffer.from(a.id, 'hex'), Buffer.from(b.id, 'hex')));
  const rows = sortedPacks.flatMap((p, n) => p.blobs.map(b => ({b, n})));
  rows.sort((x, y) => Buffer.compare(Buffer.from(x.b[0], 'hex'), Buffer.from(y.b[0], 'hex')) || x.n - y.n);
  return Buffer.concat([
    Buffer.from('BHINDEX3'),
    u32(supersedes.length),
    u32(sortedPacks.length),
    u32(rows.length),
    ...supersedes.map(s => Buffer.from(s, 'hex')),
    ...sortedPacks.map(p => Buffer.from(p.id, 'hex')),
    ...rows.map(r => Buffer.from(r.b[0], 'hex')),
    ...rows.flatMap(r => [u32(r.n), u32(r.b[1]), u32(r.b[2]), u32(r.b[3]), u32(r.b[4])]),
  ]);
}

test('the bytes are the documented layout, pinned by hash', () => {
  const supersedes = [id('index one'), id('index two')];
  const bytes = encodeIndexTable(supersedes, somePacks());
  assert.deepEqual(bytes, byTheText(supersedes, somePacks()));
  assert.equal(bytes.length, 20 + 32 * (2 + 3 + 6) + 20 * 6);
  // Pinned: a change of layout must be a deliberate change of this vector (and of FORMAT.md).
  assert.equal(
    createHash('sha256').update(bytes).digest('hex'),
    createHash('sha256').update(byTheText(supersedes, somePacks())).digest('hex'),
  );
  assert.equal(
    createHash('sha256').update(bytes).digest('hex'),
    'a3148b614a86ca638d54dc1407cd79ee2f01f26a8741ed1a7bffa718ac861b50',
  );
  // The order packs and blobs are given in changes nothing.
  const shuffled = somePacks()
    .reverse()
    .map(p => ({...p, blobs: [...p.blobs].reverse()}));
  assert.deepEqual(encodeIndexTable(supersedes, shuffled), bytes);
});

test('read back: every chunk found at its place, packs as in JSON, a chunk in two packs has two rows', () => {
  const table = new IndexTable(encodeIndexTable([id('x')], somePacks()));
  assert.deepEqual(table.supersedes, [id('x')]);
  assert.equal(table.size, 6);
  const expected = new Map<string, IndexedPack>(somePacks().map(p => [p.id, p]));
  for (const p of table.packs()) assert.deepEqual(p.blobs, expected.get(p.id)!.blobs);
  for (const p of somePacks())
    for (const b of p.blobs) {
      const row = table.find(b[0]);
      assert.ok(row >= 0, `finds ${b[0].slice(0, 8)}`);
      assert.equal(table.idAt(row), b[0]);
    }
  const shared = table.find(chunk('shared'));
  assert.ok(table.sameId(shared, shared + 1), 'the two rows of the shared chunk are next to each other');
  assert.equal(table.find(chunk('absent')), -1);
  assert.equal(table.find('not an id'), -1);
  assert.equal(table.find('zz'.repeat(32)), -1);
  assert.equal(new IndexTable(encodeIndexTable([], [])).find(chunk('1')), -1);
});

test('every malformed file is refused, and parseIndexFile calls it corrupt', () => {
  const good = encodeIndexTable([], somePacks());
  const idsAt = 20 + 32 * 3;
  const rowsAt = idsAt + 32 * 6;
  const edit = (f: (b: Buffer) => Buffer | void) => {
    const b = Buffer.from(good);
    return f(b) ?? b;
  };
  const cases: [string, Buffer, RegExp][] = [
    ['truncated', good.subarray(0, good.length - 1), /need \d+ bytes/],
    ['a byte too many', Buffer.concat([good, Buffer.alloc(1)]), /need \d+ bytes/],
    ['shorter than its header', good.subarray(0, 12), /shorter than its header/],
    ['a count too large', edit(b => void b.writeUInt32LE(0xffffffff, 16)), /need \d+ bytes/],
    ['packs out of order', edit(b => void b.copy(b, 20 + 32, 20, 20 + 32)), /pack ids are not in ascending order/],
    [
      'chunks out of order',
      edit(b => {
        const first = Buffer.from(b.subarray(idsAt, idsAt + 32));
        b.copy(b, idsAt, idsAt + 32, idsAt + 64);
        first.copy(b, idsAt + 32);
      }),
      /chunk ids are not in ascending order/,
    ],
    ['a pack number out of range', edit(b => void b.writeUInt32LE(3, rowsAt)), /names pack 3 of 3/],
    ['a raw length over 4 MiB', edit(b => void b.writeUInt32LE(4194305, rowsAt + 12)), /raw length/],
    ['an unknown encoding', edit(b => void b.writeUInt32LE(3, rowsAt + 16)), /unknown encoding/],
  ];
  for (const [what, bytes, message] of cases) {
    assert.throws(() => new IndexTable(bytes), message, what);
    const key = `index/${createHash('sha256').update(bytes).digest('hex')}`;
    assert.throws(() => parseIndexFile(bytes, key), {code: 'corrupt'}, what);
  }
});

/** Everything a ChunkIndex says, in a comparable form. */
function answers(index: ChunkIndex, probe: string[]) {
  const byPack = [...index.byPack()].map(([p, blobs]) => [p, [...blobs].sort((a, b) => a[1] - b[1])] as const);
  return {
    size: index.size,
    ids: [...index.ids()].sort(),
    entries: [...index.entries()]
      .map(([i, l]) => `${i} ${l.pack} ${l.offset} ${l.length} ${l.rawLength} ${l.encoding}`)
      .sort(),
    byPack: byPack.sort((a, b) => (a[0] < b[0] ? -1 : 1)),
    packs: index.packIds().sort(),
    probes: probe.map(i => ({
      has: index.has(i),
      length: index.lengthOf(i),
      blob: index.blobOf(i),
      pack: index.packOf(i),
      viaSlot:
        index.slotOf(i) < 0
          ? undefined
          : [index.blobAt(index.slotOf(i)), index.packName(index.packNumberAt(index.slotOf(i)))],
    })),
    bound: index.storedBytesBound(1),
  };
}

async function storageWith(format: 2 | 3, files: IndexedPack[][]): Promise<FilesystemStorage> {
  const storage = new FilesystemStorage(await fs.mkdtemp(join(work, `f${format}-`)));
  const config = format === 3 ? {version: 2, indexFiles: 3 as const} : {version: 2};
  for (const packs of files) await writeIndexFile({storage, codec: PLAIN_CODEC, config}, packs);
  return storage;
}

test('a ChunkIndex of format 3 files answers as one of the same packs in JSON; drops and added packs too', async () => {
  const [a, b, c] = somePacks();
  // The shared chunk is in two files here: which location wins may differ, so it is probed apart.
  const files = [[a!, b!], [c!]];
  const probe = [chunk('1'), chunk('2'), chunk('3'), chunk('4'), chunk('absent')];
  const json = await ChunkIndex.load(await storageWith(2, files));
  const table = await ChunkIndex.load(await storageWith(3, files));
  // Which copy of the shared chunk each finds first depends on the order files are read in: left out of the comparison.
  const strip = (x: ReturnType<typeof answers>) => ({
    ...x,
    entries: x.entries.filter(e => !e.startsWith(chunk('shared'))),
    byPack: x.byPack.map(([p, blobs]) => [p, blobs.filter(b => b[0] !== chunk('shared'))]),
    bound: undefined,
  });
  assert.deepEqual(strip(answers(table, probe)), strip(answers(json, probe)));
  assert.equal(table.size, 5);
  assert.ok(table.has(chunk('shared')));
  // The bound counts the shared chunk twice, in both.
  assert.equal(table.storedBytesBound(), 100 + 50 + 10 + 4096 + 10 + 7);

  for (const index of [json, table]) {
    index.dropChunk(chunk('2'));
    index.dropPacks(new Set([packId('b')]));
    // A repair writes the chunk again elsewhere: the new location is the one found.
    index.addPack(packId('d'), [[chunk('2'), 0, 50, 50, 0] as BlobEntry]);
    // A pack already indexed adds nothing new for chunks found before.
    index.addPack(packId('e'), [[chunk('1'), 0, 1, 1, 0] as BlobEntry]);
  }
  assert.deepEqual(strip(answers(table, probe)), strip(answers(json, probe)));
  assert.equal(table.packOf(chunk('2')), packId('d'));
  assert.equal(table.has(chunk('3')), false, 'a dropped pack is gone');
  assert.equal(table.packOf(chunk('1')), packId('a'), 'the first location wins');
  assert.ok(table.edited);
});

test('a chunk in two packs of one file: dropping the pack it was found in finds the other', async () => {
  const index = await ChunkIndex.load(await storageWith(3, [somePacks()]));
  const first = index.packOf(chunk('shared'))!;
  index.dropPacks(new Set([first]));
  const other = index.packOf(chunk('shared'));
  assert.ok(other && other !== first, 'the other copy is found');
  index.dropPacks(new Set([other]));
  assert.equal(index.has(chunk('shared')), false);
});

test('refresh reads a new format 3 file; supersedes holds across formats 2 and 3', async () => {
  const [a, b, c] = somePacks();
  const storage = await storageWith(2, [[a!]]);
  const index = await ChunkIndex.load(storage);
  const v3 = {storage, codec: PLAIN_CODEC, config: {version: 2, indexFiles: 3 as const}};
  const keyB = await writeIndexFile(v3, [b!]);
  await index.refreshed(storage);
  assert.ok(index.has(chunk('3')) && index.has(chunk('1')));
  // A format 3 file superseding the JSON one and the format 3 one: a fresh load reads the same chunks.
  const [first] = [...index.indexKeys].filter(k => k !== keyB);
  await writeIndexFile(v3, [a!, b!, c!], [indexIdOf(first!), indexIdOf(keyB)]);
  await storage.delete(first!);
  await storage.delete(keyB);
  const fresh = await ChunkIndex.load(storage);
  assert.deepEqual([...fresh.ids()].sort(), [...new Set(somePacks().flatMap(p => p.blobs.map(x => x[0])))].sort());
  assert.equal(fresh.indexKeys.size, 1);
});

test('sealed in an encrypted repository like any index file, the name the hash of the sealed bytes', () => {
  const codec = new EncryptedCodec({encryption: Buffer.alloc(32, 7), mac: Buffer.alloc(32, 9)});
  const {key, data} = encodeIndexFile({format: 3, supersedes: [], packs: somePacks()}, codec);
  assert.equal(indexIdOf(key), createHash('sha256').update(data).digest('hex'));
  assert.equal(data.includes(Buffer.from('BHINDEX3')), false, 'nothing of the plaintext shows');
  assert.equal(data.includes(Buffer.from(chunk('1'), 'hex')), false);
  const file = parseIndexFile(data, key, codec);
  assert.equal(file.format, 3);
  assert.equal(file.packs.length, 3, 'its packs are decoded when asked for');
  assert.throws(() => parseIndexFile(data, key, PLAIN_CODEC), {code: 'corrupt'});
});

test('many files, map entries between them: every chunk at its place; rows sharing a prefix are still found', async () => {
  const storage = new FilesystemStorage(await fs.mkdtemp(join(work, 'many-')));
  const v3 = {storage, codec: PLAIN_CODEC, config: {version: 2, indexFiles: 3 as const}};
  const expected = new Map<string, string>();
  const index = await ChunkIndex.load(storage);
  for (let f = 0; f < 40; f++) {
    const packs = [0, 1, 2].map(p => ({
      id: packId(`${f}/${p}`),
      blobs: [0, 1, 2, 3].map(b => [chunk(`${f}/${p}/${b}`), b * 10, 10, 10, 0] as BlobEntry),
    }));
    for (const p of packs) for (const b of p.blobs) expected.set(b[0], p.id);
    await writeIndexFile(v3, packs);
    if (f % 10 === 9) {
      await index.refreshed(storage);
      // A writer's own new pack, indexed in memory between the files.
      const own = [[chunk(`own ${f}`), 0, 5, 5, 0] as BlobEntry];
      index.addPack(packId(`own ${f}`), own);
      expected.set(own[0]![0], packId(`own ${f}`));
    }
  }
  await index.refreshed(storage);
  assert.equal(index.size, expected.size);
  for (const [c, p] of expected) {
    assert.equal(index.packOf(c), p);
    const slot = index.slotOf(c);
    assert.equal(index.blobAt(slot)[0], c);
    assert.equal(index.packName(index.packNumberAt(slot)), p);
    assert.equal(index.lengthAt(slot), index.lengthOf(c));
  }
  assert.deepEqual([...index.ids()].sort(), [...expected.keys()].sort());
  for (const p of new Set(expected.values()))
    assert.deepEqual(
      index
        .packEntries(p)!
        .map(b => b[0])
        .sort(),
      [...expected]
        .filter(([, q]) => q === p)
        .map(([c]) => c)
        .sort(),
    );

  // Forty chunk ids sharing their first eight bytes (as a crafted file could have): found, and others are not.
  const crafted = Array.from({length: 40}, (_, i) => ('abcdef01' + id(`crafted ${i}`).slice(8)) as ChunkId);
  await writeIndexFile(v3, [{id: packId('crafted'), blobs: crafted.map((c, i) => [c, i * 3, 3, 3, 0] as BlobEntry)}]);
  const fresh = await ChunkIndex.load(storage);
  for (const c of crafted) assert.equal(fresh.packOf(c), packId('crafted'));
  assert.equal(fresh.has(('abcdef01' + id('not there').slice(8)) as ChunkId), false);
  assert.equal(fresh.has(chunk('0/0/0')), true);
});

test('a repository made before format 3 keeps writing JSON index files (older builds read it too); a new one writes format 3', async () => {
  const src = join(work, 'src');
  await fs.mkdir(src, {recursive: true});
  await fs.writeFile(join(src, 'a.txt'), 'format three\n'.repeat(10_000));
  const made = async (dir: string) => {
    const repo = await Repository.open(new FilesystemStorage(dir));
    const before = new Set(await fs.readdir(join(dir, 'index')).catch(() => [] as string[]));
    await runBackup(repo, {
      job: 'j',
      machine: 'm',
      kind: 'server',
      owner: 'root',
      nodes: [{name: 'm', disks: [pathsDisk([src])]}],
    });
    const added = (await fs.readdir(join(dir, 'index'))).filter(n => !before.has(n));
    assert.equal(added.length, 1);
    return (await fs.readFile(join(dir, 'index', added[0]!))).subarray(0, 8).toString('latin1');
  };
  const old = join(work, 'old-v2');
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v2'), old, {recursive: true});
  assert.equal((await made(old)).slice(0, 1), '{', 'JSON, as the config names no index file format');
  const fresh = join(work, 'new-v2');
  await Repository.create(new FilesystemStorage(fresh));
  assert.equal(await made(fresh), 'BHINDEX3');
});

test('presenceIn answers for every slot as has() does: tables walked side by side, maps, drops, crafted prefixes', async () => {
  const ids = Array.from({length: 300}, (_, i) => chunk(`p${i}`));
  // Twenty ids sharing their first eight bytes (a crafted file): the walk looks each up instead.
  const crafted = Array.from({length: 20}, (_, i) => ('0badcafe' + id(`crafted p${i}`).slice(8)) as ChunkId);
  const pack = (label: string, chunks: string[]) => ({
    id: packId(label),
    blobs: chunks.map((c, i) => [c, i * 10, 10, 10, 0] as BlobEntry),
  });
  const pick = (xs: string[], keep: (i: number) => boolean) => xs.filter((_, i) => keep(i));
  // The source: format 3 files, one of which repeats chunks of another (a chunk in two packs), and a JSON-like map entry.
  const sourceStorage = await storageWith(3, [
    [
      pack(
        's1',
        pick(ids, i => i < 150),
      ),
      pack(
        's2',
        pick(crafted, i => i % 2 === 0),
      ),
    ],
    [
      pack(
        's3',
        pick(ids, i => i >= 120),
      ),
      pack(
        's4',
        pick(crafted, i => i % 2 === 1),
      ),
    ],
  ]);
  const source = await ChunkIndex.load(sourceStorage);
  source.addPack(packId('s-own'), [[chunk('own source'), 0, 5, 5, 0] as BlobEntry]);
  // The target: every third chunk in its files, a dropped pack, a dropped chunk, and packs added in memory.
  const target = await ChunkIndex.load(
    await storageWith(3, [
      [
        pack(
          't1',
          pick(ids, i => i % 3 === 0),
        ),
        pack(
          't2',
          pick(crafted, i => i % 3 === 0),
        ),
      ],
      [
        pack(
          't3',
          pick(ids, i => i % 5 === 0),
        ),
      ],
    ]),
  );
  target.dropPacks(new Set([packId('t3')]));
  target.dropChunk(ids[3]!);
  target.addPack(packId('t-own'), [[ids[7]!, 0, 10, 10, 0] as BlobEntry, [chunk('own source'), 10, 5, 5, 0]]);
  const present = source.presenceIn(target);
  let yes = 0;
  for (const c of [...ids, ...crafted, chunk('own source')]) {
    const slot = source.slotOf(c);
    if (slot < 0) continue;
    assert.equal(present[slot], target.has(c) ? 1 : 0, `${c.slice(0, 12)}: as has() says`);
    yes += present[slot]!;
  }
  // Every third of 300 less the dropped one, the one added in memory (7), crafted 0, 3, …, 18, and the map's.
  assert.equal(yes, 100 - 1 + 1 + 7 + 1);
  // The bound of what a copy would store: each absent chunk's bytes, a chunk stored twice (30 here) at most twice.
  const absentBytes = (index: ChunkIndex, other: ChunkIndex) =>
    [...index.ids()].filter(c => !other.has(c)).reduce((sum, c) => sum + index.lengthOf(c)! + 1, 0);
  const bound = source.storedBytesBoundAbsentFrom(target, 1);
  assert.ok(bound >= absentBytes(source, target) && bound <= absentBytes(source, target) + 30 * 11, `${bound}`);
  // A JSON source (its chunks in the map) against a format 3 target, and the other way round.
  const jsonSource = await ChunkIndex.load(await storageWith(2, [[pack('s1', ids)]]));
  assert.equal(jsonSource.storedBytesBoundAbsentFrom(target, 1), absentBytes(jsonSource, target));
  const jsonPresent = jsonSource.presenceIn(target);
  const tablePresent = target.presenceIn(jsonSource);
  for (const c of ids) {
    assert.equal(jsonPresent[jsonSource.slotOf(c)], target.has(c) ? 1 : 0);
    if (target.slotOf(c) >= 0) assert.equal(tablePresent[target.slotOf(c)], 1);
  }
});

test('files read after the first lookups wait in a tail and are merged later: every chunk found at its place all along', async () => {
  const storage = new FilesystemStorage(await fs.mkdtemp(join(work, 'tail-')));
  const v3 = {storage, codec: PLAIN_CODEC, config: {version: 2, indexFiles: 3 as const}};
  const expected = new Map<string, string>();
  const file = async (label: string, chunks: string[]) => {
    const pack = {id: packId(label), blobs: chunks.map((c, i) => [c, i * 10, 10, 10, 0] as BlobEntry)};
    for (const c of chunks) if (!expected.has(c)) expected.set(c, pack.id); // the first location wins
    await writeIndexFile(v3, [pack]);
  };
  const check = (index: ChunkIndex, when: string) => {
    for (const [c, p] of expected) assert.equal(index.packOf(c), p, `${when}: ${c.slice(0, 12)}`);
    assert.equal(index.has(chunk('never written')), false);
  };
  await file(
    'base',
    Array.from({length: 400}, (_, i) => chunk(`base ${i}`)),
  );
  const index = await ChunkIndex.load(storage);
  check(index, 'loaded');
  for (let f = 0; f < 30; f++) {
    const chunks = [0, 1, 2].map(i => chunk(`tail ${f}/${i}`));
    // A chunk of the first file stored again: still found in the first file's pack.
    chunks.push(chunk(`base ${f * 7}`));
    // Twelve rows sharing a prefix (a crafted file) in one of the later files.
    if (f === 4)
      chunks.push(...Array.from({length: 12}, (_, i) => ('feedface' + id(`crafted tail ${i}`).slice(8)) as ChunkId));
    await file(`tail ${f}`, chunks);
    await index.refreshed(storage);
    check(index, `after file ${f + 1} of the tail`);
  }
  // Loaded afresh, files are read in the listing's order: which copy of a chunk stored twice wins may differ.
  const fresh = await ChunkIndex.load(storage);
  for (const c of expected.keys()) assert.ok(fresh.has(c), c);
  for (let f = 0; f < 30; f++) assert.equal(fresh.packOf(chunk(`tail ${f}/0`)), packId(`tail ${f}`));
  assert.deepEqual([...index.ids()].sort(), [...fresh.ids()].sort());
  // The walk of presenceIn sees the tail's rows too.
  const present = fresh.presenceIn(index);
  for (const c of expected.keys()) assert.equal(present[fresh.slotOf(c)], 1);
});

test('70,000 rows in six files (sorted by radix passes, not merged): every chunk at its first place', async () => {
  const storage = new FilesystemStorage(await fs.mkdtemp(join(work, 'radix-')));
  const v3 = {storage, codec: PLAIN_CODEC, config: {version: 2, indexFiles: 3 as const}};
  const chunks = Array.from({length: 70_000}, (_, i) => chunk(`radix ${i}`));
  const expected = new Map<string, Set<string>>();
  for (let f = 0; f < 6; f++) {
    // Each file a sixth of the chunks, plus a few hundred of the next file's (a chunk in two packs, two files).
    const mine = chunks.slice(f * 11_700, (f + 1) * 11_700 + 300);
    if (f === 5)
      mine.push(...Array.from({length: 20}, (_, i) => ('0000abcd' + id(`radix crafted ${i}`).slice(8)) as ChunkId));
    const pack = {id: packId(`radix ${f}`), blobs: mine.map((c, i) => [c, i, 1, 1, 0] as BlobEntry)};
    for (const c of mine) expected.set(c, (expected.get(c) ?? new Set()).add(pack.id));
    await writeIndexFile(v3, [pack]);
  }
  const index = await ChunkIndex.load(storage);
  for (const [c, packs] of expected) assert.ok(packs.has(index.packOf(c)!), c);
  assert.equal(index.has(chunk('radix absent')), false);
  assert.equal(index.size, expected.size);
});
