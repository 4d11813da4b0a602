/**
 * Benchmark helpers: run a command and time it, print ratio tables. Every
 * figure is a ratio to a reference tool run in the same script on the same
 * data, because these machines are shared and noisy.
 */
import {spawnSync} from 'node:child_process';

/** This tree's build, or BENCH_CLI's (another tree's dist/cli.js: the same bench against another version). */
export const CLI = process.env.BENCH_CLI ?? new URL('../dist/cli.js', import.meta.url).pathname;

export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): {seconds: number; stdout: string} {
  const started = performance.now();
  const r = spawnSync(cmd, args, {encoding: 'utf8', env: {...process.env, ...env}, maxBuffer: 1 << 28});
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.slice(-2000)}`);
  return {seconds, stdout: r.stdout};
}

export function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export function sh(script: string): void {
  const r = spawnSync('sh', ['-c', script], {stdio: 'inherit'});
  if (r.status !== 0) throw new Error(`failed: ${script}`);
}

export function duBytes(path: string): number {
  const r = spawnSync('du', ['-sb', path], {encoding: 'utf8'});
  return Number(r.stdout.split(/\s/)[0]);
}

export interface Row {
  measure: string;
  backhaul: number;
  reference: string;
  referenceSeconds: number;
  note?: string;
}

export function printTable(title: string, rows: Row[]): void {
  console.log(`\n## ${title}\n`);
  console.log('| measure | backhaul | reference | reference time | ratio (reference / backhaul) | note |');
  console.log('| --- | ---: | --- | ---: | ---: | --- |');
  for (const r of rows) {
    const ratio = r.referenceSeconds > 0 && r.backhaul > 0 ? (r.referenceSeconds / r.backhaul).toFixed(2) + '×' : '-';
    console.log(
      `| ${r.measure} | ${r.backhaul.toFixed(2)} s | ${r.reference} | ${r.referenceSeconds.toFixed(2)} s | ${ratio} | ${r.note ?? ''} |`,
    );
  }
}

export const gib = (bytes: number) => (bytes / 2 ** 30).toFixed(2) + ' GiB';
