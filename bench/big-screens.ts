/**
 * Screens of a 100,000-point backup (issue 15, item 4), on the built program
 * (dist/cli.js) in a real pty: from the keypress to the frame that shows
 *  a. the Backups screen of the repository (Enter in the repository list):
 *     the backup's row (from its record), and the frame with its point
 *     count (its catalogue read);
 *  b. its Restore points screen (Enter on the backup): the list of COUNT
 *     points, and the frame where the "copied" marks from the second
 *     registered repository (holding every other point) are in.
 * Each run is a fresh TUI process and starts with a cold page cache (`sync`,
 * then `echo 3 > /proc/sys/vm/drop_caches`, root only; without root the runs
 * are warm and the table says so) before each of the two keys. Goal: each
 * screen < 300 ms after its key.
 *
 * Usage: node --import tsx bench/big-screens.ts [--runs 5] [--count 100000] [--cli PATH] [--warm]
 * --warm leaves the page cache alone (what the disk costs is the difference).
 * BENCH_PROFILE_DIR=DIR writes a V8 CPU profile of each TUI run there.
 */
import {spawnSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {ensureBuilt, ROOT} from '../test/helpers/cli.js';
import {percentile, Pty, sleep} from './pty.js';
import {BENCH_MACHINE, syntheticRepositories} from './synthetic-points.js';

const {values} = parseArgs({
  options: {
    runs: {type: 'string', default: '5'},
    count: {type: 'string', default: '100000'},
    cli: {type: 'string'},
    warm: {type: 'boolean'},
  },
});
const RUNS = Number(values.runs);
const COUNT = Number(values.count);
const CLI = values.cli ?? join(ROOT, 'dist', 'cli.js');
const PROFILE = process.env.BENCH_PROFILE_DIR ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROFILE_DIR] : [];
const log = (line: string) => process.stderr.write(`${line}\n`);
const ms = (n: number) => (Number.isFinite(n) ? `${n.toFixed(0)} ms` : '–');

/** Empties the page cache (root only); false when it could not. */
function dropCaches(): boolean {
  if (values.warm) return false;
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3\n');
    return true;
  } catch {
    return false;
  }
}

interface Run {
  /** The backup's row (from its record). */
  rows: number;
  /** Its point count (its catalogue read). */
  backups: number;
  points: number;
  marks: number;
}

async function once(env: Record<string, string>): Promise<{run: Run; cold: boolean}> {
  const pty = new Pty([process.execPath, ...PROFILE, CLI], {env});
  const total = COUNT.toLocaleString('en-US');
  try {
    await pty.waitForFrame(f => f.includes('bench-big') && f.includes('registered repositories'), 60_000);
    await sleep(300); // the list screen settled: nothing of it is measured
    let cold = dropCaches();
    const enter1 = pty.write('\r'); // the cursor is on bench-big, first by name
    const rows = await pty.waitForFrame(f => f.includes(BENCH_MACHINE), 120_000);
    const backups = await pty.waitForFrame(f => f.includes(BENCH_MACHINE) && f.includes(String(COUNT)), 120_000);
    await pty.settle(300, 10_000);
    cold = dropCaches() && cold;
    const enter2 = pty.write('\r');
    const points = await pty.waitForFrame(f => f.includes(`1/${total}`), 120_000);
    // Newest first: the second row (index COUNT-2, even when COUNT is) is a copied point.
    const marks = await pty.waitForFrame(f => f.includes('✓'), 120_000);
    return {
      run: {rows: rows - enter1, backups: backups - enter1, points: points - enter2, marks: marks - enter2},
      cold,
    };
  } finally {
    pty.write('q');
    const timer = setTimeout(() => pty.kill(), 5000);
    await pty.exited;
    clearTimeout(timer);
  }
}

log(`making two repositories with ${COUNT.toLocaleString('en-US')} restore points (cached)…`);
const pair = await syntheticRepositories(COUNT);
if (values.cli === undefined) ensureBuilt();
const home = await mkdtemp(join(tmpdir(), 'bh-bench-screens-'));
const env = {
  XDG_CONFIG_HOME: join(home, 'config'),
  XDG_DATA_HOME: join(home, 'data'),
  XDG_CACHE_HOME: join(home, 'cache'),
};
const runs: Run[] = [];
let cold = true;
try {
  for (const [name, dir] of [
    ['bench-big', pair.source],
    ['bench-copies', pair.target],
  ] as const) {
    const add = spawnSync(process.execPath, [CLI, 'repo', 'add', name, dir], {
      env: {...process.env, ...env},
      encoding: 'utf8',
    });
    if (add.status !== 0) throw new Error(`repo add failed: ${add.stderr}`);
  }
  for (let i = 0; i < RUNS; i++) {
    log(`run ${i + 1}/${RUNS}…`);
    const r = await once(env);
    runs.push(r.run);
    cold &&= r.cold;
  }
} finally {
  await rm(home, {recursive: true, force: true});
}
const row = (what: string, xs: number[], goal: string) =>
  `| ${what.padEnd(44)} | ${ms(percentile(xs, 50)).padStart(7)} | ${ms(Math.max(...xs)).padStart(7)} | ${goal.padEnd(8)} |`;
const total = COUNT.toLocaleString('en-US');
process.stdout.write(
  [
    '',
    `Screens of a ${total}-point backup, key to frame (${RUNS} runs, ${cold ? 'cold page cache before each key' : values.warm ? 'warm page cache (--warm)' : 'page cache NOT dropped (not root)'}, 120×40 pty, load average ${(await import('node:os')).loadavg()[0]!.toFixed(1)})`,
    `| ${'measure'.padEnd(44)} | ${'p50'.padStart(7)} | ${'max'.padStart(7)} | goal     |`,
    `|${'-'.repeat(46)}|${'-'.repeat(9)}|${'-'.repeat(9)}|${'-'.repeat(10)}|`,
    row(
      'Backups screen (Enter on the repository)',
      runs.map(r => r.rows),
      '< 300 ms',
    ),
    row(
      `  … with the backup's ${total} points counted`,
      runs.map(r => r.backups),
      '< 300 ms',
    ),
    row(
      `Restore points screen, ${total} rows (Enter)`,
      runs.map(r => r.points),
      '< 300 ms',
    ),
    row(
      '  … with the "copied" marks of the target',
      runs.map(r => r.marks),
      '< 300 ms',
    ),
    '',
  ].join('\n'),
);
