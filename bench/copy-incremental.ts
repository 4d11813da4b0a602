/**
 * The incremental copy and the no-op re-run of bench/backup-copy.ts, alone
 * and repeated: the same data set (bench/dataset.ts), a full backup copied
 * to a secondary and mirrored with cp -a, the 1 % change backed up, then
 * ROUNDS times from the same starting state (the secondary and cp -a's
 * mirror restored from saved copies):
 *   copy, incremental after 1% change  vs  rsync -a of the source repository into cp -a's copy (goal ≥ 0.67×)
 *   copy, no-op re-run                 (absolute; goal < 0.3 s)
 * and, as a second reference, bench/copy-floor.mjs into another copy of cp -a's
 * mirror: Node started, the repository walked and its new files copied and
 * fsynced, nothing checked (the least any durable copy in Node does; its
 * ratio to rsync says how much of the goal Node's start-up and fsync leave).
 * Each round runs Backhaul and rsync back to back (same page cache, same
 * load), so the ratio of a round is meaningful where absolute times are not;
 * the spread of the rounds is printed.
 *
 * Usage: node --import tsx bench/copy-incremental.ts [--rounds 3] [--reuse] [--size-gib 2]
 * (--reuse: keep the prepared state of an earlier run, .bench/incr, and only run the rounds;
 * BENCH_CLI=path/to/dist/cli.js runs another build against the same state)
 */
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {loadavg} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {CLI, printTable, run, sh, type Row} from './common.js';

const {values} = parseArgs({
  options: {
    rounds: {type: 'string', default: '3'},
    reuse: {type: 'boolean'},
    'size-gib': {type: 'string', default: '2'},
  },
});
const rounds = Number(values.rounds);
const root = join(process.cwd(), '.bench');
const data = join(root, 'data');
const work = join(root, 'incr');
const ready = join(work, 'ready');
const env = {XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'share')};
const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);
const primary = join(work, 'primary');
const secondary = join(work, 'secondary');
const secondaryBase = join(work, 'secondary-base');
const mirror = join(work, 'cp-copy');
const mirrorBase = join(work, 'cp-copy-base');
const warmRepo = (dir: string) => sh(`find ${JSON.stringify(dir)} -type f -exec cat {} + > /dev/null`);

function backup(): void {
  warmRepo(data);
  bh(
    'agent',
    'backup',
    '--repo',
    'primary',
    '--job',
    'bench',
    '--machine',
    'bench-files',
    '--kind',
    'server',
    '--path',
    join(data, 'files'),
    '--json',
  );
  bh(
    'agent',
    'backup',
    '--repo',
    'primary',
    '--job',
    'bench-image',
    '--machine',
    'bench-image',
    '--kind',
    'server',
    '--disk',
    `disk=${join(data, 'disk.img')}`,
    '--json',
  );
}

/** The state every round starts from: full backup copied and mirrored, then the 1 % change backed up. */
function prepare(): void {
  if (!existsSync(join(data, 'dataset.json')))
    run(process.execPath, ['--import', 'tsx', 'bench/dataset.ts', data, '--size-gib', values['size-gib']!]);
  rmSync(work, {recursive: true, force: true});
  mkdirSync(work, {recursive: true});
  bh('repo', 'add', 'primary', primary);
  bh('repo', 'add', 'secondary', secondary);
  backup();
  bh('copy', '--from', 'primary', '--to', 'secondary', '--points', 'all', '--json');
  run('cp', ['-a', primary, mirrorBase]);
  run('cp', ['-a', secondary, secondaryBase]);
  run(process.execPath, ['--import', 'tsx', 'bench/dataset.ts', data, '--mutate']);
  backup();
  writeFileSync(ready, 'prepared\n');
}

if (!values.reuse || !existsSync(ready)) prepare();

const rows: Row[] = [];
const ratios: number[] = [];
const floorRatios: number[] = [];
const noops: number[] = [];
for (let i = 1; i <= rounds; i++) {
  // Back to the saved state (rsync --delete: only what the last round changed is rewritten).
  for (const [from, to] of [
    [secondaryBase, secondary],
    [mirrorBase, mirror],
  ] as const)
    run('rsync', ['-a', '--delete', from + '/', to + '/']);
  run('sync', []);
  warmRepo(primary);
  warmRepo(secondary);
  const copy = bh('copy', '--from', 'primary', '--to', 'secondary', '--points', 'all', '--json');
  run('sync', []);
  warmRepo(primary);
  warmRepo(mirror);
  const rsync = run('rsync', ['-a', primary + '/', mirror + '/']);
  run('rsync', ['-a', '--delete', mirrorBase + '/', mirror + '/']);
  run('sync', []);
  warmRepo(primary);
  warmRepo(mirror);
  const floor = run(process.execPath, ['bench/copy-floor.mjs', primary, mirror]);
  floorRatios.push(rsync.seconds / floor.seconds);
  const noop = bh('copy', '--from', 'primary', '--to', 'secondary', '--points', 'all', '--json');
  const transferred = JSON.parse(copy.stdout).transferredBytes as number;
  ratios.push(rsync.seconds / copy.seconds);
  noops.push(noop.seconds);
  rows.push({
    measure: `round ${i}: copy, incremental after 1% change`,
    backhaul: copy.seconds,
    reference: "rsync -a of the source repository into cp -a's copy (goal: ratio ≥ 0.67)",
    referenceSeconds: rsync.seconds,
    note: `transferred ${(transferred / 1e6).toFixed(1)} MB`,
  });
  rows.push({
    measure: `round ${i}: floor (bench/copy-floor.mjs: Node copies the new files, fsynced, checks nothing)`,
    backhaul: floor.seconds,
    reference: 'rsync -a of the source repository, as above',
    referenceSeconds: rsync.seconds,
    note: `copied ${(JSON.parse(floor.stdout).bytes / 1e6).toFixed(1)} MB`,
  });
  rows.push({
    measure: `round ${i}: copy, no-op re-run`,
    backhaul: noop.seconds,
    reference: '(none; goal < 0.3 s)',
    referenceSeconds: 0,
    note: `transferred ${JSON.parse(noop.stdout).transferredBytes} bytes`,
  });
}

printTable(
  `Incremental copy and no-op re-run, ${rounds} round(s) (load average ${loadavg()
    .map(l => l.toFixed(2))
    .join(' ')})`,
  rows,
);
const spread = (xs: number[], unit: string, digits: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)]!.toFixed(digits)}${unit} (min ${s[0]!.toFixed(digits)}${unit}, max ${s.at(-1)!.toFixed(digits)}${unit})`;
};
console.log(`\nincremental ratio (rsync / backhaul): ${spread(ratios, '×', 2)}`);
console.log(`floor ratio (rsync / copy-floor.mjs): ${spread(floorRatios, '×', 2)}`);
console.log(`no-op re-run: ${spread(noops, ' s', 2)}`);
