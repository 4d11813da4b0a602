/**
 * Full copy filesystem → filesystem only, on the primary repository that
 * `bench/backup-copy.ts --keep` left in .bench/work: alternating runs of
 * `backhaul copy` to an empty directory, `cp -a` of the repository directory,
 * and `cp -a` followed by `sync` (Backhaul makes what it copies durable; cp -a
 * alone does not), with the source in the page cache each time, in two states
 * of the machine's memory:
 *
 *  - "memory just freed": right before each run, a copy of the repository
 *    into the page cache is deleted, so the run's page-cache writes land in
 *    pages the kernel has just freed (what a second cp -a in a row sees);
 *  - "memory handed back": the page cache is dropped and the machine left
 *    idle for a few seconds first, so a virtual machine that reports free
 *    pages to its host (this one) has given them back and every new
 *    page-cache page costs a fault into the host (what a first copy sees).
 *
 * cp -a writes into the page cache and returns before anything is on disk,
 * so in the first state it measures memory, not the disk; cp -a + sync and
 * the raw `dd oflag=direct` write of as many bytes measure the disk.
 * Best of each, with medians and the load average.
 * Usage: node --import tsx bench/copy-full.ts [--rounds 3] [--settle 5]
 */
import {existsSync, rmSync, writeFileSync} from 'node:fs';
import {loadavg} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {CLI, duBytes, gib, printTable, run, sh, type Row} from './common.js';

const {values} = parseArgs({options: {rounds: {type: 'string', default: '3'}, settle: {type: 'string', default: '5'}}});
const work = join(process.cwd(), '.bench', 'work');
const primary = join(work, 'primary');
if (!existsSync(primary)) throw new Error(`No ${primary}: run bench/backup-copy.ts --keep first.`);
const env = {XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'share')};
const target = join(work, 'copy-full-target');
const scratch = join(work, 'copy-full-scratch');
const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);
const bytes = duBytes(primary);
const canDrop = process.getuid?.() === 0 && existsSync('/proc/sys/vm/drop_caches');

const warm = () => sh(`find ${JSON.stringify(primary)} -type f -exec cat {} + > /dev/null`);
const clean = () => {
  rmSync(target, {recursive: true, force: true});
  run('sync', []);
};
type State = 'freed' | 'handed back';
const prepare = (state: State) => {
  clean();
  if (state === 'freed') {
    warm();
    run('cp', ['-a', primary, scratch]);
    rmSync(scratch, {recursive: true, force: true});
  } else {
    if (canDrop) writeFileSync('/proc/sys/vm/drop_caches', '3');
    warm();
    run('sleep', [values.settle!]);
  }
};

const tools = {
  backhaul: () => {
    bh('repo', 'add', 'copy-full-target', target);
    const copy = bh('copy', '--from', 'primary', '--to', 'copy-full-target', '--points', 'all', '--json');
    return {seconds: copy.seconds, transferred: JSON.parse(copy.stdout).transferredBytes as number};
  },
  cp: () => ({seconds: run('cp', ['-a', primary, target]).seconds, transferred: bytes}),
  cpSync: () => {
    const started = performance.now();
    run('cp', ['-a', primary, target]);
    run('sync', []);
    return {seconds: (performance.now() - started) / 1000, transferred: bytes};
  },
  dd: () => {
    const started = performance.now();
    run('dd', [
      'if=/dev/zero',
      `of=${target}`,
      'bs=8M',
      `count=${Math.ceil(bytes / (8 << 20))}`,
      'oflag=direct',
      'conv=fsync',
      'status=none',
    ]);
    return {seconds: (performance.now() - started) / 1000, transferred: bytes};
  },
};
type Tool = keyof typeof tools;

const times = new Map<string, number[]>();
let transferred = 0;
const states: State[] = ['freed', 'handed back'];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const state of states) {
    for (const tool of Object.keys(tools) as Tool[]) {
      if (tool === 'dd' && state === 'freed') continue; // direct I/O: no page cache either way
      prepare(state);
      const r = tools[tool]();
      if (tool === 'backhaul') transferred = r.transferred;
      const key = `${tool} ${state}`;
      times.set(key, [...(times.get(key) ?? []), r.seconds]);
      process.stderr.write(`${key}: ${r.seconds.toFixed(2)} s\n`);
    }
  }
}
clean();

const best = (key: string) => Math.min(...times.get(key)!);
const median = (key: string) => {
  const xs = [...times.get(key)!].sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
};
const list = (key: string) =>
  times
    .get(key)!
    .map(x => x.toFixed(2))
    .join(', ');
const rows: Row[] = [];
for (const state of states) {
  const b = `backhaul ${state}`;
  rows.push({
    measure: `copy, full (${gib(bytes)} repository), ${state}`,
    backhaul: best(b),
    reference: 'cp -a of the repository',
    referenceSeconds: best(`cp ${state}`),
    note: `verifies every chunk; transferred ${gib(transferred)}; runs: backhaul ${list(b)} s, cp -a ${list(`cp ${state}`)} s; median ratio ${(median(`cp ${state}`) / median(b)).toFixed(2)}×`,
  });
  rows.push({
    measure: `copy, full, ${state}`,
    backhaul: best(b),
    reference: 'cp -a + sync',
    referenceSeconds: best(`cpSync ${state}`),
    note: `runs: ${list(`cpSync ${state}`)} s; median ratio ${(median(`cpSync ${state}`) / median(b)).toFixed(2)}×`,
  });
}
rows.push({
  measure: 'copy, full',
  backhaul: best('backhaul handed back'),
  reference: "dd oflag=direct of as many bytes (the disk's write speed)",
  referenceSeconds: best('dd handed back'),
  note: `runs: ${list('dd handed back')} s`,
});
printTable(
  `Full copy, filesystem → filesystem (best of ${values.rounds}; ${canDrop ? `page cache dropped and ${values.settle} s idle before "handed back" runs` : 'page cache NOT dropped (not root): "handed back" is only approximate'}; load average ${loadavg()
    .map(l => l.toFixed(2))
    .join(' ')})`,
  rows,
);
