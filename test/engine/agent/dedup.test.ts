/**
 * Deduplication is real: an incremental point after changing ~1% of a data
 * set stores a few % of it, and reads only the changed files; a three-node
 * cluster stores its shared disks once (read once, on their owner node), so
 * storedBytes is about the unique data and well under logicalBytes. The
 * catalog commands (`list --json`, `points --json`) report it with the
 * documented fields.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {createRequire, syncBuiltinESMExports} from 'node:module';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {clusterBackupSpec as clusterToSpec} from '../../../source/engine/agent/cluster-spec.js';
import {runBackup, pathsDisk} from '../../../source/engine/agent/backup.js';
import {workerReads} from '../../../source/engine/agent/chunk-pool.js';
import {parseClusterSpec} from '../../../source/engine/agent/cluster-spec.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {randomBuffer, runCli, seeded} from '../../helpers/cli.js';

const MiB = 1024 * 1024;
const me = userInfo().username;
let work: string;

/** Records the paths the agent opens for reading file contents (small files in a chunking worker, open for streamed ones). */
const fsp = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises');
const opened: string[] = [];
let recording = false;
const realReadFile = fsp.readFile;
const realOpen = fsp.open;
before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-dedup-'));
  workerReads.observe = path => {
    if (recording) opened.push(path);
  };
  (fsp as {readFile: unknown}).readFile = (path: unknown, ...rest: unknown[]) => {
    if (recording) opened.push(String(path));
    return (realReadFile as (...a: unknown[]) => unknown)(path, ...rest);
  };
  (fsp as {open: unknown}).open = (path: unknown, ...rest: unknown[]) => {
    if (recording) opened.push(String(path));
    return (realOpen as (...a: unknown[]) => unknown)(path, ...rest);
  };
  syncBuiltinESMExports();
});
after(async () => {
  workerReads.observe = undefined;
  (fsp as {readFile: unknown}).readFile = realReadFile;
  (fsp as {open: unknown}).open = realOpen;
  syncBuiltinESMExports();
  await fs.rm(work, {recursive: true, force: true});
});

async function recordReads<T>(fn: () => Promise<T>): Promise<{result: T; reads: string[]}> {
  opened.length = 0;
  recording = true;
  try {
    const result = await fn();
    return {result, reads: [...opened]};
  } finally {
    recording = false;
  }
}

/** ~2500 small and medium files of random (incompressible) data plus two large files: ~70 MB. */
async function makeDataSet(root: string): Promise<string[]> {
  const rnd = seeded(42);
  const files: string[] = [];
  for (let d = 0; d < 50; d++) {
    const dir = join(root, `dir-${String(d).padStart(2, '0')}`);
    await fs.mkdir(dir, {recursive: true});
    for (let f = 0; f < 50; f++) {
      const r = rnd();
      const size = r < 0.9 ? Math.floor(rnd() * 16_000) + 100 : Math.floor(rnd() * 300_000) + 20_000;
      const path = join(dir, `file-${f}.dat`);
      await fs.writeFile(path, randomBuffer(size, d * 1000 + f));
      files.push(path);
    }
  }
  for (const [i, name] of ['big-a.bin', 'big-b.bin'].entries()) {
    await fs.writeFile(join(root, name), randomBuffer(12 * MiB, 900 + i));
  }
  return files;
}

test('an incremental after changing ~1% stores a few % and reads only the changed files', async t => {
  const repo = await Repository.create(new FilesystemStorage(join(work, 'repo-files')));
  const data = join(work, 'data');
  const files = await makeDataSet(data);
  const spec = {
    job: 'daily',
    machine: 'fs01',
    kind: 'server' as const,
    owner: me,
    nodes: [{name: 'fs01', disks: [pathsDisk([data])]}],
  };
  const full = await runBackup(repo, spec);
  assert.equal(full.type, 'full');
  // Random data does not compress: the full point stores about what it holds.
  assert.ok(full.storedBytes > full.logicalBytes * 0.95, `full stored ${full.storedBytes} of ${full.logicalBytes}`);

  // Change ~1%: rewrite 1% of the files (same size), and 256 KiB in the middle of a large file.
  const rnd = seeded(7);
  const changed = new Set<string>();
  let changedBytes = 0;
  while (changed.size < files.length / 100) {
    const path = files[Math.floor(rnd() * files.length)]!;
    if (changed.has(path)) continue;
    const size = (await fs.stat(path)).size;
    await fs.writeFile(path, randomBuffer(size, 5000 + changed.size));
    changed.add(path);
    changedBytes += size;
  }
  const handle = await fs.open(join(data, 'big-a.bin'), 'r+');
  await handle.write(randomBuffer(256 * 1024, 77), 0, 256 * 1024, 5 * MiB);
  await handle.close();
  changed.add(join(data, 'big-a.bin'));
  changedBytes += 256 * 1024;
  assert.ok(changedBytes < full.logicalBytes * 0.02, 'the change is about 1% of the data set');

  const {result: incr, reads} = await recordReads(() => runBackup(repo, spec));
  assert.equal(incr.type, 'incremental');
  assert.equal(incr.parent, full.id);
  assert.equal(incr.logicalBytes, full.logicalBytes);
  const percent = (100 * incr.storedBytes) / incr.logicalBytes;
  t.diagnostic(
    `changed ${changedBytes} bytes (${((100 * changedBytes) / full.logicalBytes).toFixed(2)}%); incremental stored ${incr.storedBytes} bytes (${percent.toFixed(2)}%) of ${incr.logicalBytes}`,
  );
  assert.ok(
    incr.storedBytes < incr.logicalBytes * 0.05,
    `incremental stored ${incr.storedBytes} bytes = ${percent.toFixed(2)}% of ${incr.logicalBytes}`,
  );
  // Unchanged files (same size, mtime, ctime, inode) are not opened at all.
  const readFiles = new Set(reads.filter(p => p.startsWith(data)));
  assert.deepEqual([...readFiles].sort(), [...changed].sort());

  // A third point with nothing changed reads no file and stores only a little (its tree).
  const {result: same, reads: none} = await recordReads(() => runBackup(repo, spec));
  assert.deepEqual(
    none.filter(p => p.startsWith(data)),
    [],
  );
  assert.ok(same.storedBytes < same.logicalBytes * 0.01, `unchanged point stored ${same.storedBytes}`);
});

test('a three-node cluster stores its shared disks once; list and points report it', async t => {
  const base = join(work, 'cluster');
  await fs.mkdir(join(base, 'shared-files'), {recursive: true});
  await fs.writeFile(join(base, 'quorum.img'), randomBuffer(24 * MiB, 11));
  for (let i = 0; i < 100; i++)
    await fs.writeFile(join(base, 'shared-files', `db-${i}.dat`), randomBuffer(80 * 1024, 100 + i));
  const nodes = ['node1', 'node2', 'node3'];
  for (const [i, node] of nodes.entries()) {
    await fs.mkdir(join(base, node, 'etc'), {recursive: true});
    await fs.writeFile(join(base, node, 'etc', 'hostname'), `${node}\n`);
    await fs.writeFile(join(base, node, 'local.bin'), randomBuffer(MiB, 200 + i));
  }
  const specJson = {
    cluster: 'sql-cluster',
    job: 'sql-cluster',
    owner: me,
    nodes: nodes.map(n => ({name: n, disks: [{name: 'system', path: n}]})),
    sharedDisks: [
      {name: 'quorum', ownerNode: 'node1', image: 'quorum.img'},
      {name: 'data', ownerNode: 'node2', path: 'shared-files'},
    ],
  };
  await fs.writeFile(join(base, 'spec.json'), JSON.stringify(specJson));
  const spec = clusterToSpec(parseClusterSpec(JSON.stringify(specJson), base), me);
  const repoDir = join(work, 'repo-cluster');
  const repo = await Repository.create(new FilesystemStorage(repoDir));

  const {result: point, reads} = await recordReads(() => runBackup(repo, spec));
  // Shared disk data is read once, on the owner node, not once per node.
  assert.equal(reads.filter(p => p === join(base, 'quorum.img')).length, 1);
  assert.equal(reads.filter(p => p === join(base, 'shared-files', 'db-0.dat')).length, 1);
  const unique = 24 * MiB + 100 * 80 * 1024 + 3 * (MiB + 6);
  const perNode = unique - 2 * (MiB + 6);
  assert.equal(point.logicalBytes, 3 * perNode, 'logical bytes count the shared disks once per node');
  t.diagnostic(`cluster: logical ${point.logicalBytes}, stored ${point.storedBytes}, unique data ${unique}`);
  assert.ok(point.storedBytes < point.logicalBytes / 2, `stored ${point.storedBytes} of ${point.logicalBytes}`);
  assert.ok(Math.abs(point.storedBytes - unique) < unique * 0.05, `stored ${point.storedBytes}, unique data ${unique}`);
  assertClusterManifest(point);

  // A second point through the CLI (`agent backup --cluster`): every node again, almost nothing stored.
  const home = join(work, 'home');
  const r = await runCli(home, ['agent', 'backup', '--repo', repoDir, '--cluster', join(base, 'spec.json'), '--json']);
  assert.equal(r.code, 0, r.stderr);
  const second = JSON.parse(r.stdout) as {backupId: string; type: string; storedBytes: number; logicalBytes: number};
  assert.equal(second.backupId, point.backupId);
  assert.equal(second.type, 'incremental');
  assert.ok(second.storedBytes < second.logicalBytes * 0.01, `unchanged cluster point stored ${second.storedBytes}`);
  assertClusterManifest((await repo.listPoints(point.backupId)).at(-1)!);

  const list = await runCli(home, ['list', '--repo', repoDir, '--json']);
  assert.equal(list.code, 0, list.stderr);
  const backups = JSON.parse(list.stdout) as Record<string, unknown>[];
  assert.equal(backups.length, 1);
  const b = backups[0]!;
  for (const key of ['id', 'job', 'machine', 'kind', 'owner', 'nodes', 'points', 'logicalBytes', 'storedBytes'])
    assert.ok(key in b, `list --json lacks "${key}"`);
  assert.equal(b.id, point.backupId);
  assert.equal(b.job, 'sql-cluster');
  assert.equal(b.machine, 'sql-cluster');
  assert.equal(b.kind, 'cluster');
  assert.equal(b.owner, me);
  assert.equal(b.points, 2);
  assert.equal(b.logicalBytes, point.logicalBytes + second.logicalBytes);
  assert.equal(b.storedBytes, point.storedBytes + second.storedBytes);
  assert.ok(
    (b.storedBytes as number) < (b.logicalBytes as number) / 4,
    'two points of a cluster: stored well under logical',
  );
  const listed = b.nodes as {name: string; disks: {name: string; shared: boolean; ownerNode?: string}[]}[];
  assert.deepEqual(
    listed.map(n => n.name),
    nodes,
  );
  for (const n of listed) {
    const byName = new Map(n.disks.map(d => [d.name, d]));
    assert.deepEqual([...byName.keys()].sort(), ['data', 'quorum', 'system']);
    assert.equal(byName.get('system')!.shared, false);
    assert.equal(byName.get('system')!.ownerNode, undefined);
    assert.equal(byName.get('quorum')!.shared, true);
    assert.equal(byName.get('quorum')!.ownerNode, 'node1');
    assert.equal(byName.get('data')!.shared, true);
    assert.equal(byName.get('data')!.ownerNode, 'node2');
  }

  const pts = await runCli(home, ['points', point.backupId, '--repo', repoDir, '--json']);
  assert.equal(pts.code, 0, pts.stderr);
  const points = JSON.parse(pts.stdout) as {id: string; time: string; type: string; logicalBytes: number}[];
  assert.deepEqual(
    points.map(p => p.type),
    ['full', 'incremental'],
  );
  assert.equal(points[0]!.id, point.id);
  for (const p of points) {
    assert.match(p.time, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    assert.equal(new Date(p.time).toISOString(), p.time);
    assert.equal(p.logicalBytes, point.logicalBytes);
  }
  assert.ok(points[0]!.time <= points[1]!.time, 'oldest first');
});

function assertClusterManifest(point: PointManifest): void {
  assert.deepEqual(
    point.nodes.map(n => n.name),
    ['node1', 'node2', 'node3'],
    'every point covers every node',
  );
  for (const shared of ['quorum', 'data']) {
    const disks = point.nodes.map(n => n.disks.find(d => d.name === shared)!);
    for (const d of disks) {
      assert.equal(d.shared, true);
      // Cloned, not re-read: the same chunks on every node.
      assert.deepEqual(d.image ?? d.tree, disks[0]!.image ?? disks[0]!.tree);
    }
  }
  const systems = point.nodes.map(n => n.disks.find(d => d.name === 'system')!.tree!.join());
  assert.equal(new Set(systems).size, 3, 'local disks are per node');
}
