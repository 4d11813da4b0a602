/**
 * The frozen version-2 test vectors (test/fixtures/repo-v2, plain, and
 * repo-v2-encrypted; written once by scripts/make-repo-v2-fixtures.ts,
 * committed) stay readable, byte for byte:
 * - every stored file is exactly the committed one (repo-v2-vectors.json);
 * - what FORMAT.md says of names, index files, key files and chunk ids holds
 *   when checked here with node:crypto alone (an independent reader);
 * - this Backhaul opens both, lists them from the catalogue, reads every
 *   restore point's tree, files and image back to repo-v2-content.ts, and
 *   verifies them.
 * If this test fails, the change broke the format: raise FORMAT_VERSION and
 * keep a reader for version 2 instead of editing the fixtures.
 */
import assert from 'node:assert/strict';
import {createDecipheriv, createHash, createHmac, scryptSync} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {tmpdir} from 'node:os';
import type {BackupId, ChunkId} from '../../../source/engine/ids.js';
import type {DiskManifest} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {ROOT} from '../../helpers/cli.js';
import {V2_CLOCK, V2_PASSWORD, V2_POINT_TIMES, v2Image, v2Tree} from '../../fixtures/repo-v2-content.js';

const FIXTURES = join(ROOT, 'test', 'fixtures');
interface Vectors {
  id: string;
  masterKey?: string;
  superseding: string;
  superseded: string[];
  files: Record<string, string>;
}
const vectors = JSON.parse(await fs.readFile(join(FIXTURES, 'repo-v2-vectors.json'), 'utf8')) as Record<
  string,
  Vectors
>;
const FIXTURE_NAMES = ['repo-v2', 'repo-v2-encrypted'] as const;

const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** AES-256-GCM as FORMAT.md seals: nonce(12) || ciphertext || tag(16). */
function openSealed(key: Buffer, sealed: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]);
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const path of (await fs.readdir(dir, {recursive: true})).map(String)) {
    if ((await fs.stat(join(dir, path))).isFile()) out.push(path);
  }
  return out.sort();
}

let work: string;
before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-repo-v2-'));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

/** Opened on a copy: the committed fixtures must never change, whatever a test does. */
async function openFixture(name: string): Promise<Repository> {
  const copy = await fs.mkdtemp(join(work, `${name}-`));
  await fs.cp(join(FIXTURES, name), copy, {recursive: true});
  const storage = new FilesystemStorage(copy);
  return Repository.open(storage, name.endsWith('encrypted') ? {password: async () => V2_PASSWORD} : {});
}

for (const name of FIXTURE_NAMES) {
  const encrypted = name.endsWith('encrypted');
  const dir = join(FIXTURES, name);
  const v = vectors[name]!;
  const master = v.masterKey ? Buffer.from(v.masterKey, 'hex') : undefined;
  /** A chunk's id as FORMAT.md defines it: SHA-256, or HMAC-SHA256 under the MAC key. */
  const chunkId = (data: Buffer) =>
    master ? createHmac('sha256', master.subarray(32)).update(data).digest('hex') : sha256(data);
  /** An object's JSON, opened without Backhaul's code. */
  const openObject = (stored: Buffer, aad: string) =>
    JSON.parse((master ? openSealed(master.subarray(0, 32), stored, aad) : stored).toString('utf8')) as Record<
      string,
      unknown
    >;

  test(`${name}: every stored file is exactly the committed one`, async () => {
    const files = await filesUnder(dir);
    assert.deepEqual(files, Object.keys(v.files).sort(), 'the same files, no more');
    for (const path of files) assert.equal(sha256(await fs.readFile(join(dir, path))), v.files[path], path);
  });

  test(`${name}: names, config, key file, index files and chunk ids as FORMAT.md says (checked with node:crypto alone)`, async () => {
    for (const path of await filesUnder(dir)) {
      if (/^(data\/[0-9a-f]{2}|index|keys)\//.test(path))
        assert.equal(sha256(await fs.readFile(join(dir, path))), path.split('/').pop(), `${path}: named by its hash`);
    }
    const config = JSON.parse(await fs.readFile(join(dir, 'config'), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(
      {version: config.version, id: config.id, createdAt: config.createdAt, compression: config.compression},
      {version: 2, id: v.id, createdAt: V2_CLOCK, compression: {algorithm: 'zstd', level: 3}},
    );
    assert.deepEqual(config.encryption, encrypted ? {keyDerivation: 'scrypt', cipher: 'aes-256-gcm'} : null);
    if (master) {
      const [keyName] = await fs.readdir(join(dir, 'keys'));
      const key = JSON.parse(await fs.readFile(join(dir, 'keys', keyName!), 'utf8')) as {
        N: number;
        r: number;
        p: number;
        salt: string;
        data: string;
      };
      const wrapping = scryptSync(V2_PASSWORD.normalize('NFC'), Buffer.from(key.salt, 'base64'), 32, {
        N: key.N,
        r: key.r,
        p: key.p,
        maxmem: 256 * key.N * key.r,
      });
      assert.ok(openSealed(wrapping, Buffer.from(key.data, 'base64'), 'backhaul key v2').equals(master));
    }
    const index = new Map<string, Record<string, unknown>>();
    for (const id of await fs.readdir(join(dir, 'index')))
      index.set(id, openObject(await fs.readFile(join(dir, 'index', id)), 'index/'));
    for (const [id, file] of index) {
      assert.equal(file.format, 2, `index/${id}: format 2`);
      assert.deepEqual(Object.keys(file), ['format', 'supersedes', 'packs'], `index/${id}: its fields, in order`);
    }
    assert.deepEqual(index.get(v.superseding)?.supersedes, v.superseded);
    for (const id of v.superseded) assert.ok(index.has(id), 'the superseded files are still there');
    // Every chunk of the content, under its id, in some index file.
    const indexed = new Set<string>();
    for (const file of index.values())
      for (const p of file.packs as {blobs: [string][]}[]) for (const [chunk] of p.blobs) indexed.add(chunk);
    const contents = [...v2Tree(1), ...v2Tree(2)].flatMap(e => (e.content ? [e.content] : [])).concat(v2Image());
    for (const content of contents) assert.ok(indexed.has(chunkId(content)), 'a content chunk is indexed by its id');
  });

  test(`${name}: this Backhaul lists it from the catalogue and reads every restore point back exactly`, async () => {
    const repo = await openFixture(name);
    assert.equal(repo.config.version, 2);
    assert.equal(repo.codec.encrypted, encrypted);
    assert.deepEqual(repo.index.badIndexFiles, []);
    const encodings = new Set([...repo.index.entries()].map(([, loc]) => loc.encoding));
    assert.deepEqual([...encodings].sort(), [0, 2], 'raw and zstd blobs are both frozen here');
    const backups = new Map((await repo.listBackups()).map(b => [b.machine, b]));
    assert.deepEqual([...backups.keys()].sort(), ['cl-v2', 'ws-v2']);

    const ws = backups.get('ws-v2')!;
    assert.deepEqual([ws.kind, ws.owner, ws.access, ws.createdAt], ['workstation', 'alice', ['user:alice'], V2_CLOCK]);
    const summaries = await repo.listPointSummaries(ws.id);
    assert.deepEqual(
      summaries.map(p => [p.time, p.type]),
      [
        [V2_POINT_TIMES[0], 'full'],
        [V2_POINT_TIMES[1], 'incremental'],
      ],
    );
    assert.deepEqual(
      summaries.map(p => p.id),
      (await repo.listPoints(ws.id)).map(p => p.id),
      'the catalogue names every manifest',
    );
    for (const [i, summary] of summaries.entries()) {
      const point = await repo.getPoint(ws.id as BackupId, summary.id);
      if (i === 1) assert.equal(point.parent, summaries[0]!.id);
      await assertFilesDisk(repo, point.nodes[0]!.disks[0]!, (i + 1) as 1 | 2, chunkId);
    }

    const cl = backups.get('cl-v2')!;
    assert.equal(cl.kind, 'cluster');
    const [only, ...more] = await repo.listPointSummaries(cl.id);
    assert.deepEqual(more, []);
    const point = await repo.getPoint(cl.id, only!.id);
    assert.deepEqual(
      point.nodes.map(n => n.name),
      ['n1', 'n2'],
    );
    const [d1, d2] = point.nodes.map(n => n.disks[0]!);
    assert.deepEqual(d1, d2, 'the shared disk is the same entry on every node');
    assert.deepEqual([d1!.shared, d1!.ownerNode, d1!.kind], [true, 'n2', 'image']);
    const image = Buffer.concat(await Promise.all(d1!.image!.chunks.map(id => repo.readChunk(id))));
    assert.ok(image.equals(v2Image()), 'the image reads back');
    assert.equal(point.logicalBytes, 2 * v2Image().length, 'a shared disk counts once per node');

    const report = await verifyRepository(repo);
    assert.ok(report.ok, JSON.stringify(report.brokenPoints));
    assert.equal(report.points, 3);
  });
}

async function assertFilesDisk(
  repo: Repository,
  disk: DiskManifest,
  point: 1 | 2,
  chunkId: (data: Buffer) => string,
): Promise<void> {
  const expected = v2Tree(point);
  const entries = [];
  for await (const e of repo.readTree(disk)) entries.push(e);
  assert.deepEqual(
    entries.map(e => [e.path, e.type, e.mode, e.uid, e.gid, e.mtimeMs, e.size, e.target]),
    expected.map(e => [e.path, e.type, e.mode, e.uid, e.gid, e.mtimeMs, e.content?.length ?? 0, e.target]),
    `point ${point}: the tree`,
  );
  for (const [i, e] of expected.entries()) {
    if (!e.content) continue;
    const chunks: ChunkId[] = entries[i]!.chunks!;
    assert.deepEqual(chunks, [chunkId(e.content)], `${e.path}: one chunk, named by its id`);
    assert.ok((await repo.readChunk(chunks[0]!)).equals(e.content), `${e.path}: content`);
  }
  assert.equal(
    disk.logicalBytes,
    expected.reduce((s, e) => s + (e.content?.length ?? 0), 0),
  );
}

test('the encrypted vector refuses a wrong password (denied), and opens with the right one', async () => {
  const storage = new FilesystemStorage(join(FIXTURES, 'repo-v2-encrypted'));
  await assert.rejects(Repository.open(storage, {password: async () => 'wrong'}), {code: 'denied'}); // reads only
  assert.equal((await openFixture('repo-v2-encrypted')).id, vectors['repo-v2-encrypted']!.id);
});
