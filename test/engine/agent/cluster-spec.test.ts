// The cluster spec is user input: every bad spec must be a usage error that
// names the problem, and a good one comes back with absolute paths.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {parseClusterSpec} from '../../../source/engine/agent/cluster-spec.js';
import {BackhaulError} from '../../../source/engine/errors.js';

const good = () => ({
  cluster: 'sql-cluster',
  nodes: [
    {name: 'node1', disks: [{name: 'system', path: 'node1/local'}]},
    {name: 'node2', disks: [{name: 'system', image: '/images/node2.img'}]},
  ],
  sharedDisks: [
    {name: 'quorum', ownerNode: 'node1', image: 'shared/quorum.img'},
    {name: 'data', ownerNode: 'node2', path: 'shared/data'},
  ],
});

function rejects(spec: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseClusterSpec(spec, '/base'),
    (e: unknown) => {
      assert.ok(e instanceof BackhaulError, `not a BackhaulError: ${String(e)}`);
      assert.equal(e.code, 'usage');
      assert.equal(e.exitCode, 2);
      assert.match(e.message, pattern);
      assert.ok(e.hint.length > 0);
      return true;
    },
  );
}

test('a good spec resolves paths against the base directory and defaults the job', () => {
  const spec = parseClusterSpec(JSON.stringify(good()), '/base');
  assert.equal(spec.job, 'sql-cluster');
  assert.equal(spec.owner, undefined);
  assert.deepEqual(spec.nodes[0]!.disks, [{name: 'system', path: '/base/node1/local'}]);
  assert.deepEqual(spec.nodes[1]!.disks, [{name: 'system', image: '/images/node2.img'}]);
  assert.deepEqual(spec.sharedDisks, [
    {name: 'quorum', ownerNode: 'node1', image: '/base/shared/quorum.img'},
    {name: 'data', ownerNode: 'node2', path: '/base/shared/data'},
  ]);
  assert.equal(parseClusterSpec({...good(), job: 'nightly', owner: 'dba'}, '/base').owner, 'dba');
});

test('unknown owner node', () => {
  const spec = good();
  spec.sharedDisks[1]!.ownerNode = 'node9';
  rejects(spec, /owner node "node9".*not in "nodes" \(node1, node2\)/);
});

test('duplicate names', () => {
  const nodes = good();
  nodes.nodes[1]!.name = 'node1';
  rejects(nodes, /Duplicate node name "node1"/);
  const shared = good();
  shared.sharedDisks[1]!.name = 'quorum';
  rejects(shared, /Duplicate shared disk name "quorum"/);
  const clash = good();
  clash.nodes[0]!.disks[0]!.name = 'data';
  rejects(clash, /node1.*two disks named "data"/);
});

test('a disk needs exactly one of path and image', () => {
  const neither = good();
  neither.nodes[0]!.disks[0] = {name: 'system'} as never;
  rejects(neither, /nodes\[0\]\.disks\[0\].*exactly one of "path".*"image"/);
  const both = good();
  both.sharedDisks[0] = {name: 'quorum', ownerNode: 'node1', image: 'a.img', path: 'a'} as never;
  rejects(both, /sharedDisks\[0\].*exactly one/);
  const empty = good();
  empty.nodes[0]!.disks[0] = {name: 'system', path: ''};
  rejects(empty, /nodes\[0\]\.disks\[0\]\.path must be a non-empty path/);
});

test('names with "/" or control characters, and other bad shapes', () => {
  rejects({...good(), cluster: 'a/b'}, /"cluster".*must not contain "\/"/);
  const slash = good();
  slash.nodes[0]!.name = '../node1';
  rejects(slash, /nodes\[0\]\.name.*must not contain "\/"/);
  const control = good();
  control.sharedDisks[0]!.name = 'quo\nrum';
  rejects(control, /sharedDisks\[0\]\.name.*"quo\\nrum".*control characters/);
  rejects({...good(), cluster: '..'}, /must not be "\.\."/);
  rejects({...good(), cluster: ''}, /"cluster" must be a non-empty string/);
  rejects({...good(), nodes: []}, /needs "nodes": a non-empty list/);
  rejects({...good(), sharedDisk: []}, /unknown field "sharedDisk"/);
  rejects([good()], /must be a JSON object/);
  rejects('{"cluster": ', /not valid JSON/);
  rejects({...good(), nodes: [{name: 'node1'}]}, /nodes\[0\] needs "disks"/);
});
