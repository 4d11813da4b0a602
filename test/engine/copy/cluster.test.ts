// A failover cluster is copied as ONE backup holding every node; its shared
// disks count once per node in the logical size but are sent and stored once,
// and the plan shows both figures. Copying some nodes first and the others
// later grows that same single backup; so do two copies of different nodes
// running into one target at the same time (version 2's shared locks).
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile, readdir} from 'node:fs/promises';
import {join} from 'node:path';
import {collect, demoWorkspace, type Workspace} from '../../helpers/demo-cache.js';
import {lockHolders} from '../../helpers/locks.js';
import {assertSameRestore} from '../../helpers/restore-compare.js';

const NODES = ['node1', 'node2', 'node3'];

describe('copying the demo cluster', () => {
  let ws: Workspace;
  let clusterId: string;
  /** Per point, the logical size of the shared disks as one node sees them; summed over the points. */
  let sharedBytes = 0;

  const copy = (to: string, ...extra: string[]) => [
    'copy',
    '--from',
    'demo-primary',
    '--to',
    to,
    '--machine',
    'sql-cluster',
    '--points',
    'all',
    ...extra,
  ];
  const pointFiles = async (repo: string) => {
    const dir = join(repo, 'backups', clusterId, 'points');
    return Promise.all((await readdir(dir)).map(async f => JSON.parse(await readFile(join(dir, f), 'utf8'))));
  };

  before(async () => {
    ws = await demoWorkspace('cluster');
    const listed: any[] = await ws.json(['list', '--repo', 'demo-primary', '--json']);
    clusterId = listed.find(b => b.kind === 'cluster').id;
    for (const point of await pointFiles(ws.primary)) {
      assert.equal(point.nodes.length, NODES.length);
      sharedBytes += point.nodes[0].disks
        .filter((d: any) => d.shared)
        .reduce((s: number, d: any) => s + d.logicalBytes, 0);
    }
    assert.ok(sharedBytes > 0, 'the demo cluster has shared disks');
    for (const name of ['nodes-a']) {
      const r = await ws.run(['repo', 'add', name, join(ws.dir, name)]);
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => ws?.cleanup());

  test('the plan shows the logical size (shared disks once per node) and the far smaller transfer', async () => {
    const plan = await ws.json(copy('demo-secondary', '--dry-run', '--json'));
    assert.equal(plan.backups.length, 1);
    const b = plan.backups[0];
    assert.equal(b.kind, 'cluster');
    assert.deepEqual(
      b.nodes.map((n: any) => n.name),
      NODES,
    );
    assert.ok(
      b.logicalBytes - b.transferBytes >= sharedBytes * (NODES.length - 1),
      `logical ${b.logicalBytes} − transfer ${b.transferBytes} ≥ shared ${sharedBytes} × ${NODES.length - 1}`,
    );
    // Per node: every node carries the shared disks logically; each is sent by its owner node only.
    for (const n of b.nodes) assert.ok(n.logicalBytes >= sharedBytes, `${n.name} counts the shared disks`);
    const disks = b.points.flatMap((p: any) => p.disks);
    for (const d of disks.filter((x: any) => x.shared && x.node !== x.ownerNode))
      assert.equal(d.transferBytes, 0, `${d.node}/${d.disk} is sent by its owner ${d.ownerNode}`);
    const sent = (node: string) =>
      disks.filter((x: any) => x.shared && x.node === node).reduce((t: number, x: any) => t + x.transferBytes, 0);
    assert.ok(sent('node2') > 0, 'node2 sends the data disk it owns');
    assert.ok(sent('node1') > 0, 'node1 sends the quorum disk it owns');
    assert.equal(sent('node3'), 0, 'node3 owns no shared disk and sends none');
    assert.match(b.sharedNote, /data with node2 \(its owner\)/);
    assert.match(b.sharedNote, /shared/);
    assert.ok(plan.notes.some((n: string) => /shared/.test(n)));
    const text = await ws.run(copy('demo-secondary', '--dry-run'));
    assert.equal(text.code, 0);
    assert.match(text.stdout, /node node3: logical .*transfer/);
    assert.match(text.stdout, /Note: .*shared/);
  });

  test('the copy is one backup holding all nodes; logical exceeds transferred by shared × (nodes − 1)', async () => {
    const summary = await ws.json(copy('demo-secondary', '--json'));
    assert.equal(summary.pointsCopied, 4);
    assert.ok(
      summary.logicalBytes - summary.transferredBytes >= sharedBytes * (NODES.length - 1),
      `logical ${summary.logicalBytes} − transferred ${summary.transferredBytes} ≥ ${sharedBytes} × ${NODES.length - 1}`,
    );
    const listed: any[] = await ws.json(['list', '--repo', 'demo-secondary', '--json']);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].id, clusterId);
    assert.deepEqual(
      listed[0].nodes.map((n: any) => n.name),
      NODES,
    );
    for (const p of await pointFiles(ws.secondary))
      assert.deepEqual(
        p.nodes.map((n: any) => n.name),
        NODES,
      );
  });

  test('an unknown node, point id or backup id is a usage error naming it', async () => {
    // A malformed option is a usage error (2); an id that names nothing is "not found" (13), as everywhere else.
    const cases: [string[], RegExp, number][] = [
      [copy('nodes-a', '--nodes', 'node9'), /node9/, 2],
      [
        ['copy', '--from', 'demo-primary', '--to', 'nodes-a', '--machine', 'sql-cluster', '--points', 'pnosuchpoint'],
        /pnosuchpoint/,
        13,
      ],
      [['copy', '--from', 'demo-primary', '--to', 'nodes-a', '--points', 'latest:x'], /latest:x/, 2],
      [['copy', '--from', 'demo-primary', '--to', 'nodes-a', 'bnosuchbackup'], /bnosuchbackup/, 13],
    ];
    for (const [args, pattern, code] of cases) {
      const r = await ws.run(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
    }
    assert.deepEqual(await ws.json(['list', '--repo', 'nodes-a', '--json']), [], 'nothing was copied');
  });

  test('copying node1,node2 then node3 grows the same single backup', async () => {
    const firstRun = await ws.json(copy('nodes-a', '--nodes', 'node1,node2', '--json'));
    assert.equal(firstRun.pointsCopied, 4);
    let listed: any[] = await ws.json(['list', '--repo', 'nodes-a', '--json']);
    assert.equal(listed.length, 1);
    assert.equal(listed[0].id, clusterId);
    assert.deepEqual(
      listed[0].nodes.map((n: any) => n.name),
      ['node1', 'node2'],
    );
    const target = join(ws.dir, 'nodes-a');
    for (const p of await pointFiles(target))
      assert.deepEqual(
        p.nodes.map((n: any) => n.name),
        ['node1', 'node2'],
      );

    // The same selection again: nothing to do.
    const again = await ws.json(copy('nodes-a', '--nodes', 'node1,node2', '--json'));
    assert.equal(again.pointsCopied, 0);
    assert.equal(again.transferredBytes, 0);

    // node3's shared disks are already there: the plan says so, and little is sent.
    const plan = await ws.json(copy('nodes-a', '--nodes', 'node3', '--dry-run', '--json'));
    const node3 = plan.backups[0].nodes.find((n: any) => n.name === 'node3');
    assert.ok(node3.presentBytes > 0, 'the shared disks are present');
    assert.ok(node3.transferBytes < node3.presentBytes / 10);
    const second = await ws.json(copy('nodes-a', '--nodes', 'node3', '--json'));
    assert.equal(second.pointsCopied, 4);
    assert.ok(
      second.transferredBytes < firstRun.transferredBytes / 10,
      `node3 sent ${second.transferredBytes} after ${firstRun.transferredBytes}`,
    );

    listed = await ws.json(['list', '--repo', 'nodes-a', '--json']);
    assert.equal(listed.length, 1, 'still one backup of the cluster');
    assert.equal(listed[0].id, clusterId);
    assert.deepEqual(
      listed[0].nodes.map((n: any) => n.name),
      NODES,
    );
    for (const p of await pointFiles(target))
      assert.deepEqual(
        p.nodes.map((n: any) => n.name),
        NODES,
      );
    const record = JSON.parse(await readFile(join(target, 'backups', clusterId, 'backup.json'), 'utf8'));
    assert.equal(record.access, null);

    const report = await ws.json(['verify', '--repo', 'nodes-a', '--json']);
    assert.equal(report.ok, true);
    await assertSameRestore(
      ws,
      'demo-primary',
      'nodes-a',
      {backup: clusterId, point: 'latest', node: 'node3'},
      join(ws.dir, 'restore'),
    );
  });

  test('two copies of different nodes at once into one target: every point and the record hold both', async () => {
    const target = join(ws.dir, 'nodes-b');
    assert.equal((await ws.run(['repo', 'add', 'nodes-b', target])).code, 0);
    const start = async (nodes: string) => {
      const child = ws.spawn(copy('nodes-b', '--nodes', nodes, '--json'));
      const done = collect(child);
      let exited = false;
      void done.then(() => (exited = true));
      while (!exited && !lockHolders(target).includes(child.pid!)) await new Promise(r => setTimeout(r, 25));
      assert.equal(exited, false, `the copy of ${nodes} ended before it could be frozen`);
      child.kill('SIGSTOP'); // until the other holds its lock too: they run side by side by construction
      return {child, done};
    };
    const first = await start('node1');
    const second = await start('node3').finally(() => first.child.kill('SIGCONT'));
    second.child.kill('SIGCONT');
    for (const r of [await first.done, await second.done]) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(JSON.parse(r.stdout).pointsCopied, 4);
    }
    const listed: any[] = await ws.json(['list', '--repo', 'nodes-b', '--json']);
    assert.equal(listed.length, 1, 'one backup of the cluster');
    assert.deepEqual(
      listed[0].nodes.map((n: any) => n.name),
      ['node1', 'node3'],
    );
    for (const p of await pointFiles(target))
      assert.deepEqual(
        p.nodes.map((n: any) => n.name),
        ['node1', 'node3'],
      );
    assert.equal((await ws.json(['verify', '--repo', 'nodes-b', '--json'])).ok, true);
    const again = await ws.json(copy('nodes-b', '--nodes', 'node1,node3', '--json'));
    assert.equal(again.pointsCopied, 0, 'nothing is left to copy');
  });
});
