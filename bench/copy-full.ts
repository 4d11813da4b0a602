/**
 * Full copy filesystem → filesystem only, on the primary repository that
 * `bench/backup-copy.ts --keep` left in .bench/work: alternating rounds of
 * `backhaul copy` to an empty directory, `cp -a` of the repository directory,
 * and `cp -a` followed by `sync` (Backhaul makes what it copies durable; cp -a
 * alone does not). Best of each, with the load average.
 * Usage: node --import tsx bench/copy-full.ts [--rounds 3]
 */
import {existsSync, rmSync} from 'node:fs';
import {loadavg} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {CLI, duBytes, gib, printTable, run, sh, type Row} from './common.js';

const {values} = parseArgs({options: {rounds: {type: 'string', default: '3'}}});
const work = join(process.cwd(), '.bench', 'work');
const primary = join(work, 'primary');
if (!existsSync(primary)) throw new Error(`No ${primary}: run bench/backup-copy.ts --keep first.`);
const env = {XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'share')};
const cpTarget = join(work, 'copy-full-cp');
const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);
const stamp = Date.now().toString(36);
// Agent backups write packs past the page cache: read the primary once so every round starts warm.
sh(`find ${JSON.stringify(primary)} -type f -exec cat {} + > /dev/null`);

const times: Record<'bh' | 'cp' | 'cpSync', number[]> = {bh: [], cp: [], cpSync: []};
let transferred = 0;
for (let round = 0; round < Number(values.rounds); round++) {
  const name = `copy-full-${stamp}-${round}`;
  const target = join(work, name);
  bh('repo', 'add', name, target);
  rmSync(cpTarget, {recursive: true, force: true});
  run('sync', []);
  const copy = bh('copy', '--from', 'primary', '--to', name, '--points', 'all', '--json');
  transferred = JSON.parse(copy.stdout).transferredBytes;
  times.bh.push(copy.seconds);
  rmSync(target, {recursive: true, force: true});
  run('sync', []);
  times.cp.push(run('cp', ['-a', primary, cpTarget]).seconds);
  run('sync', []);
  rmSync(cpTarget, {recursive: true, force: true});
  run('sync', []);
  const started = performance.now();
  run('cp', ['-a', primary, cpTarget]);
  run('sync', []);
  times.cpSync.push((performance.now() - started) / 1000);
}
rmSync(cpTarget, {recursive: true, force: true});
const best = (xs: number[]) => Math.min(...xs);
const list = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(', ');
const rows: Row[] = [
  {measure: `copy, full (${gib(duBytes(primary))} repository)`, backhaul: best(times.bh), reference: 'cp -a of the repository', referenceSeconds: best(times.cp),
    note: `verifies every chunk; transferred ${gib(transferred)}; runs: backhaul ${list(times.bh)} s, cp -a ${list(times.cp)} s`},
  {measure: 'copy, full', backhaul: best(times.bh), reference: 'cp -a + sync', referenceSeconds: best(times.cpSync), note: `runs: ${list(times.cpSync)} s`},
];
printTable(`Full copy, filesystem → filesystem (best of ${values.rounds}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`, rows);
