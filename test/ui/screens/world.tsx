// A small real world for the screen tests: private XDG dirs, three registered
// repositories (demo-primary, demo-secondary, spare), and real agent backups
// made with runBackup from temp trees — two file-level machines and a
// 3-node failover cluster whose shared disks ("data" owned by node2,
// "quorum" owned by node1) are read once and cloned to the other nodes.
// No mocks: the screens drive the real engine on real files.
import React from 'react';
import {act} from 'react';
import {randomBytes} from 'node:crypto';
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {runBackup, type BackupSpec, type DiskSource} from '../../../source/engine/agent/backup.js';
import {registerRepository} from '../../../source/engine/workspace/registry.js';
import {createRepository} from '../../../source/engine/workspace/open.js';
import {App} from '../../../source/ui/app.js';
import {createRegistry, SCREENS} from '../../../source/ui/screens/registry.js';
import {themeFor} from '../../../source/ui/theme.js';
import {setRunner} from '../../../source/ui/runner.js';
import {CLI, ensureBuilt} from '../../helpers/cli.js';
import {render} from '../helpers.js';

export interface World {
  readonly dir: string;
  readonly primary: string;
  readonly secondary: string;
  cleanup(): Promise<void>;
}

async function tree(root: string, files: Record<string, number | string>): Promise<string> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(root, path, '..'), {recursive: true});
    await writeFile(join(root, path), typeof content === 'number' ? randomBytes(content) : content);
  }
  return root;
}

const files = (name: string, root: string, extra: Partial<DiskSource> = {}): DiskSource =>
  ({name, kind: 'files', roots: [{root, prefix: ''}], ...extra}) as DiskSource;

/** Builds the world; `bigMiB` adds a machine "bulk" with that much incompressible data (for cancelling mid-copy). */
export async function makeWorld(bigMiB = 0): Promise<World> {
  const dir = await mkdtemp(join(tmpdir(), 'backhaul-ui-'));
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
  process.env.XDG_DATA_HOME = join(dir, 'data');
  const primary = join(dir, 'primary');
  const secondary = join(dir, 'secondary');
  const repo = await createRepository({location: primary});
  await createRepository({location: secondary});
  await createRepository({location: join(dir, 'spare')});
  await registerRepository('demo-primary', {location: primary});
  await registerRepository('demo-secondary', {location: secondary});
  await registerRepository('spare', {location: join(dir, 'spare')});
  const src = join(dir, 'src');
  const day = (n: number) => new Date(Date.UTC(2026, 10, 20 + n, 9, 30));

  const alice = await tree(join(src, 'alice'), {'docs/report.txt': 'quarterly report\n', 'photos/a.jpg': 40_000});
  const aliceSpec: BackupSpec = {
    job: 'laptops',
    machine: 'alice-laptop',
    kind: 'workstation',
    owner: 'alice',
    nodes: [{name: 'alice-laptop', disks: [files('files', alice)]}],
  };
  await runBackup(repo, {...aliceSpec, time: day(0)});
  await tree(alice, {'docs/report.txt': 'quarterly report, revised\n'});
  await runBackup(repo, {...aliceSpec, time: day(1)});
  await runBackup(repo, {...aliceSpec, time: day(2)});

  const web = await tree(join(src, 'web'), {'var/www/index.html': '<h1>hi</h1>\n', 'etc/nginx.conf': 'server {}\n'});
  await runBackup(repo, {
    job: 'servers',
    machine: 'web01',
    kind: 'server',
    owner: 'root',
    time: day(2),
    nodes: [{name: 'web01', disks: [files('files', web)]}],
  });

  const shared = {
    data: await tree(join(src, 'shared-data'), {'db/main.mdf': 300_000}),
    quorum: await tree(join(src, 'quorum'), {witness: 'q\n'}),
  };
  const nodes = await Promise.all(
    ['node1', 'node2', 'node3'].map(async name => ({
      name,
      disks: [
        files('system', await tree(join(src, name), {'etc/hostname': `${name}\n`, 'var/log/app.log': 20_000})),
        files('quorum', shared.quorum, {shared: true, ownerNode: 'node1'}),
        files('data', shared.data, {shared: true, ownerNode: 'node2'}),
      ],
    })),
  );
  const cluster: BackupSpec = {job: 'sql', machine: 'sql-cluster', kind: 'cluster', owner: 'root', nodes};
  await runBackup(repo, {...cluster, time: day(1)});
  await tree(shared.data, {'db/log.ldf': 50_000});
  await runBackup(repo, {...cluster, time: day(3)});

  if (bigMiB > 0) {
    const big = await tree(
      join(src, 'bulk'),
      Object.fromEntries(Array.from({length: bigMiB}, (_, i) => [`blob-${i}.bin`, 1 << 20])),
    );
    await runBackup(repo, {
      job: 'bulk',
      machine: 'bulk',
      kind: 'server',
      owner: 'root',
      time: day(3),
      nodes: [{name: 'bulk', disks: [files('files', big)]}],
    });
  }
  return {dir, primary, secondary, cleanup: () => rm(dir, {recursive: true, force: true})};
}

/** Copies and job runs started from the screens run detached as the built CLI (`backhaul _run RUN`), not as the test file. */
export function builtRunner(): void {
  ensureBuilt();
  setRunner([process.execPath, CLI]);
}

/** The real TUI on the world, NO_COLOR, at a fixed size. */
export async function openTui(size: {columns: number; rows: number}) {
  builtRunner();
  let quits = 0;
  const r = await render(
    <App
      registry={createRegistry(SCREENS)}
      initial={{screen: 'backups', params: {repo: 'demo-primary'}}}
      theme={themeFor({NO_COLOR: '1'})}
      size={size}
      onQuit={() => quits++}
    />,
  );
  return {
    ...r,
    quits: () => quits,
    /** Waits (letting timers and I/O run) until the frame matches, or fails showing the last frame. */
    async waitFor(pattern: RegExp | ((frame: string) => boolean), ms = 60_000): Promise<string> {
      const end = Date.now() + ms;
      const ok = typeof pattern === 'function' ? pattern : (f: string) => pattern.test(f);
      for (;;) {
        const frame = r.frame();
        if (ok(frame)) return frame;
        if (Date.now() > end) throw new Error(`Timed out waiting for ${pattern}. Last frame:\n${frame}`);
        await act(async () => {
          await new Promise(resolve => setTimeout(resolve, 25));
        });
      }
    },
  };
}

/** Every line fits the width, and the frame is at most rows-1 lines. */
export function assertFits(frame: string, size: {columns: number; rows: number}) {
  const lines = frame.split('\n');
  if (lines.length > size.rows - 1) throw new Error(`frame has ${lines.length} lines for ${size.rows} rows`);
  for (const line of lines)
    if ([...line].length > size.columns) throw new Error(`line wider than ${size.columns}: ${line}`);
  if (/\u001B\[/.test(frame)) throw new Error('colour escape in a NO_COLOR frame');
}
