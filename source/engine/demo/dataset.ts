/**
 * The demo workspace's source data: three workstations, two servers (one
 * file-level, one volume-level) and a three-node failover cluster, built under
 * a staging directory, fully determined by a seed (~220 MB apparent, built in
 * a few seconds). State 0 is the first full backup's data; `advanceDemo` moves
 * it, in place, through states 1..3 (edits, appends, new, deleted and renamed
 * files, rewritten image blocks), one agent backup per state.
 *
 * Layout (staging-relative): `<machine>/...` per machine, `sql-cluster/...`,
 * `sql-cluster.json` (the spec for `agent backup --cluster`, relative paths),
 * and `demo-state.json` (seed and current state; never backed up).
 */
import {mkdir, readFile, readdir, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {usageError} from '../errors.js';
import {parseClusterSpec, type ClusterSpec} from '../agent/cluster-spec.js';
import {Rng} from './random.js';
import {TreeWriter, emptyChanges, type TreeChanges} from './tree-writer.js';
import {buildWorkstation, mutateWorkstation} from './workstation.js';
import {DB_IMAGE, buildDbServer, buildWebServer, mutateDbServer, mutateWebServer} from './servers.js';
import {CLUSTER, buildCluster, clusterSpec, mutateCluster} from './cluster.js';

export type {ClusterSpec} from '../agent/cluster-spec.js';
export type {TreeChanges} from './tree-writer.js';

export interface DemoMachine {
  job: string;
  machine: string;
  kind: 'workstation' | 'server';
  owner: string;
  paths?: string[];
  disks?: {label: string; image: string}[];
}

export const DEMO_STATES = 4;
export const DEMO_SEED = 20_250_106;
const MARKER = 'demo-state.json';
const FORMAT = 1;
const DAY = 86_400;
/** State k is the data as of 2025-01-06 + k days, 22:00 UTC (a nightly backup). */
export const stateTime = (state: number) => 1_736_200_800 + state * DAY;

const WORKSTATIONS = [
  {owner: 'alice', machine: 'alice-laptop'},
  {owner: 'bob', machine: 'bob-desktop'},
  {owner: 'carol', machine: 'carol-laptop'},
];
const home = (ws: {owner: string; machine: string}) => `${ws.machine}/home/${ws.owner}`;

/** What lives where under `stagingDir` (absolute paths); needs no I/O. */
export function demoLayout(stagingDir: string): {machines: DemoMachine[]; cluster: ClusterSpec} {
  const machines: DemoMachine[] = WORKSTATIONS.map(ws => ({
    job: 'workstations',
    machine: ws.machine,
    kind: 'workstation',
    owner: ws.owner,
    paths: [join(stagingDir, home(ws))],
  }));
  machines.push({
    job: 'web-servers',
    machine: 'web01',
    kind: 'server',
    owner: 'root',
    paths: ['etc', 'var/www', 'var/log'].map(p => join(stagingDir, 'web01', p)),
  });
  machines.push({
    job: 'db-servers',
    machine: 'db01',
    kind: 'server',
    owner: 'root',
    disks: [{label: 'system', image: join(stagingDir, DB_IMAGE)}],
  });
  return {machines, cluster: parseClusterSpec(clusterSpec(), stagingDir)};
}

/** Builds state 0 from scratch. Refuses a non-empty directory that is not a demo staging area. */
export async function prepareDemo(
  stagingDir: string,
  seed = DEMO_SEED,
): Promise<{machines: DemoMachine[]; cluster: ClusterSpec}> {
  const entries = await readdir(stagingDir).catch(() => [] as string[]);
  if (entries.length > 0) {
    if (!entries.includes(MARKER)) {
      throw usageError(`${stagingDir} is not empty and is not a demo staging directory.`, 'Pick an empty directory.');
    }
    await rm(stagingDir, {recursive: true});
  }
  await mkdir(stagingDir, {recursive: true});
  const root = new Rng(seed >>> 0);
  const now = stateTime(0);
  await Promise.all([
    ...WORKSTATIONS.map(async ws => {
      const w = new TreeWriter(stagingDir, now);
      await buildWorkstation(w, home(ws), ws.owner, root.fork(ws.machine), now);
      await w.finish();
    }),
    (async () => {
      const w = new TreeWriter(stagingDir, now);
      await buildWebServer(w, 'web01', root.fork('web01'), now);
      await w.finish();
    })(),
    buildDbServer(stagingDir, root.fork('db01'), now, seed),
    buildCluster(stagingDir, root.fork(CLUSTER), now, seed),
  ]);
  const specFile = new TreeWriter(stagingDir, now);
  await specFile.file(`${CLUSTER}.json`, JSON.stringify(clusterSpec(), null, 2) + '\n');
  await writeMarker(stagingDir, seed, 0);
  return demoLayout(stagingDir);
}

/** The current state, or undefined when `stagingDir` holds no demo data. */
export async function demoState(stagingDir: string): Promise<{seed: number; state: number} | undefined> {
  const text = await readFile(join(stagingDir, MARKER), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const marker = JSON.parse(text) as {format: number; seed: number; state: number};
  return marker.format === FORMAT ? {seed: marker.seed, state: marker.state} : undefined;
}

/**
 * Mutates the data, in place, up to `state` (1..DEMO_STATES-1), one step at a
 * time from the current state, and returns what changed (staging-relative).
 */
export async function advanceDemo(stagingDir: string, state: number): Promise<TreeChanges> {
  const current = await demoState(stagingDir);
  if (!current) throw usageError(`${stagingDir} holds no demo data.`, 'Run prepareDemo first.');
  if (!Number.isInteger(state) || state < 1 || state >= DEMO_STATES || state < current.state) {
    throw usageError(
      `Cannot move the demo data from state ${current.state} to state ${state}.`,
      `States go forward, 1..${DEMO_STATES - 1}.`,
    );
  }
  const all = emptyChanges();
  for (let s = current.state + 1; s <= state; s++) {
    const changes = await step(stagingDir, current.seed, s);
    for (const key of Object.keys(all) as (keyof TreeChanges)[]) (all[key] as unknown[]).push(...changes[key]);
    await writeMarker(stagingDir, current.seed, s);
  }
  return all;
}

async function step(stagingDir: string, seed: number, state: number): Promise<TreeChanges> {
  const rng = new Rng(seed >>> 0).fork(`state-${state}`);
  const w = new TreeWriter(stagingDir, stateTime(state));
  for (const ws of WORKSTATIONS) await mutateWorkstation(w, home(ws), rng.fork(ws.machine), state);
  await mutateWebServer(w, 'web01', rng.fork('web01'), state);
  await mutateDbServer(w, rng.fork('db01'));
  await mutateCluster(w, rng.fork(CLUSTER), state);
  return w.finish();
}

async function writeMarker(stagingDir: string, seed: number, state: number): Promise<void> {
  await writeFile(join(stagingDir, MARKER), JSON.stringify({format: FORMAT, seed, state}) + '\n');
}
