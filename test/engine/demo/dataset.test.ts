// The demo data must be reproducible (same seed, same bytes), change between
// states exactly as advanceDemo reports, and give the cluster realistic weight.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {spawnSync} from 'node:child_process';
import {lstat, mkdtemp, readFile, readdir, readlink, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {
  DEMO_STATES,
  advanceDemo,
  demoState,
  prepareDemo,
  type TreeChanges,
} from '../../../source/engine/demo/dataset.js';
import {parseClusterSpec} from '../../../source/engine/agent/cluster-spec.js';

type Snapshot = Map<string, string>;

/** path → "type mode mtime size sha256|target" for everything but the state marker. */
async function snapshot(root: string, rel = ''): Promise<Snapshot> {
  const out: Snapshot = new Map();
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    if (path === 'demo-state.json') continue;
    const st = await lstat(join(root, path));
    const head = `${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs / 1000)}`;
    if (st.isDirectory()) {
      out.set(path, `dir ${head}`);
      for (const [k, v] of await snapshot(root, path)) out.set(k, v);
    } else if (st.isSymbolicLink()) {
      out.set(path, `link ${head} ${await readlink(join(root, path))}`);
    } else {
      const hash = createHash('sha256')
        .update(await readFile(join(root, path)))
        .digest('hex');
      out.set(path, `file ${head} ${st.size} ${hash}`);
    }
  }
  return out;
}

const digest = (s: Snapshot) =>
  createHash('sha256')
    .update(JSON.stringify([...s]))
    .digest('hex');
const fsck = (image: string) => spawnSync('e2fsck', ['-fn', image], {encoding: 'utf8'});

describe('demo data set', () => {
  let a = '';
  let b = '';
  let layout: Awaited<ReturnType<typeof prepareDemo>>;
  before(async () => {
    a = await mkdtemp(join(tmpdir(), 'bh-demo-a-'));
    b = await mkdtemp(join(tmpdir(), 'bh-demo-b-'));
    layout = await prepareDemo(a, 7);
    await prepareDemo(b, 7);
  });
  after(async () => {
    await rm(a, {recursive: true, force: true});
    await rm(b, {recursive: true, force: true});
  });

  test('the same seed builds identical trees', async () => {
    assert.equal(digest(await snapshot(a)), digest(await snapshot(b)));
    assert.deepEqual(await demoState(a), {seed: 7, state: 0});
  });

  test('layout: owners, odd names, symlinks, empty dirs; the cluster spec round-trips', async () => {
    const {machines, cluster} = layout;
    assert.deepEqual(
      machines.filter(m => m.kind === 'workstation').map(m => m.owner),
      ['alice', 'bob', 'carol'],
    );
    assert.equal(machines.filter(m => m.kind === 'server').length, 2);
    assert.ok(machines.some(m => m.disks?.length) && machines.some(m => m.kind === 'server' && m.paths?.length));
    for (const m of machines) for (const p of [...(m.paths ?? []), ...(m.disks ?? []).map(d => d.image)]) await stat(p);
    const alice = machines[0]!.paths![0]!;
    await stat(join(alice, 'Documents', '日本語のメモ.txt'));
    await stat(join(alice, 'Documents', 'Meeting notes (final).txt'));
    assert.equal(await readlink(join(alice, 'Desktop', 'old share')), '/mnt/share/old');
    assert.deepEqual(await readdir(join(alice, 'Music')), []);
    assert.equal((await stat(join(alice, '.ssh', 'id_ed25519'))).mode & 0o777, 0o600);
    const written = parseClusterSpec(await readFile(join(a, 'sql-cluster.json'), 'utf8'), a);
    assert.deepEqual(written, cluster);
    assert.deepEqual(
      cluster.nodes.map(n => n.name),
      ['node1', 'node2', 'node3'],
    );
    assert.notEqual(cluster.sharedDisks[0]!.ownerNode, cluster.sharedDisks[1]!.ownerNode);
  });

  test('shared disks hold most of the cluster data', async () => {
    const {cluster} = layout;
    const size = async (p: string) =>
      [...(await snapshot(p)).values()]
        .filter(v => v.startsWith('file'))
        .reduce((n, v) => n + Number(v.split(' ')[3]), 0);
    let shared = 0;
    for (const d of cluster.sharedDisks) shared += (await stat(d.image!)).size;
    let local = 0;
    for (const n of cluster.nodes) for (const d of n.disks) local += await size(d.path!);
    assert.ok(local > 0);
    assert.ok(shared > 4 * local, `shared ${shared} B vs local ${local} B`);
  });

  test('advanceDemo is reproducible, changes exactly what it reports, and images stay valid', async () => {
    let before = await snapshot(a);
    const seen = new Set([digest(before)]);
    for (let state = 1; state < DEMO_STATES; state++) {
      const changes = await advanceDemo(a, state);
      await advanceDemo(b, state);
      const now = await snapshot(a);
      assert.equal(digest(now), digest(await snapshot(b)), `state ${state} differs between two builds`);
      assert.ok(!seen.has(digest(now)), `state ${state} changed nothing`);
      seen.add(digest(now));
      assert.ok(changes.added.length > 0 && changes.changed.length > 0 && changes.deleted.length > 0);
      assert.ok(changes.renamed.length > 0 && changes.blocks.length > 0);
      checkChanges(before, now, changes);
      before = now;
    }
    assert.deepEqual(await demoState(b), {seed: 7, state: DEMO_STATES - 1});
    const images = [
      ...layout.machines.flatMap(m => m.disks ?? []).map(d => d.image),
      layout.cluster.sharedDisks[1]!.image!,
    ];
    for (const image of images) {
      const result = fsck(image);
      assert.equal(result.status, 0, `${image}: ${result.stdout}`);
    }
  });
});

function checkChanges(before: Snapshot, now: Snapshot, changes: TreeChanges): void {
  const changedFiles = new Set([...changes.changed, ...changes.blocks.map(x => x.image)]);
  // A step may reuse a name (log rotation: syslog → syslog.1, then a new syslog).
  const reappeared = new Set([...changes.added, ...changes.renamed.map(([, t]) => t)]);
  const vacated = new Set([...changes.deleted, ...changes.renamed.map(([f]) => f)]);
  for (const p of changes.added) assert.ok(now.has(p) && (!before.has(p) || vacated.has(p)), `added ${p}`);
  for (const p of changes.deleted) assert.ok(before.has(p) && (!now.has(p) || reappeared.has(p)), `deleted ${p}`);
  const content = (v: string | undefined) => v?.split(' ').slice(3).join(' ');
  for (const [from, to] of changes.renamed) {
    assert.ok(now.has(to) && (!now.has(from) || reappeared.has(from)), `renamed ${from} → ${to}`);
    if (!changedFiles.has(to)) assert.equal(content(now.get(to)), content(before.get(from)), `renamed content ${to}`);
  }
  for (const p of changedFiles) assert.notEqual(content(now.get(p)), content(before.get(p)), `changed ${p}`);
  for (const [p, v] of before) {
    if (
      !v.startsWith('dir') &&
      !changedFiles.has(p) &&
      !vacated.has(p) &&
      ![...vacated].some(m => p.startsWith(`${m}/`))
    ) {
      assert.equal(now.get(p), v, `${p} changed but was not reported`);
    }
  }
  for (const [p, v] of now)
    if (!v.startsWith('dir') && !before.has(p)) assert.ok(reappeared.has(p), `${p} appeared unreported`);
}
