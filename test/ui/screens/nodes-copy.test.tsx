// The cluster flow end to end on a real repository: find the cluster with
// `/`, open its nodes (local and shared disks, owner nodes), mark two, plan
// the copy, start it, watch it finish, and check the target holds exactly
// those nodes; back on the nodes screen the marks show what was copied.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import type {BackupId} from '../../../source/engine/ids.js';
import {readHistory} from '../../../source/engine/jobs/history.js';
import {resolveRepository} from '../../../source/engine/workspace/open.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';
import {KEYS} from '../helpers.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

test("nodes screen at 120x40: each node's local and shared disks, and who owns each shared disk", async () => {
  const size = {columns: 120, rows: 40};
  const r = await openTui(size);
  await r.waitFor(/sql-cluster/);
  await r.press('/sql', KEYS.enter, 'n');
  let frame = await r.waitFor(/Disks of node1/);
  assert.match(frame, /demo-primary › sql-cluster nodes\s+Cluster nodes/);
  assert.match(frame, /Node\s+Local disks\s+Shared disks \(owner\)\s+Logical\s+On target/);
  assert.match(frame, /›\s+node1\s+system\s+quorum \(owner\), data \(node2\)/);
  assert.match(frame, /node2\s+system\s+quorum \(node1\), data \(owner\)/);
  assert.match(frame, /quorum\s+files\s+.*shared, owner: this node \(read here\)/);
  assert.match(frame, /data\s+files\s+.*shared, owner: node2 \(cloned\)/);
  assert.match(frame, /system\s+files\s+.*local/);
  assertFits(frame, size);
  await r.press(KEYS.down);
  frame = await r.waitFor(/Disks of node2/);
  assert.match(frame, /data\s+files\s+.*shared, owner: this node \(read here\)/);
  await r.unmount();
});

test('mark two nodes, plan, start, finish: the target copy holds exactly those nodes (80x24)', async () => {
  const size = {columns: 80, rows: 24};
  const r = await openTui(size);
  await r.waitFor(/sql-cluster/);
  await r.press('/sql', KEYS.enter, 'n');
  await r.waitFor(/Disks of node1/);
  await r.press(KEYS.down, KEYS.space, KEYS.down, KEYS.space);
  let frame = await r.waitFor(/2 marked/);
  assert.match(frame, / ● node2/);
  assert.match(frame, /›● node3/);
  await r.press('c');
  frame = await r.waitFor(/restore point to copy/);
  assert.match(frame, /sql-cluster nodes › copy plan\s+Copy plan/);
  assert.match(frame, /Target\s+demo-secondary {2}\(t: pick another; 2 registered\)/);
  assert.match(frame, /Selection\s+sql-cluster: nodes node2, node3/);
  assert.match(frame, /Points\s+the latest restore point of each backup/);
  assert.match(frame, /sql-cluster \(cluster\)\s+1\s+1\s/, 'one point to copy, the older one skipped (not selected)');
  assert.match(frame, /node node2/);
  assert.match(frame, /node node3/);
  assert.doesNotMatch(frame, /node node1/);
  assert.match(frame, /Free space on the target\s+[\d.]+ [KMGT]iB/);
  assert.match(frame, /1 restore point to copy\. Enter starts the copy\./);
  assertFits(frame, size);
  await r.press(KEYS.pageDown);
  frame = await r.waitFor(/Notes/);
  assert.match(frame, /1 older restore point not selected/);
  assert.match(frame, /shared disks count once per node/);
  // node1 owns quorum but is not copied: node2 sends it, as it sends data, which it owns.
  assert.match(
    frame.replace(/\s+/g, ' '),
    /data with node2 \(its owner\), quorum with node2 \(its owner node1 is not copied\)/,
  );

  await r.press(KEYS.enter);
  frame = await r.waitFor(/Copy progress/);
  assert.match(frame, /sql-cluster: nodes node2, node3 → demo-secondary/);
  assert.match(frame, /overall/);
  frame = await r.waitFor(/Esc leaves/);
  assert.match(frame, /✓ Copy finished: 1 copied, 0 skipped, 0 failed/);
  assert.match(frame, /overall\s+█+ 100%/);
  assert.match(frame, /processed [\d.]+ \w+ \([\d.]+ \w+\/s\) · read [\d.]+ \w+ · sent [\d.]+ \w+ \([\d.]+ \w+\/s\)/);
  assert.match(frame, /bottleneck (source read|hashing|target write)/);
  assert.match(frame, /✓ sql-cluster 11-23 09:30 .*copied/);
  assert.match(frame, /Session log/);
  assertFits(frame, size);

  const target = await resolveRepository('demo-secondary');
  const [copy] = await target.listBackups();
  assert.equal(copy?.machine, 'sql-cluster');
  assert.deepEqual(
    copy.nodes.map(n => n.name),
    ['node2', 'node3'],
  );
  const points = await target.listPoints(copy.id as BackupId);
  assert.equal(points.length, 1);
  assert.deepEqual(
    points[0]!.nodes.map(n => n.name),
    ['node2', 'node3'],
  );
  const history = await readHistory();
  assert.equal(history.length, 1);
  assert.equal(history[0]!.summary.result, 'success');
  assert.ok(history[0]!.log!.some(l => /Copied sql-cluster/.test(l)));

  await r.press(KEYS.esc);
  frame = await r.waitFor(/Cluster nodes/);
  frame = await r.waitFor(/node3 .*✓/);
  assert.match(frame, /node1 .*–\s*$/m);
  assert.match(frame, /node2 .*✓/);

  await r.press('c');
  await r.waitFor(/Nothing to copy: every selected restore point is already on the target\./);
  await r.press(KEYS.enter);
  await r.waitFor(/Nothing to copy: the selected restore points are already on demo-secondary\./);
  await r.unmount();
});
