/**
 * Depth and length at the edges: a 4,000-level path (which took over a minute
 * per restore mode when path handling was quadratic) is refused at once with
 * the record named, by every mode; a 1,000-level tree — deep, but within the
 * caps — restores whole, plain and delegated, because every step is taken
 * relative to an open directory rather than by a path that grows with depth.
 * A 300-byte name is refused, never ENAMETOOLONG half-way; a chunk found
 * damaged while its file is written leaves no part of that file.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import {delegatedRestore} from '../../../source/engine/restore/delegated.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {restorePoint} from '../../../source/engine/restore/restore.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {flipChunkByte} from '../../helpers/damage.js';
import {asRoot, contextFor, craftedRepo, openTemp, type Spec} from './crafted.js';

const nobody = spawnSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).stdout.trim();
const root = process.getuid?.() === 0;
let tmp: {dir: string; cleanup: () => Promise<void>};
let n = 0;

before(async () => {
  tmp = await openTemp('deep');
  await fs.chmod(tmp.dir, 0o1777);
});
after(() => tmp.cleanup());

/** Directories d/d/…/d `depth` levels deep, with a file at the bottom. */
function chain(depth: number): Spec[] {
  const specs: Spec[] = [];
  let path = '';
  for (let i = 0; i < depth; i++) {
    path = path ? `${path}/d` : 'd';
    specs.push({path});
  }
  specs.push({path: `${path}/bottom.txt`, content: 'at the bottom\n'});
  return specs;
}

async function modes(specs: Spec[]) {
  const base = join(tmp.dir, `case${++n}`);
  await fs.mkdir(base, {mode: 0o1777});
  await fs.chmod(base, 0o1777);
  const {repo, backup, point} = await craftedRepo(join(base, 'repo'), specs);
  const access = await contextFor(repo, asRoot);
  const forUser = root && nobody ? 'nobody' : 'root';
  return {
    base,
    runs: {
      'plain dir': () => restorePoint(repo, backup, point, {to: join(base, 'plain')}),
      'plain tar': () => restorePoint(repo, backup, point, {to: join(base, 'plain.tar'), tar: true}),
      'delegated dir': () =>
        delegatedRestore(repo, access, {
          backupId: backup.id,
          pointId: point.id,
          forUser,
          reason: 'deep',
          destination: {kind: 'dir', path: join(base, 'delegated'), conflict: 'keep'},
        }),
      'delegated tar': () =>
        delegatedRestore(repo, access, {
          backupId: backup.id,
          pointId: point.id,
          forUser,
          reason: 'deep',
          destination: {kind: 'tar', path: join(base, 'delegated.tar')},
        }),
    },
  };
}

test('a 4,000-level path is refused at once by every mode, naming the limit; nothing is written', async () => {
  const {base, runs} = await modes(chain(4000));
  for (const [mode, run] of Object.entries(runs)) {
    await assert.rejects(
      run(),
      (e: unknown) =>
        e instanceof BackhaulError &&
        e.exitCode === 12 &&
        /more than 1024 components|longer than 4095 bytes/.test(e.message),
      mode,
    );
  }
  assert.deepEqual((await fs.readdir(base)).sort(), ['repo']);
});

test(
  'a 1,000-level tree restores whole, plain and delegated',
  {skip: !root && 'delegated restores need root'},
  async () => {
    const {base, runs} = await modes(chain(1000));
    for (const [mode, run] of Object.entries(runs))
      await run().catch((e: unknown) => assert.fail(`${mode}: ${(e as Error).message}`));
    for (const dir of ['plain', 'delegated']) {
      const bottom = join(base, dir, ...Array.from({length: 1000}, () => 'd'), 'bottom.txt');
      // Read through the shell's relative walk: the path is longer than PATH_MAX.
      const r = spawnSync(
        'sh',
        ['-c', `cd ${join(base, dir)} && for i in $(seq 1000); do cd d || exit 1; done && cat bottom.txt`],
        {encoding: 'utf8'},
      );
      assert.equal(r.stdout, 'at the bottom\n', `${dir}: ${r.stderr} (${bottom.length} bytes of path)`);
    }
    for (const archive of ['plain.tar', 'delegated.tar']) {
      const list = spawnSync('tar', ['-tf', join(base, archive)], {encoding: 'utf8', maxBuffer: 64 * 1024 * 1024});
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /\/bottom\.txt$/m);
    }
  },
);

test('a 300-byte name is refused as a record, not ENAMETOOLONG half-way', async () => {
  const {base, runs} = await modes([
    {path: 'ok.txt', content: 'fine'},
    {path: 'n'.repeat(300), content: 'x'},
  ]);
  for (const [mode, run] of Object.entries(runs)) {
    await assert.rejects(
      run(),
      (e: unknown) => e instanceof BackhaulError && e.exitCode === 12 && /longer than 255 bytes/.test(e.message),
      mode,
    );
  }
  assert.deepEqual((await fs.readdir(base)).sort(), ['repo']);
});

test('a chunk found damaged half-way through a file leaves no part of that file, in any mode', async () => {
  const first = Buffer.alloc(300_000, 1);
  const second = Buffer.alloc(300_000, 2);
  const base = join(tmp.dir, `case${++n}`);
  await fs.mkdir(base, {mode: 0o1777});
  await fs.chmod(base, 0o1777);
  const crafted = await craftedRepo(join(base, 'repo'), [
    {path: 'whole.txt', content: 'fine\n'},
    {path: 'big.bin', content: Buffer.concat([first, second])},
  ]);
  const {backup, point} = crafted;
  // The crafted file is one chunk: damage it, so the failure comes while big.bin is being written.
  let big;
  for await (const e of crafted.repo.readTree(point.nodes[0]!.disks[0]!)) if (e.path === 'big.bin') big = e;
  await flipChunkByte(join(base, 'repo'), crafted.repo, big!.chunks!.at(-1)!);
  const repo = await Repository.open(new FilesystemStorage(join(base, 'repo'))); // no pack cached from before the damage
  await assert.rejects(
    restorePoint(repo, backup, point, {to: join(base, 'plain')}),
    (e: unknown) => e instanceof BackhaulError && e.exitCode === 12,
  );
  const left = await fs.readdir(join(base, 'plain'));
  assert.deepEqual(
    left.filter(name => name !== 'whole.txt'),
    [],
    'a partial or temporary file was left',
  );
  await assert.rejects(
    restorePoint(repo, backup, point, {to: join(base, 'plain.tar'), tar: true}),
    (e: unknown) => e instanceof BackhaulError && e.exitCode === 12,
  );
  assert.ok(
    !(await fs.readdir(base)).some(name => name.includes('.tar') || name.startsWith('.backhaul')),
    'a partial archive was left',
  );
});
