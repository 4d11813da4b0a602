/**
 * Several writers into one target (version 2's shared locks): two copies
 * from different sources into one empty directory repository at once, against
 * the same two copies one after the other (what a single writer lock forced).
 * Each source holds its own seeded data set (large incompressible files and
 * a few thousand small ones), backed up once with `backhaul agent backup`
 * into .bench/two-writers and reused by later runs. Prints both times (best
 * of the rounds, with medians) and the ratio; the reference is the copies in
 * sequence, on the same data, in the same script.
 * Usage: node --import tsx bench/two-writers.ts [--size-mib 256] [--rounds 3]
 */
import {spawn} from 'node:child_process';
import {createCipheriv, createHash} from 'node:crypto';
import {existsSync, mkdirSync, rmSync, writeFileSync} from 'node:fs';
import {loadavg} from 'node:os';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {CLI, gib, duBytes, printTable, run} from './common.js';

const {values} = parseArgs({
  options: {'size-mib': {type: 'string', default: '256'}, rounds: {type: 'string', default: '3'}},
});
const sizeMiB = Number(values['size-mib']);
const rounds = Math.max(1, Number(values.rounds));
const MiB = 1 << 20;
const root = join(process.cwd(), '.bench', 'two-writers');
const work = join(root, 'work');
const env = {XDG_CONFIG_HOME: join(work, 'config'), XDG_DATA_HOME: join(work, 'share')};
const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);

/** Deterministic incompressible bytes (AES-256-CTR keystream of a seed). */
function bytes(size: number, seed: string): Buffer {
  const key = createHash('sha256').update(`backhaul-bench-two-${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

/** A source repository `name` holding one backup of its own data set (made once). */
function source(name: string): string {
  const repo = join(root, `${name}-${sizeMiB}`);
  const data = join(root, `${name}-data-${sizeMiB}`);
  if (!existsSync(join(repo, 'config'))) {
    rmSync(data, {recursive: true, force: true});
    mkdirSync(join(data, 'small'), {recursive: true});
    const large = Math.floor((sizeMiB * 0.85) / 4);
    for (let i = 0; i < 4; i++) writeFileSync(join(data, `large-${i}.bin`), bytes(large * MiB, `${name}-large-${i}`));
    let small = (sizeMiB - large * 4) * MiB;
    for (let i = 0; small > 0; i++) {
      const size = 1024 + (((i * 2654435761) >>> 0) % (63 * 1024));
      writeFileSync(join(data, 'small', `f${i}.dat`), bytes(size, `${name}-small-${i}`));
      small -= size;
    }
    rmSync(repo, {recursive: true, force: true});
    bh('repo', 'add', name, repo, '--replace');
    bh('agent', 'backup', '--repo', name, '--job', name, '--machine', name, '--kind', 'server', '--path', data);
    rmSync(data, {recursive: true, force: true});
  }
  bh('repo', 'add', name, repo, '--replace');
  return repo;
}

/** `backhaul copy` from `from` into `to`, as a promise (so two can run at once). */
function copy(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'copy', '--from', from, '--to', to, '--points', 'all'], {
      env: {...process.env, ...env},
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', code =>
      code === 0 ? resolve() : reject(new Error(`copy from ${from} exited ${code}: ${stderr}`)),
    );
  });
}

async function timed(target: string, together: boolean): Promise<number> {
  rmSync(target, {recursive: true, force: true});
  bh('repo', 'add', 'target', target, '--replace');
  run('sync', []);
  const started = performance.now();
  if (together) await Promise.all([copy('site-a', 'target'), copy('site-b', 'target')]);
  else {
    await copy('site-a', 'target');
    await copy('site-b', 'target');
  }
  const seconds = (performance.now() - started) / 1000;
  bh('verify', '--repo', 'target');
  return seconds;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

mkdirSync(work, {recursive: true});
const sources = [source('site-a'), source('site-b')];
const target = join(work, 'target');
const times = {together: [] as number[], sequence: [] as number[]};
for (let i = 0; i < rounds; i++) {
  // Alternating, so drift in the machine's load falls on both.
  times.sequence.push(await timed(target, false));
  times.together.push(await timed(target, true));
}
rmSync(work, {recursive: true, force: true});
const best = {together: Math.min(...times.together), sequence: Math.min(...times.sequence)};
const size = gib(sources.reduce((s, d) => s + duBytes(d), 0));
console.log(
  `two copies at once: ${best.together.toFixed(2)} s (median ${median(times.together).toFixed(2)} s); ` +
    `one after the other: ${best.sequence.toFixed(2)} s (median ${median(times.sequence).toFixed(2)} s); ` +
    `ratio (sequence / together) ${(best.sequence / best.together).toFixed(2)}×; ${size} from two sources; ` +
    `load average ${loadavg()[0]!.toFixed(2)}`,
);
printTable(`Two copies into one directory target (${size}, best of ${rounds})`, [
  {
    measure: 'copies from site A and site B at once',
    backhaul: best.together,
    reference: 'the same two copies one after the other',
    referenceSeconds: best.sequence,
    note: 'each target verified after the run',
  },
]);
