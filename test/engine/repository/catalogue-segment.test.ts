// Catalogue segment encodings (FORMAT.md, "Catalogue"): version 3 (a zstd
// frame of header, keys and rows lines) round-trips every field; its header
// and keys are usable without the rows; damage in any line is `corrupt`,
// naming the segment, when that line is parsed; version 2 JSON still decodes.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {ROOT} from '../../helpers/cli.js';
import zstd from '@mongodb-js/zstd/bindings.js';
import {
  decodeSegment,
  encodeSegment,
  SEGMENT_NAME,
  type CataloguePoint,
} from '../../../source/engine/repository/catalogue-segment.js';
import type {Origin} from '../../../source/engine/repository/model.js';

const origin = {
  repositoryId: 'r0000000000000001',
  location: '/srv/primary',
  copiedAt: '2026-01-02T00:00:00.000Z',
} as Origin;
const POINTS: CataloguePoint[] = [
  {
    id: 'p000000000001',
    time: '2026-01-01T00:00:00.000Z',
    type: 'full',
    logicalBytes: 1000,
    storedBytes: 800,
    nodes: ['n1', 'n2'],
  },
  {
    id: 'p000000000002',
    time: '2026-01-01T02:00:00.000Z',
    type: 'incremental',
    parent: 'p000000000001',
    logicalBytes: 1200,
    storedBytes: 30,
    nodes: ['n1'],
    origin,
  },
  {
    id: 'p000000000003',
    time: '2026-01-01T01:00:00.000Z',
    type: 'incremental',
    parent: 'p000000000001',
    logicalBytes: 1100,
    storedBytes: 20,
    nodes: ['n1', 'n2'],
    origin,
  },
];
const SUPERSEDES = ['000000000001-0a0b0c0d.json', '000000000002-01020304.json'];
const isCorrupt = (what: string) => (e: {code?: string; message?: string}) =>
  e.code === 'corrupt' && e.message!.includes('seg-key') && e.message!.includes(what);

/** The three lines of an encoded segment, for tests that damage one. */
async function lines(points = POINTS): Promise<string[]> {
  const text = (await zstd.decompress(await encodeSegment(points, SUPERSEDES))).toString('utf8');
  return text.split('\n').slice(0, 3);
}
const frame = async (ls: string[]) => zstd.compress(Buffer.from(ls.join('\n') + '\n'), 3);

test('version 3 round-trips every field; the header gives count and totals, the keys ids and node counts', async () => {
  const bytes = await encodeSegment(POINTS, SUPERSEDES);
  assert.deepEqual([...bytes.subarray(0, 4)], [0x28, 0xb5, 0x2f, 0xfd], 'one zstd frame');
  const s = await decodeSegment(bytes, 'seg-key', '/repo');
  assert.equal(s.version, 3);
  assert.deepEqual(s.supersedes, SUPERSEDES);
  assert.deepEqual(s.summary, {
    count: 3,
    oldest: '2026-01-01T00:00:00.000Z',
    newest: '2026-01-01T02:00:00.000Z',
    logicalBytes: 3300,
    storedBytes: 850,
  });
  assert.deepEqual(s.keys(), {ids: POINTS.map(p => p.id), nodeCounts: [2, 1, 2]});
  assert.deepEqual(s.points(), POINTS);
  const [header, keys] = await lines();
  assert.deepEqual(JSON.parse(keys!).nodeLists, [['n1', 'n2'], ['n1']], 'node lists are stored once each');
  assert.ok(!header!.includes('p000000000001'), 'the header names no point');
  const [, , rows] = await lines();
  assert.deepEqual(JSON.parse(rows!).parents, [null, 0, 0], 'a parent in the segment by its index');
  // A parent outside the segment (an earlier segment's point) by its id.
  const alone = await decodeSegment(await encodeSegment([POINTS[1]!], []), 'seg-key', '/repo');
  assert.deepEqual(alone.points(), [POINTS[1]]);
  assert.equal(JSON.parse((await lines([POINTS[1]!]))[2]!).parents[0], 'p000000000001');
});

test('an empty version 3 segment has no newest time', async () => {
  const s = await decodeSegment(await encodeSegment([], []), 'seg-key', '/repo');
  assert.deepEqual(s.summary, {count: 0, logicalBytes: 0, storedBytes: 0});
  assert.deepEqual(s.points(), []);
});

test('the header is checked on decoding, keys and rows when first used; each defect is corrupt naming the segment', async () => {
  const [header, keys, rows] = await lines();
  const h = JSON.parse(header!);
  await assert.rejects(
    decodeSegment(await frame([JSON.stringify({...h, count: -1}), keys!, rows!]), 'seg-key', '/r'),
    isCorrupt('header.count'),
  );
  await assert.rejects(
    decodeSegment(await frame([JSON.stringify({...h, format: 4}), keys!, rows!]), 'seg-key', '/r'),
    isCorrupt('format'),
  );
  await assert.rejects(decodeSegment(await frame([header!, keys!]), 'seg-key', '/r'), isCorrupt('three lines'));

  // Keys: an id that is no id; the header still reads.
  const badKeys = JSON.stringify({...JSON.parse(keys!), ids: ['p000000000001', '../x', 'p000000000003']});
  const s1 = await decodeSegment(await frame([header!, badKeys, rows!]), 'seg-key', '/r');
  assert.equal(s1.summary.count, 3);
  assert.throws(() => s1.keys(), isCorrupt('keys.ids'));
  assert.throws(() => s1.points(), isCorrupt('keys.ids'));

  // Rows: a type letter that is neither f nor i; a header total that is not the rows'.
  const badRows = JSON.stringify({...JSON.parse(rows!), types: 'fix'});
  const s2 = await decodeSegment(await frame([header!, keys!, badRows]), 'seg-key', '/r');
  assert.deepEqual(s2.keys().nodeCounts, [2, 1, 2], 'keys read without the rows');
  assert.throws(() => s2.points(), isCorrupt('rows.types'));
  const lying = JSON.stringify({...h, storedBytes: 1});
  const s3 = await decodeSegment(await frame([lying, keys!, rows!]), 'seg-key', '/r');
  assert.throws(() => s3.points(), isCorrupt('totals'));
  const badParent = JSON.stringify({...JSON.parse(rows!), parents: [null, 3, 0]});
  const s5 = await decodeSegment(await frame([header!, keys!, badParent]), 'seg-key', '/r');
  assert.throws(() => s5.points(), isCorrupt('rows.parents[1]'));
  const badOrigin = JSON.stringify({...JSON.parse(rows!), origin: [null, 5, 0]});
  const s4 = await decodeSegment(await frame([header!, keys!, badOrigin]), 'seg-key', '/r');
  assert.throws(() => s4.points(), isCorrupt('rows.origin[1]'));
});

test('bytes that are neither a bounded zstd frame nor catalogue JSON are corrupt', async () => {
  const bytes = await encodeSegment(POINTS, []);
  await assert.rejects(decodeSegment(bytes.subarray(0, bytes.length - 3), 'seg-key', '/r'), isCorrupt('zstd frame'));
  await assert.rejects(decodeSegment(Buffer.from('not json'), 'seg-key', '/r'), isCorrupt('not valid JSON'));
  await assert.rejects(
    decodeSegment(Buffer.from(JSON.stringify({format: 5, points: []})), 'seg-key', '/r'),
    isCorrupt('format'),
  );
});

test('a stored version 2 segment (the plain test vector) still decodes, with the same summary and keys', async () => {
  const dir = join(ROOT, 'test', 'fixtures', 'repo-v2', 'backups', 'budfm8axpdf32', 'catalog');
  const name = '000000000001-bf47ce42.json';
  assert.ok(SEGMENT_NAME.test(name));
  const s = await decodeSegment(await readFile(join(dir, name)), 'seg-key', '/r');
  assert.equal(s.version, 2);
  assert.deepEqual(s.supersedes, []);
  assert.deepEqual(s.points(), [
    {
      id: 'pg1i233sxn2jy',
      time: '2026-11-01T02:00:00.000Z',
      type: 'full',
      logicalBytes: 9457,
      storedBytes: 4663,
      nodes: ['ws-v2'],
    },
  ]);
  assert.deepEqual(s.summary, {
    count: 1,
    oldest: '2026-11-01T02:00:00.000Z',
    newest: '2026-11-01T02:00:00.000Z',
    logicalBytes: 9457,
    storedBytes: 4663,
  });
  assert.deepEqual(s.keys(), {ids: ['pg1i233sxn2jy'], nodeCounts: [1]});
});
