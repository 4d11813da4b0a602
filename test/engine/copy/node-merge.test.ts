// Two copies adding different nodes of a failover cluster to points the
// target already holds, at the same time (version 2's shared locks): each
// replaces the point's manifest with a superset of what it read. Reads of a
// manifest are slowed here so that, without the point merge lock, both read
// the same manifest before either writes and the second write drops the
// node the first added. With it, every point keeps every node, the backup
// record names them all, the target verifies, and no merge lock is left.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {readdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {copyWhilePlanning} from '../../../source/engine/copy/stream.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {VerifyPool} from '../../../source/engine/workers/verify-pool.js';
import {demoWorkspace, type Workspace} from '../../helpers/demo-cache.js';

/** The target's directory, with every read of a restore point manifest held back a while. */
class SlowManifestReads extends FilesystemStorage {
  override async get(key: string): Promise<Buffer> {
    if (/^backups\/[^/]+\/points\/[^/]+\.json$/.test(key)) await new Promise(r => setTimeout(r, 300));
    return super.get(key);
  }
}

let ws: Workspace;
let clusterId = '';
const dirOf = (name: string) => join(ws.dir, name);

before(async () => {
  ws = await demoWorkspace('node-merge');
  const listed: any[] = await ws.json(['list', '--repo', 'demo-primary', '--json']);
  clusterId = listed.find(b => b.kind === 'cluster').id;
  // Three sources, each holding one node of every point; the target gets node1 first.
  for (const [name, nodes] of [
    ['only-node1', 'node1'],
    ['only-node2', 'node2'],
    ['only-node3', 'node3'],
  ] as const) {
    assert.equal((await ws.run(['repo', 'add', name, dirOf(name)])).code, 0);
    const r = await ws.run([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      name,
      '--backup',
      clusterId,
      '--nodes',
      nodes,
      '--points',
      'all',
    ]);
    assert.equal(r.code, 0, r.stderr);
  }
  assert.equal((await ws.run(['repo', 'add', 'merged', dirOf('merged')])).code, 0);
  const r = await ws.run(['copy', '--from', 'only-node1', '--to', 'merged', '--points', 'all']);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => ws?.cleanup());

test('two copies adding different nodes to the same points at once: every point keeps every node', async () => {
  const copyInto = async (from: string) => {
    const source = await Repository.open(new FilesystemStorage(dirOf(from)));
    const target = await Repository.open(new SlowManifestReads(dirOf('merged')));
    const pool = new VerifyPool();
    try {
      return (await copyWhilePlanning(source, target, {points: 'all'}, {pool})).summary;
    } finally {
      await pool.close();
    }
  };
  const summaries = await Promise.all([copyInto('only-node2'), copyInto('only-node3')]);
  for (const s of summaries) assert.deepEqual([s.result, s.pointsCopied, s.pointsFailed], ['success', 4, 0]);

  const pointsDir = join(dirOf('merged'), 'backups', clusterId, 'points');
  const files = await readdir(pointsDir);
  assert.equal(files.length, 4);
  for (const f of files) {
    const point = JSON.parse(await readFile(join(pointsDir, f), 'utf8'));
    // (In the order the writers came in: neither source knows where the other's node stood.)
    assert.deepEqual(point.nodes.map((n: any) => n.name).sort(), ['node1', 'node2', 'node3'], `${f} holds every node`);
  }
  const listed: any[] = await ws.json(['list', '--repo', 'merged', '--json']);
  assert.deepEqual(listed[0].nodes.map((n: any) => n.name).sort(), ['node1', 'node2', 'node3']);
  const target = await Repository.open(new FilesystemStorage(dirOf('merged')));
  assert.equal((await verifyRepository(target)).ok, true);
  assert.deepEqual(
    (await readdir(join(dirOf('merged'), 'locks'))).filter(n => n.startsWith('point-')),
    [],
    'no merge lock is left behind',
  );
  const again = await ws.json([
    'copy',
    '--from',
    'demo-primary',
    '--to',
    'merged',
    '--backup',
    clusterId,
    '--points',
    'all',
    '--json',
  ]);
  assert.equal(again.pointsCopied, 0, 'nothing is left to copy');
});
