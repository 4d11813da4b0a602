/**
 * Every record a repository holds is checked at the edge (records.ts,
 * names.ts): crafted backup records, point manifests and file-tree lines are
 * `corrupt` (exit 12) naming the object and the field, never a TypeError
 * (exit 1) or a write through a name that is not one path segment. The
 * limits (255-byte names, 4095-byte paths, 1024 components, the dates a JS
 * Date holds) are exact at their edges. The CLI half lives in
 * records-cli.test.ts.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {ChunkId} from '../../../source/engine/ids.js';
import type {BackupRecord, PointManifest} from '../../../source/engine/repository/model.js';
import {
  MAX_DISK_NAME_BYTES,
  MAX_NAME_BYTES,
  MAX_PATH_BYTES,
  MAX_PATH_DEPTH,
  pathProblem,
  segmentProblem,
  targetProblem,
} from '../../../source/engine/repository/names.js';
import {isIsoTime} from '../../../source/engine/repository/record-checks.js';
import {parseLock} from '../../../source/engine/repository/lock-info.js';
import {
  checkBlobEntries,
  checkWritable,
  parseBackupRecord,
  parsePointManifest,
  parseTreeLine,
} from '../../../source/engine/repository/records.js';

const CHUNK = 'a'.repeat(64) as ChunkId;
const B = 'b0000000000a1';
const P = 'p0000000000a1';
const BACKUP_KEY = `backups/${B}/backup.json`;
const POINT_KEY = `backups/${B}/points/${P}.json`;

const record = (): BackupRecord => ({
  format: 1,
  id: B as never,
  job: 'daily',
  machine: 'ws1',
  kind: 'workstation',
  owner: 'alice',
  access: ['user:alice'],
  createdAt: '2026-01-01T00:00:00.000Z',
  nodes: [{name: 'ws1', disks: [{name: 'files', kind: 'files', shared: false}]}],
});
const manifest = (): PointManifest => ({
  format: 1,
  id: P as never,
  backupId: B as never,
  time: '2026-01-01T02:00:00.000Z',
  type: 'full',
  logicalBytes: 5,
  storedBytes: 3,
  nodes: [
    {
      name: 'ws1',
      disks: [
        {name: 'files', kind: 'files', shared: false, logicalBytes: 5, fileCount: 1, tree: [CHUNK]},
        {name: 'root', kind: 'image', shared: false, logicalBytes: 8, image: {size: 8, chunks: [CHUNK]}},
      ],
    },
  ],
});
const entry = (): Record<string, unknown> => ({
  path: 'home/a.txt',
  type: 'file',
  mode: 0o644,
  uid: 1000,
  gid: 1000,
  mtimeMs: 1736200800000,
  size: 5,
  chunks: [CHUNK],
  ino: 12,
  ctimeMs: 1736200800000,
});

/** Asserts `fn` throws `corrupt` whose message names each of `words`. */
function assertCorrupt(fn: () => unknown, ...words: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof BackhaulError, `a BackhaulError, not ${String(e)}`);
    assert.equal(e.code, 'corrupt', e.message);
    assert.equal(e.exitCode, 12);
    for (const w of words) assert.ok(e.message.includes(w), `"${e.message}" names ${w}`);
    return true;
  });
}

const backup = (v: unknown) => parseBackupRecord(v, BACKUP_KEY, '/srv/repo');
const point = (v: unknown) => parsePointManifest(v, POINT_KEY, '/srv/repo');
const line = (v: unknown, n = 7) => {
  const data = Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));
  return parseTreeLine(data, 0, data.length, 'files', n);
};
function edited<T>(make: () => T, edit: (v: T & Record<string, any>) => void): T {
  const v = make();
  edit(v as T & Record<string, any>);
  return v;
}

test('sound records pass unchanged, unknown fields kept', () => {
  const r = {...record(), futureField: {x: 1}};
  assert.equal(backup(r), r);
  const m = {
    ...manifest(),
    parent: 'p0000000000a0',
    origin: {repositoryId: 'r', location: '/x', copiedAt: 't'},
    extra: true,
  };
  assert.equal(point(m), m);
  const e = {...entry(), xattrs: {}};
  assert.deepEqual(line(e), e);
  assert.deepEqual(
    line({path: 'l', type: 'symlink', mode: 0o777, uid: 0, gid: 0, mtimeMs: -1e3, size: 0, target: '../x'}).target,
    '../x',
  );
  assert.equal(backup({...record(), access: null}).access, null);
});

const badBackups: Array<[string, (r: any) => void, string]> = [
  ['id of another backup', r => (r.id = 'b0000000000b2'), 'id'],
  ['id not an id', r => (r.id = '../../x'), 'id'],
  ['format 2', r => (r.format = 2), 'format'],
  ['nodes null', r => (r.nodes = null), 'nodes'],
  ['a node null', r => (r.nodes = [null]), 'nodes[0]'],
  ['disks missing', r => delete r.nodes[0].disks, 'nodes[0].disks'],
  ['a node named lnk/sub', r => (r.nodes[0].name = 'lnk/sub'), 'nodes[0].name'],
  ['a node named ..', r => (r.nodes[0].name = '..'), 'nodes[0].name'],
  ['two nodes of one name', r => r.nodes.push({...r.nodes[0]}), 'nodes[1].name'],
  ['a disk named .', r => (r.nodes[0].disks[0].name = '.'), 'nodes[0].disks[0].name'],
  ['a disk kind', r => (r.nodes[0].disks[0].kind = 'tape'), 'nodes[0].disks[0].kind'],
  ['shared as a string', r => (r.nodes[0].disks[0].shared = 'yes'), 'nodes[0].disks[0].shared'],
  ['an owner node with /', r => (r.nodes[0].disks[0].ownerNode = 'a/b'), 'ownerNode'],
  ['machine a number', r => (r.machine = 7), 'machine'],
  ['kind unknown', r => (r.kind = 'laptop'), 'kind'],
  ['access a string', r => (r.access = 'user:alice'), 'access'],
  ['a principal a number', r => (r.access = [5]), 'access[0]'],
  ['a principal without a name', r => (r.access = ['user:']), 'access[0]'],
  ['origin a string', r => (r.origin = 'elsewhere'), 'origin'],
];

test('crafted backup records are corrupt, naming the key and the field', () => {
  assertCorrupt(() => backup(null), BACKUP_KEY, '/srv/repo', 'null');
  assertCorrupt(() => backup([]), BACKUP_KEY, 'a list');
  assertCorrupt(() => backup('x'), BACKUP_KEY);
  for (const [what, edit, field] of badBackups) {
    assert.doesNotThrow(() => backup(record()), what);
    assertCorrupt(() => backup(edited(record, edit)), BACKUP_KEY, field);
  }
});

const badPoints: Array<[string, (m: any) => void, string]> = [
  ['id of another point', m => (m.id = 'p0000000000b2'), 'id'],
  ['backupId of another backup', m => (m.backupId = 'b0000000000b2'), 'backupId'],
  ['nodes null', m => (m.nodes = null), 'nodes'],
  ['a node named lnk/sub', m => (m.nodes[0].name = 'lnk/sub'), 'nodes[0].name'],
  ['a 300-byte node name', m => (m.nodes[0].name = 'n'.repeat(300)), 'nodes[0].name'],
  ['a disk named ..', m => (m.nodes[0].disks[1].name = '..'), 'nodes[0].disks[1].name'],
  ['a disk named with a NUL', m => (m.nodes[0].disks[0].name = 'a\0b'), 'nodes[0].disks[0].name'],
  ['two disks of one name', m => (m.nodes[0].disks[1].name = 'files'), 'nodes[0].disks[1].name'],
  ['a time that is no date', m => (m.time = 'yesterday'), 'time'],
  ['a time out of range', m => (m.time = '2026-13-45T99:00:00Z'), 'time'],
  ['a type', m => (m.type = 'differential'), 'type'],
  ['a parent not an id', m => (m.parent = {}), 'parent'],
  ['logicalBytes a string', m => (m.logicalBytes = '5'), 'logicalBytes'],
  ['storedBytes negative', m => (m.storedBytes = -1), 'storedBytes'],
  ['a tree missing on a files disk', m => delete m.nodes[0].disks[0].tree, 'nodes[0].disks[0].tree'],
  ['a tree chunk not an id', m => (m.nodes[0].disks[0].tree = ['../x']), 'nodes[0].disks[0].tree'],
  ['a tree chunk a number', m => (m.nodes[0].disks[0].tree = [5]), 'nodes[0].disks[0].tree'],
  ['an image missing on an image disk', m => delete m.nodes[0].disks[1].image, 'nodes[0].disks[1].image'],
  ['an image size a string', m => (m.nodes[0].disks[1].image.size = '8'), 'nodes[0].disks[1].image.size'],
  ['image chunks null', m => (m.nodes[0].disks[1].image.chunks = null), 'nodes[0].disks[1].image.chunks'],
  ['a fileCount of 1.5', m => (m.nodes[0].disks[0].fileCount = 1.5), 'fileCount'],
];

test('crafted point manifests are corrupt, naming the key and the field', () => {
  assertCorrupt(() => point(null), POINT_KEY, 'null');
  assertCorrupt(() => point([]), POINT_KEY, 'a list');
  for (const [what, edit, field] of badPoints) {
    assert.doesNotThrow(() => point(manifest()), what);
    assertCorrupt(() => point(edited(manifest, edit)), POINT_KEY, field);
  }
});

const badEntries: Array<[string, (e: any) => void, string]> = [
  ['an absolute path', e => (e.path = '/etc/passwd'), 'path'],
  ['a .. component', e => (e.path = 'home/../../x'), 'path'],
  ['a . component', e => (e.path = './x'), 'path'],
  ['an empty component', e => (e.path = 'home//x'), 'path'],
  ['a trailing slash', e => (e.path = 'home/'), 'path'],
  ['a NUL in the path', e => (e.path = 'home/a\0b'), 'path'],
  ['a 300-byte name', e => (e.path = `home/${'n'.repeat(300)}`), 'path'],
  ['a path that is a number', e => (e.path = 5), 'path'],
  ['a type', e => (e.type = 'fifo'), 'type'],
  ['a mode with more than permission bits', e => (e.mode = 0o10000), 'mode'],
  ['a negative mode', e => (e.mode = -1), 'mode'],
  ['a string gid', e => (e.gid = '1000'), 'gid'],
  ['a uid beyond 32 bits', e => (e.uid = 2 ** 32), 'uid'],
  ['a fractional uid', e => (e.uid = 1.5), 'uid'],
  ['mtimeMs 1e20', e => (e.mtimeMs = 1e20), 'mtimeMs'],
  ['a string mtimeMs', e => (e.mtimeMs = '1736200800000'), 'mtimeMs'],
  ['mtimeMs missing', e => delete e.mtimeMs, 'mtimeMs'],
  ['a negative size', e => (e.size = -5), 'size'],
  ['a size beyond 2^53', e => (e.size = 2 ** 60), 'size'],
  ['chunks null', e => (e.chunks = null), 'chunks'],
  ['a chunk in upper case', e => (e.chunks = ['A'.repeat(64)]), 'chunks'],
  ['an ino a string', e => (e.ino = '12'), 'ino'],
  ['a ctimeMs NaN-ish', e => (e.ctimeMs = 'now'), 'ctimeMs'],
  ['a NUL in a symlink target', e => Object.assign(e, {type: 'symlink', target: 'a\0b', chunks: undefined}), 'target'],
  ['a symlink without a target', e => Object.assign(e, {type: 'symlink', chunks: undefined}), 'target'],
  ['an empty symlink target', e => Object.assign(e, {type: 'symlink', target: ''}), 'target'],
  ['a 4096-byte symlink target', e => Object.assign(e, {type: 'symlink', target: 't'.repeat(4096)}), 'target'],
];

test('crafted tree lines are corrupt, naming the disk, the line and the field', () => {
  for (const [what, edit, field] of badEntries) {
    const e = entry();
    edit(e);
    assertCorrupt(() => line(e, 42), 'disk "files"', 'line 42', field);
    assert.doesNotThrow(() => line(entry()), what);
  }
  assertCorrupt(() => line('this is not json', 3), 'disk "files"', 'line 3', 'not valid JSON');
  assertCorrupt(() => line('null'), 'null');
  assertCorrupt(() => line('[1,2]'), 'a list');
  // The restore layer's own wording survives: a refused path says "unsafe path".
  assertCorrupt(() => line({...entry(), path: '../x'}), 'unsafe path');
});

test('names: one segment of at most 255 bytes, counted in UTF-8', () => {
  assert.equal(segmentProblem('n'.repeat(MAX_NAME_BYTES)), undefined);
  assert.match(segmentProblem('n'.repeat(MAX_NAME_BYTES + 1))!, /longer than 255/);
  assert.equal(segmentProblem('é'.repeat(127)), undefined, '254 bytes');
  assert.match(segmentProblem('é'.repeat(128))!, /longer/, '256 bytes');
  assert.equal(segmentProblem('文'.repeat(85)), undefined, '255 bytes');
  assert.match(segmentProblem('文'.repeat(86))!, /longer/, '258 bytes');
  assert.equal(segmentProblem('😀'.repeat(63)), undefined, '252 bytes: a surrogate pair is 4');
  assert.match(segmentProblem('😀'.repeat(64))!, /longer/, '256 bytes');
  assert.equal(segmentProblem('d'.repeat(MAX_DISK_NAME_BYTES), MAX_DISK_NAME_BYTES), undefined);
  assert.ok(
    segmentProblem('d'.repeat(MAX_DISK_NAME_BYTES + 1), MAX_DISK_NAME_BYTES),
    'a disk name leaves room for ".img"',
  );
  for (const bad of ['', '.', '..', 'a/b', '/', 'a\0', 5, null]) assert.ok(segmentProblem(bad), JSON.stringify(bad));
  for (const good of ['...', '.hidden', 'a b', 'line\nbreak', 'ünï'])
    assert.equal(segmentProblem(good), undefined, good);
});

test('paths: at most 4095 bytes and 1024 components, each a safe segment', () => {
  const deep = (n: number) => Array.from({length: n}, () => 'd').join('/');
  assert.equal(pathProblem(deep(MAX_PATH_DEPTH)), undefined);
  assert.match(pathProblem(deep(MAX_PATH_DEPTH + 1))!, /more than 1024 components/);
  const long = (bytes: number) =>
    Array.from({length: Math.ceil(bytes / 201)}, () => 'x'.repeat(200))
      .join('/')
      .slice(0, bytes);
  assert.equal(Buffer.byteLength(long(MAX_PATH_BYTES)), MAX_PATH_BYTES);
  assert.equal(pathProblem(long(MAX_PATH_BYTES)), undefined);
  assert.match(pathProblem(long(MAX_PATH_BYTES + 1))!, /longer than 4095/);
  assert.match(
    pathProblem(`${'é'.repeat(100)}/${'x'.repeat(200)}/`.repeat(10).slice(0, -1) + '/é'.repeat(400))!,
    /longer than 4095/,
    'bytes, not characters',
  );
  assert.equal(pathProblem(`a/${'n'.repeat(255)}/b`), undefined);
  assert.match(pathProblem(`a/${'n'.repeat(256)}/b`)!, /component longer than 255/);
  assert.equal(targetProblem('t'.repeat(MAX_PATH_BYTES)), undefined);
  assert.match(targetProblem('é'.repeat(2048))!, /longer/);
  assert.equal(targetProblem('/absolute/is/fine/for/a/target'), undefined);
});

test('mtimeMs: anything a JS Date holds, nothing beyond', () => {
  for (const t of [8.64e15, -8.64e15, 0, 1.5]) assert.equal(line({...entry(), mtimeMs: t}).mtimeMs, t);
  for (const t of [8.64e15 + 1, -8.64e15 - 1, 1e20]) assertCorrupt(() => line({...entry(), mtimeMs: t}), 'mtimeMs');
  assertCorrupt(
    () => line('{"path":"a","type":"file","mode":420,"uid":0,"gid":0,"mtimeMs":1e400,"size":0}'),
    'mtimeMs',
  );
});

test('point times: ISO 8601 as Date.parse reads it, the toISOString form checked field by field', () => {
  for (const t of [
    '2026-01-02T03:04:05.678Z',
    '1970-01-01T00:00:00.000Z',
    '2026-01-02T03:04:05Z',
    '2026-01-02T03:04Z',
    '2026-01-02T03:04:05.678+02:00',
    '+275760-09-13T00:00:00.000Z',
    new Date(-8.64e15).toISOString(),
  ]) {
    assert.ok(isIsoTime(t), t);
  }
  for (const t of [
    '2026-13-02T03:04:05.678Z',
    '2026-00-02T03:04:05.678Z',
    '2026-01-32T03:04:05.678Z',
    '2026-01-02T24:04:05.678Z',
    '2026-01-02T03:60:05.678Z',
    '2026-01-02T03:04:60.678Z',
    '2026-01-02T03:04:05.67xZ',
    '2026-01-02 03:04:05.678Z',
    '2026-01-02T03:04:05.678',
    'yesterday',
    '',
    '1736200800000',
  ]) {
    assert.equal(isIsoTime(t), false, t);
  }
});

test('a writer refuses what a reader would refuse: usage, not a damaged repository', () => {
  assert.doesNotThrow(() => checkWritable(record(), manifest()));
  for (const [r, m] of [
    [edited(record, x => (x.nodes[0].name = 'a/b')), undefined],
    [record(), edited(manifest, x => (x.nodes[0].disks[0].name = '..'))],
  ] as const) {
    assert.throws(
      () => checkWritable(r, m),
      (e: BackhaulError) => e.code === 'usage' && /single path segment/.test(e.hint),
    );
  }
});

test('index and pack blob lists, and the writer lock, never throw a TypeError', () => {
  const good = [
    [CHUNK, 0, 10, 10, 0],
    [CHUNK, 10, 5, 10, 1],
  ];
  assert.equal(checkBlobEntries(good, 'pack x'), good);
  for (const bad of [
    null,
    {},
    [null],
    [[CHUNK, '0', 10, 10, 0]],
    [[CHUNK, 0, -1, 10, 0]],
    [[CHUNK, 0, 1, 1, 3]],
    [[5, 0, 1, 1, 0]],
    [[CHUNK, 0, 1, 2 ** 40, 1]],
  ]) {
    assertCorrupt(() => checkBlobEntries(bad, 'pack x'), 'pack x');
  }
  for (const bad of [
    'null',
    '[]',
    '{"pid":"1"}',
    'garbage',
    '{"host":"h","pid":1,"user":"u","operation":"o","time":"t"}',
  ]) {
    assert.equal(parseLock(Buffer.from(bad)), undefined, bad);
  }
  assert.ok(parseLock(Buffer.from('{"host":"h","pid":1,"user":"u","operation":"o","time":"t","refreshed":"t"}')));
});
