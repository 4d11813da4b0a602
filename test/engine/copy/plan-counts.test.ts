// What a copy plan counts (issue 18): pointsSkipped is every point the plan
// lists as skipped — not selected, or already on the target — split into
// pointsNotSelected and pointsOnTarget (a run counts only the latter as
// skipped); and a cluster's shared-disk transfer is counted under the node
// that owns the disk (the one the agent reads it on), or, when the owner is
// not copied, under the first copied node, the note saying which.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import {resolveRepository} from '../../../source/engine/workspace/open.js';
import {makeWorld, type World} from '../../ui/screens/world.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

test('pointsSkipped counts every skipped point; the split says why; a run counts only those already there', async () => {
  const [source, target] = await Promise.all([resolveRepository('demo-primary'), resolveRepository('demo-secondary')]);
  const alice = (await source.listBackups()).find(b => b.machine === 'alice-laptop')!;
  const latest = await planCopy(source, target, {backups: [alice.id]});
  const skipped = latest.backups.flatMap(b => b.points).filter(p => p.action === 'skip');
  assert.equal(skipped.length, 2);
  assert.deepEqual(
    [latest.pointsToCopy, latest.pointsSkipped, latest.pointsNotSelected, latest.pointsOnTarget],
    [1, 2, 2, 0],
  );
  const summary = await runCopy(source, target, latest);
  assert.equal(summary.pointsSkipped, 0, 'points not selected are not part of the run');

  const all = await planCopy(source, target, {backups: [alice.id], points: 'all'});
  assert.deepEqual([all.pointsToCopy, all.pointsSkipped, all.pointsNotSelected, all.pointsOnTarget], [2, 1, 0, 1]);
  const again = await runCopy(source, target, all);
  assert.deepEqual([again.pointsCopied, again.pointsSkipped], [2, 1]);
});

test('a shared disk is sent, and counted, under its owner node; without the owner, under the first copied node', async () => {
  const [source, target] = await Promise.all([resolveRepository('demo-primary'), resolveRepository('spare')]);
  const cluster = (await source.listBackups()).find(b => b.kind === 'cluster')!;
  const plan = await planCopy(source, target, {backups: [cluster.id], points: 'all'});
  const b = plan.backups[0]!;
  const first = b.points.find(p => p.action === 'copy')!;
  const disk = (node: string, name: string) => first.disks.find(d => d.node === node && d.disk === name)!;
  // "data" is owned by node2, "quorum" by node1 (world.tsx).
  assert.ok(disk('node2', 'data').transferBytes > 0, 'node2 reads and sends data');
  assert.equal(disk('node1', 'data').transferBytes, 0);
  assert.equal(disk('node3', 'data').transferBytes, 0);
  assert.ok(disk('node1', 'quorum').transferBytes > 0);
  assert.equal(disk('node2', 'quorum').transferBytes, 0);
  const node = (name: string) => b.nodes.find(n => n.name === name)!;
  assert.ok(
    node('node2').transferBytes > node('node1').transferBytes,
    'the big shared disk counts under node2, not node1',
  );
  assert.ok(node('node3').transferBytes < node('node2').transferBytes);
  assert.match(b.sharedNote ?? '', /quorum with node1 \(its owner\), data with node2 \(its owner\)/);

  const some = await planCopy(source, target, {backups: [cluster.id], points: 'all', nodes: ['node1', 'node3']});
  const s = some.backups[0]!;
  const d = s.points.find(p => p.action === 'copy')!.disks;
  assert.ok(
    d.find(x => x.node === 'node1' && x.disk === 'data')!.transferBytes > 0,
    'its owner not copied, data goes with node1',
  );
  assert.match(s.sharedNote ?? '', /data with node1 \(its owner node2 is not copied\)/);
});
