// Damage on either side. A corrupt chunk in the source fails the copy of the
// points that reference it (exit 3, naming them), copies the others, and
// writes nothing corrupt. A target damaged after the copy is named by verify
// (exit 12) and healed by `verify --repair-from SOURCE`, which re-copies only
// the damaged chunks.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import type {ChunkId} from '../../../source/engine/ids.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {pointChunks} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {demoWorkspace, type Workspace} from '../../helpers/demo-cache.js';
import {assertSameRestore} from '../../helpers/restore-compare.js';
import {flipChunkByte} from '../../helpers/damage.js';

interface PointRef {
  backupId: string;
  machine: string;
  point: PointManifest;
  chunks: Set<string>;
}

async function openRepo(dir: string): Promise<Repository> {
  return Repository.open(new FilesystemStorage(dir));
}

async function allPoints(repo: Repository): Promise<PointRef[]> {
  const out: PointRef[] = [];
  for (const b of await repo.listBackups()) {
    for (const point of await repo.listPoints(b.id))
      out.push({backupId: b.id, machine: b.machine, point, chunks: await pointChunks(repo, point)});
  }
  return out;
}

const treeChunks = (p: PointManifest) => new Set<string>(p.nodes.flatMap(n => n.disks.flatMap(d => d.tree ?? [])));

describe('corruption on the source and on the target', () => {
  let ws: Workspace;
  let total = 0;
  let fullBytes = 0;
  let victim: PointRef;
  let unflip: () => Promise<void>;
  const copy = (...args: string[]) => [
    'copy',
    '--from',
    'demo-primary',
    '--to',
    'demo-secondary',
    '--points',
    'all',
    ...args,
  ];

  before(async () => {
    ws = await demoWorkspace('corruption');
    const primary = await openRepo(ws.primary);
    const points = await allPoints(primary);
    total = points.length;
    fullBytes = (await ws.json(copy('--dry-run', '--json'))).transferBytes;
    const uses = new Map<string, number>();
    for (const p of points) for (const id of p.chunks) uses.set(id, (uses.get(id) ?? 0) + 1);
    // The newest point of a workstation; a file chunk (not a tree chunk) no other point references.
    const alice = points.filter(p => p.machine === 'alice-laptop');
    victim = alice.at(-1)!;
    const trees = treeChunks(victim.point);
    const unique = [...victim.chunks].find(id => uses.get(id) === 1 && !trees.has(id));
    assert.ok(unique, 'the newest point of alice-laptop has a chunk of its own');
    unflip = await flipChunkByte(ws.primary, primary, unique);
  });
  after(async () => ws?.cleanup());

  test('a corrupt source chunk fails only the point that references it (exit 3, named); the rest is copied', async () => {
    const r = await ws.run(copy('--json'));
    assert.equal(r.code, 3, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.pointsFailed, 1);
    assert.equal(summary.pointsCopied, total - 1);
    assert.equal(summary.failed[0].pointId, victim.point.id);
    assert.match(summary.failed[0].message, new RegExp(`${victim.point.id} of alice-laptop`));
    const text = await ws.run(copy());
    assert.equal(text.code, 3);
    assert.match(text.stdout + text.stderr, new RegExp(`FAILED: Restore point ${victim.point.id} of alice-laptop`));

    const target = await openRepo(ws.secondary);
    assert.equal(
      await target.hasPoint(victim.backupId as never, victim.point.id),
      false,
      'the failed point is not on the target',
    );
    const copied = await target.listPoints(victim.backupId as never);
    assert.equal(copied.length, 3, 'the older points of the same backup were copied');
    const report = await ws.json(['verify', '--repo', 'demo-secondary', '--json']);
    assert.equal(report.ok, true, 'nothing corrupt was written');
    assert.equal(report.points, total - 1);
  });

  test('once the source is repaired, a re-run copies just the missing point', async () => {
    await unflip();
    const again = await ws.json(copy('--json'));
    assert.equal(again.pointsCopied, 1);
    assert.equal(again.pointsSkipped, total - 1);
    assert.ok(again.transferredBytes > 0 && again.transferredBytes < fullBytes / 10);
    await assertSameRestore(
      ws,
      'demo-primary',
      'demo-secondary',
      {backup: victim.backupId, point: victim.point.id},
      join(ws.dir, 'restore'),
    );
  });

  test('a damaged target pack: verify exits 12 naming the broken points; --repair-from heals only what is damaged', async () => {
    let target = await openRepo(ws.secondary);
    const points = await allPoints(target);
    const db01 = points.filter(p => p.machine === 'db01').at(-1)!;
    const trees = treeChunks(db01.point);
    // A raw or zstd chunk, not a deflated one: a flipped byte inside a deflate stream of repetitive
    // data can decode to the very same bytes (another back-reference into zeros), which is no damage
    // at all. (Version 2 compresses nearly every chunk of db01's image with zstd.)
    const candidates = [...db01.chunks].filter(id => !trees.has(id));
    const chunk =
      candidates.find(id => target.index.get(id)?.encoding === 0) ??
      candidates.find(id => target.index.get(id)?.encoding === 2)!;
    assert.ok(chunk, 'db01 has a stored chunk to damage');
    await flipChunkByte(ws.secondary, target, chunk);
    const broken = points
      .filter(p => p.chunks.has(chunk))
      .map(p => p.point.id)
      .sort();
    assert.ok(broken.includes(db01.point.id));

    const json = await ws.run(['verify', '--repo', 'demo-secondary', '--json']);
    assert.equal(json.code, 12, json.stderr);
    const report = JSON.parse(json.stdout);
    assert.equal(report.ok, false);
    assert.deepEqual(report.brokenPoints.map((p: any) => p.pointId).sort(), broken);
    assert.equal(report.badPacks.length, 1);
    const text = await ws.run(['verify', '--repo', 'demo-secondary']);
    assert.equal(text.code, 12);
    for (const id of broken) assert.match(text.stdout, new RegExp(`broken restore point ${id} of db01`));
    assert.match(text.stderr, /--repair-from/, 'the hint names the way to heal');

    const healed = await ws.run(['verify', '--repo', 'demo-secondary', '--repair-from', 'demo-primary', '--json']);
    assert.equal(healed.code, 0, healed.stderr + healed.stdout);
    const after = JSON.parse(healed.stdout);
    assert.equal(after.ok, true);
    assert.ok(after.repaired.chunksRecopied >= 1);
    assert.equal(after.repaired.unrecoverable, 0);
    assert.ok(
      after.repaired.bytesRecopied > 0 && after.repaired.bytesRecopied < fullBytes / 10,
      `re-copied ${after.repaired.bytesRecopied} bytes of a ${fullBytes}-byte repository`,
    );

    const clean = await ws.json(['verify', '--repo', 'demo-secondary', '--json']);
    assert.equal(clean.ok, true);
    assert.equal(clean.points, total);
    target = await openRepo(ws.secondary);
    assert.ok(target.index.has(chunk as ChunkId));
    await assertSameRestore(
      ws,
      'demo-primary',
      'demo-secondary',
      {backup: db01.backupId, point: db01.point.id},
      join(ws.dir, 'restore'),
    );
    const noop = await ws.json(copy('--json'));
    assert.equal(noop.transferredBytes, 0);
  });

  test('a damaged file tree in the source fails that point alone, named in the plan and the run', async () => {
    const primary = await openRepo(ws.primary);
    const points = await allPoints(primary);
    const uses = new Map<string, number>();
    for (const p of points) for (const id of p.chunks) uses.set(id, (uses.get(id) ?? 0) + 1);
    const bob = points.filter(p => p.machine === 'bob-desktop').at(-1)!;
    const tree = [...treeChunks(bob.point)].find(id => uses.get(id) === 1);
    assert.ok(tree, 'the newest point of bob-desktop has a tree chunk of its own');
    const restore = await flipChunkByte(ws.primary, primary, tree);
    try {
      const r = await ws.run(['repo', 'add', 'tree-target', join(ws.dir, 'tree-target')]);
      assert.equal(r.code, 0, r.stderr);
      const args = [
        'copy',
        '--from',
        'demo-primary',
        '--to',
        'tree-target',
        '--machine',
        'bob-desktop',
        '--points',
        'all',
      ];
      const plan = await ws.run([...args, '--dry-run']);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, new RegExp(`DAMAGED ${bob.point.id} .*it will not be copied`));
      const run = await ws.run([...args, '--json']);
      assert.equal(run.code, 3, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.deepEqual(
        summary.failed.map((f: any) => f.pointId),
        [bob.point.id],
      );
      assert.match(summary.failed[0].message, new RegExp(`Restore point ${bob.point.id} of bob-desktop`));
      assert.equal(summary.pointsCopied, 3);
      const report = await ws.json(['verify', '--repo', 'tree-target', '--json']);
      assert.equal(report.ok, true);
      assert.equal(report.points, 3);
    } finally {
      await restore();
    }
  });
});
