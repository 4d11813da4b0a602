/**
 * The demo's three-node failover cluster `sql-cluster`. Each node has a small
 * local disk (a file tree: configs, identical binaries, its own logs); two
 * shared disks hold most of the data, as on real clusters: `quorum` (a raw
 * image, owned by node1) and `data` (an ext4 image with database files, owned
 * by node2). Between restore points the database pages and the quorum epoch
 * change in place and the nodes' logs grow.
 */
import {rm, utimes} from 'node:fs/promises';
import {join} from 'node:path';
import type {ClusterSpec} from '../agent/cluster-spec.js';
import type {Rng} from './random.js';
import {TreeWriter} from './tree-writer.js';
import {makeExt4Image, rewriteFileBlocks} from './ext4-image.js';
import {logBlock} from './servers.js';

const DAY = 86_400;
export const CLUSTER = 'sql-cluster';
export const NODES = ['node1', 'node2', 'node3'];
const QUORUM = `${CLUSTER}/shared/quorum.img`;
const DATA = `${CLUSTER}/shared/data.img`;
const DATABASES = ['sales.mdf', 'inventory.mdf', 'hr.mdf'];

/** The spec with staging-relative paths (as written to `sql-cluster.json`). */
export function clusterSpec(): ClusterSpec {
  return {
    cluster: CLUSTER,
    job: CLUSTER,
    owner: 'root',
    nodes: NODES.map(name => ({name, disks: [{name: 'system', path: `${CLUSTER}/${name}/local`}]})),
    sharedDisks: [
      {name: 'quorum', ownerNode: 'node1', image: QUORUM},
      {name: 'data', ownerNode: 'node2', image: DATA},
    ],
  };
}

export async function buildCluster(stagingDir: string, rng: Rng, now: number, seed: number): Promise<void> {
  const w = new TreeWriter(stagingDir, now);
  const binaries = rng.fork('binaries');
  const shared = Array.from({length: 6}, (_, i) => ({
    name: `lib${binaries.word()}-${i}.so`,
    data: binaries.bytes(binaries.int(100_000, 400_000)),
  }));
  const conf = rng.config(50);
  for (const node of NODES) {
    const root = `${CLUSTER}/${node}/local`;
    await w.file(`${root}/etc/hostname`, `${node}\n`, {mtime: now - 90 * DAY});
    await w.file(`${root}/etc/cluster/cluster.conf`, conf, {mtime: now - 30 * DAY});
    for (const lib of shared)
      await w.file(`${root}/opt/mssql/lib/${lib.name}`, lib.data, {mode: 0o755, mtime: now - 60 * DAY});
    await w.file(`${root}/var/log/cluster.log`, rng.log(3_000, now - 7 * DAY, node).data, {mtime: now});
    await w.dir(`${root}/var/tmp`);
  }
  await w.sparse(
    QUORUM,
    8 << 20,
    [
      {offset: 0, data: quorumHeader(0)},
      {offset: 1 << 20, data: rng.bytes(1 << 20)},
    ],
    now,
  );
  const scratch = '.scratch-cluster-data';
  await rm(join(stagingDir, scratch), {recursive: true, force: true});
  for (const db of DATABASES) {
    const size = rng.int(6, 10) << 20;
    const data = Buffer.alloc(size, 'unallocated ');
    for (let p = 0; p < size; p += 8192) if (rng.chance(0.7)) rng.fill(data.subarray(p, p + 8192));
    await w.file(`${scratch}/data/${db}`, data, {mode: 0o600});
    await w.file(`${scratch}/log/${db.replace('.mdf', '_log.ldf')}`, rng.log(12_000, now - 7 * DAY, 'sql').data, {
      mode: 0o600,
    });
  }
  await w.file(`${scratch}/errorlog`, rng.log(2_000, now - 7 * DAY, 'sql').data);
  await w.finish(); // mkfs copies the scratch tree's directory mtimes
  await makeExt4Image(join(stagingDir, scratch), w.abs(DATA), 56, 'sql-data', seed ^ 0x51);
  await utimes(w.abs(DATA), now, now);
  await utimes(w.abs(`${CLUSTER}/shared`), now, now);
  await rm(join(stagingDir, scratch), {recursive: true});
  await w.finish();
}

export async function mutateCluster(w: TreeWriter, rng: Rng, state: number): Promise<void> {
  for (const node of NODES) {
    await w.append(`${CLUSTER}/${node}/local/var/log/cluster.log`, rng.log(rng.int(100, 400), w.time - DAY, node).data);
  }
  if (state === 3) await w.file(`${CLUSTER}/node3/local/etc/cluster/failover.conf`, rng.config(10));
  await w.patch(QUORUM, 0, quorumHeader(state), true);
  await w.patch(QUORUM, (1 << 20) + rng.int(0, 15) * 65536, rng.bytes(65536), true);
  for (const db of rng.sample(DATABASES, 2)) await rewriteFileBlocks(w, DATA, `/data/${db}`, rng, rng.int(16, 64));
  await rewriteFileBlocks(w, DATA, `/log/${rng.pick(DATABASES).replace('.mdf', '_log.ldf')}`, rng, 10, () =>
    logBlock(rng, w.time),
  );
}

function quorumHeader(epoch: number): Buffer {
  const text = `CLUSTER-QUORUM v1\ncluster=${CLUSTER}\nepoch=${epoch}\nnodes=${NODES.join(',')}\nvotes=${NODES.map(n => `${n}:1`).join(',')}\n`;
  return Buffer.from(text.padEnd(4096, '\0'));
}
