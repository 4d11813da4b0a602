// The verify pool's workers and the main thread's verify decide alike about
// the same packs — sound, a damaged chunk, a damaged trailer — because both
// call the format's one definition of a sound pack and of a sound blob.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {existsSync} from 'node:fs';
import {mkdir, mkdtemp, open, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {createRepository, resolveRepository} from '../../../source/engine/workspace/open.js';
import {packKey, type BlobEntry} from '../../../source/engine/repository/pack.js';
import type {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {checkPack} from '../../../source/engine/workers/pack-checks.js';
import {VerifyPool} from '../../../source/engine/workers/verify-pool.js';
import {flipChunkByte} from '../../helpers/damage.js';
import {text} from '../../helpers/compression-cases.js';

let dir: string;
let location: string;
let pool: VerifyPool;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-pack-checks-'));
  location = join(dir, 'repo');
  const repo = await createRepository({location});
  const src = join(dir, 'src');
  await mkdir(src);
  await writeFile(join(src, 'log.txt'), text(700 * 1024));
  await writeFile(join(src, 'random.bin'), randomBytes(600 * 1024));
  for (let i = 0; i < 20; i++) await writeFile(join(src, `small-${i}.txt`), text(2000 + i));
  await runBackup(repo, {
    job: 'j',
    machine: 'm',
    kind: 'server',
    owner: 'root',
    time: new Date(Date.UTC(2026, 0, 1)),
    nodes: [{name: 'm', disks: [{name: 'files', kind: 'files', roots: [{root: src, prefix: ''}]}]}],
  });
  pool = new VerifyPool(2);
});
after(async () => {
  await pool.close();
  await rm(dir, {recursive: true, force: true});
});

/** Every pack as the index lists it, with its file. */
async function packs(): Promise<{repo: Repository; list: {pack: string; path: string; blobs: BlobEntry[]}[]}> {
  const repo = await resolveRepository(location);
  return {
    repo,
    list: [...repo.index.byPack()].map(([pack, blobs]) => ({pack, path: join(location, packKey(pack)), blobs})),
  };
}

/** What the workers say of each pack, three ways: read from its file, given its bytes, and its trailer alone. */
async function workersSay(list: {pack: string; path: string; blobs: BlobEntry[]}[]) {
  const verdicts = [];
  for (const {pack, path, blobs} of list) {
    const fromFile = (await pool.verifyFile(path, pack, blobs))!;
    const given = await pool.verify(await readFile(path), pack, blobs);
    const layout = (await pool.layout({path}, blobs))!;
    const here = await checkPack(await readFile(path), 'pack', pack, blobs);
    verdicts.push({
      pack,
      packOk: fromFile.packOk,
      bad: fromFile.bad,
      given: {packOk: given.packOk, bad: given.bad},
      layoutOk: layout.packOk,
      here,
    });
    for (const c of [fromFile, given, layout]) c.release();
  }
  return verdicts;
}

async function agree(expectBadPack: string | undefined, expectBadChunks: string[]) {
  const {repo, list} = await packs();
  const report = await verifyRepository(repo);
  assert.deepEqual(report.badPacks, expectBadPack ? [expectBadPack] : [], 'the main thread names the unsound pack');
  assert.deepEqual(report.badChunks.sort(), [...expectBadChunks].sort(), 'the main thread names the damaged chunks');
  for (const v of await workersSay(list)) {
    const badHere = report.badPacks.includes(v.pack);
    assert.equal(v.packOk, !badHere, `the workers and verify agree on pack ${v.pack.slice(0, 8)}`);
    assert.deepEqual(
      v.bad.sort(),
      report.badChunks.filter(id => list.find(p => p.pack === v.pack)!.blobs.some(b => b[0] === id)).sort(),
      'the workers name the same damaged chunks',
    );
    assert.deepEqual(
      v.given,
      {packOk: v.packOk, bad: v.bad},
      'a pack given in memory is judged as one read from its file',
    );
    assert.deepEqual(
      v.here,
      {packOk: v.packOk, bad: v.bad},
      'the workers decide what pack-checks.ts decides on this thread',
    );
  }
  return list;
}

test('sound packs: sound for both', async () => {
  const list = await agree(undefined, []);
  assert.ok(list.length >= 1);
  for (const {pack, path, blobs} of list) {
    const temp = join(dir, `copy-${pack}`);
    assert.equal(await pool.copyPack(path, temp, pack, blobs), true);
    assert.ok((await readFile(temp)).equals(await readFile(path)), 'a sound pack is copied byte for byte');
  }
});

test('a damaged chunk: the pack is unsound and the same chunk is named; it is not copied, though its trailer is intact', async () => {
  const {repo, list} = await packs();
  const victim = list.flatMap(p => p.blobs).find(b => b[4] !== 0)!;
  const unflip = await flipChunkByte(location, repo, victim[0]);
  try {
    const pack = repo.index.get(victim[0])!.pack;
    const after = await agree(pack, [victim[0]]);
    const {path, blobs} = after.find(p => p.pack === pack)!;
    const layout = (await pool.layout({path}, blobs))!;
    assert.equal(layout.packOk, true, 'the trailer alone (a target that checks the hash itself) is fine');
    layout.release();
    const temp = join(dir, 'copy-of-damaged');
    assert.equal(await pool.copyPack(path, temp, pack, blobs), false);
    assert.equal(existsSync(temp), false, 'nothing is written for an unsound pack');
  } finally {
    await unflip();
  }
});

test('a damaged trailer: the pack is unsound for both, its chunks still sound', async () => {
  const {list} = await packs();
  const {pack, path, blobs} = list[0]!;
  const original = await readFile(path);
  const handle = await open(path, 'r+');
  try {
    // The trailer says the first blob is one byte longer: still JSON, still valid entries, no longer the pack's layout.
    const trailerStart = original.length - 12 - original.readUInt32LE(original.length - 12);
    const trailer = original.subarray(trailerStart, original.length - 12).toString();
    const first = blobs.find(b => b[1] === 0)!;
    const edited = trailer.replace(
      `[${JSON.stringify(first[0])},0,${first[2]},`,
      `[${JSON.stringify(first[0])},0,${first[2] + 1},`,
    );
    assert.notEqual(edited, trailer);
    await handle.write(Buffer.from(edited), 0, edited.length, trailerStart);
  } finally {
    await handle.close();
  }
  try {
    await agree(pack, []);
    const layout = (await pool.layout({path}, blobs))!;
    assert.equal(layout.packOk, false, 'the trailer no longer matches the index');
    layout.release();
  } finally {
    await writeFile(path, original);
  }
});
