/**
 * The demo workspace: a primary repository filled through the real agent code
 * path (three workstations, two servers, a three-node cluster, each with a
 * full and three incremental points) and an empty secondary, under
 * $XDG_DATA_HOME/backhaul/demo, registered as demo-primary / demo-secondary.
 * A `ready` marker is written last: a half-built workspace is rebuilt.
 */
import {mkdir, readFile, rm, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {runBackup, pathsDisk, type BackupSpec, type DiskSource} from '../agent/backup.js';
import {clusterBackupSpec} from '../agent/cluster-spec.js';
import {dataDir} from '../workspace/dirs.js';
import {registerRepository} from '../workspace/registry.js';
import {createRepository} from '../workspace/open.js';
import {advanceDemo, DEMO_STATES, prepareDemo, type DemoMachine} from './dataset.js';

export const demoDir = () => join(dataDir(), 'demo');
const DAY_MS = 86_400_000;

export interface DemoProgress {
  step: number;
  steps: number;
  label: string;
}

export function machineToSpec(m: DemoMachine): BackupSpec {
  const disks: DiskSource[] = m.paths
    ? [pathsDisk(m.paths)]
    : (m.disks ?? []).map(d => ({name: d.label, kind: 'image', image: d.image}));
  return {job: m.job, machine: m.machine, kind: m.kind, owner: m.owner, nodes: [{name: m.machine, disks}]};
}

export async function demoReady(): Promise<boolean> {
  return (await readFile(join(demoDir(), 'ready'), 'utf8').catch(() => '')) !== '';
}

/** Builds the demo workspace (from scratch if incomplete or `reset`); registers its repositories. */
export async function buildDemo(
  options: {reset?: boolean; onProgress?: (p: DemoProgress) => void; signal?: AbortSignal} = {},
): Promise<{primary: string; secondary: string; built: boolean}> {
  const dir = demoDir();
  const primary = join(dir, 'primary');
  const secondary = join(dir, 'secondary');
  if (!options.reset && (await demoReady())) {
    await registerDemo(primary, secondary);
    return {primary, secondary, built: false};
  }
  await rm(dir, {recursive: true, force: true});
  await mkdir(dir, {recursive: true, mode: 0o700});
  const staging = join(dir, 'staging');
  const repo = await createRepository({location: primary});
  await createRepository({location: secondary});
  const {machines, cluster} = await prepareDemo(staging);
  const specs = [...machines.map(machineToSpec), clusterBackupSpec(cluster)];
  const steps = specs.length * DEMO_STATES;
  let step = 0;
  const now = Date.now();
  for (let state = 0; state < DEMO_STATES; state++) {
    if (state > 0) await advanceDemo(staging, state);
    // Nightly points: the newest was taken a few hours ago.
    const time = new Date(now - (DEMO_STATES - 1 - state) * DAY_MS - 3 * 3600_000);
    for (const spec of specs) {
      options.signal?.throwIfAborted();
      options.onProgress?.({step, steps, label: `${spec.machine} point ${state + 1}/${DEMO_STATES}`});
      await runBackup(repo, {...spec, time: new Date(time.getTime() + step * 60_000)}, {signal: options.signal});
      step++;
    }
  }
  await rm(staging, {recursive: true, force: true});
  options.onProgress?.({step: steps, steps, label: 'done'});
  await writeFile(join(dir, 'ready'), new Date().toISOString() + '\n', {mode: 0o600});
  await registerDemo(primary, secondary);
  return {primary, secondary, built: true};
}

/** The demo's two names are its own: they follow the workspace wherever $XDG_DATA_HOME puts it. */
async function registerDemo(primary: string, secondary: string): Promise<void> {
  await registerRepository('demo-primary', {location: primary}, {replace: true});
  await registerRepository('demo-secondary', {location: secondary}, {replace: true});
}
