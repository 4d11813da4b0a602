/**
 * The job service (`backhaul service`), measured on the demo:
 * - idle cost: CPU seconds per hour of the service process (utime + stime
 *   from /proc/PID/stat) with 10 jobs (5 immediate, 5 periodic every 1h),
 *   once their first runs are over, over BENCH_IDLE_SECONDS (default 90);
 *   goal < 5 s/h;
 * - immediate mode's delay from commit to copied: 20 new agent restore
 *   points, each timed from its manifest's mtime in the source to its
 *   manifest's mtime on the target; goal p90 < 10 s.
 * The reference column holds the goal.
 */
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {randomBytes} from 'node:crypto';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {CLI, printTable, run} from './common.js';

const dir = mkdtempSync(join(tmpdir(), 'bh-jobs-bench-'));
const env = {XDG_CONFIG_HOME: join(dir, 'c'), XDG_DATA_HOME: join(dir, 'd'), NO_COLOR: '1'};
const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));
const IDLE_SECONDS = Number(process.env['BENCH_IDLE_SECONDS'] ?? 90);
const POINTS = 20;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100 Hz)
}

const liveRuns = () =>
  existsSync(join(dir, 'd', 'backhaul', 'runs'))
    ? readdirSync(join(dir, 'd', 'backhaul', 'runs')).filter(n => n.endsWith('.run.json')).length
    : 0;
const sessions = () => {
  try {
    return readFileSync(join(dir, 'd', 'backhaul', 'history.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean).length;
  } catch {
    return 0;
  }
};

async function until(what: string, probe: () => boolean, timeoutMs: number, everyMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(everyMs);
  }
}

async function main(): Promise<void> {
  bh('demo');
  const primary = join(dir, 'd', 'backhaul', 'demo', 'primary');
  for (let i = 0; i < 10; i++) {
    bh('repo', 'add', `t${i}`, join(dir, `t${i}`));
    const mode = i < 5 ? ['--mode', 'immediate'] : ['--mode', 'periodic', '--every', '1h'];
    bh(
      'job',
      'add',
      `job${i}`,
      '--from',
      'demo-primary',
      '--to',
      `t${i}`,
      '--machine',
      'alice-laptop',
      ...mode,
      '--rpo',
      '24h',
    );
  }
  const service = spawn(process.execPath, [CLI, 'service'], {env: {...process.env, ...env}, stdio: 'ignore'});
  try {
    await until('the first runs', () => sessions() >= 10 && liveRuns() === 0, 120_000, 200);
    await sleep(3000);
    const before = cpuSeconds(service.pid!);
    await sleep(IDLE_SECONDS * 1000);
    const idle = ((cpuSeconds(service.pid!) - before) / IDLE_SECONDS) * 3600;

    bh('repo', 'add', 'delay-target', join(dir, 'delay-target'));
    bh(
      'job',
      'add',
      'delay',
      '--from',
      'demo-primary',
      '--to',
      'delay-target',
      '--mode',
      'immediate',
      '--machine',
      'benchbox',
    );
    await until("the delay job's first run", () => sessions() >= 11 && liveRuns() === 0, 60_000, 200);
    const files = join(dir, 'files');
    mkdirSync(files, {recursive: true});
    const delays: number[] = [];
    for (let i = 0; i < POINTS; i++) {
      writeFileSync(join(files, 'changing.bin'), randomBytes(1 << 20));
      const made = JSON.parse(
        bh(
          'agent',
          'backup',
          '--repo',
          'demo-primary',
          '--job',
          'bench',
          '--machine',
          'benchbox',
          '--kind',
          'workstation',
          '--path',
          files,
          '--json',
        ).stdout,
      );
      const committed = statSync(join(primary, 'backups', made.backupId, 'points', `${made.pointId}.json`)).mtimeMs;
      const onTarget = join(dir, 'delay-target', 'backups', made.backupId, 'points', `${made.pointId}.json`);
      await until(`point ${i} on the target`, () => existsSync(onTarget), 60_000);
      delays.push((statSync(onTarget).mtimeMs - committed) / 1000);
      await until('the runs to end', () => liveRuns() === 0, 60_000);
    }
    delays.sort((a, b) => a - b);
    const p = (q: number) => delays[Math.min(delays.length - 1, Math.ceil(q * delays.length) - 1)]!;
    printTable('Job service', [
      {
        measure: `service idle CPU, 10 jobs (s per hour, over ${IDLE_SECONDS} s)`,
        backhaul: idle,
        reference: 'goal',
        referenceSeconds: 5,
        note: 'from /proc utime+stime',
      },
      {
        measure: `immediate mode, commit → on target, p90 of ${POINTS} points`,
        backhaul: p(0.9),
        reference: 'goal',
        referenceSeconds: 10,
        note: `p50 ${p(0.5).toFixed(2)} s, max ${delays.at(-1)!.toFixed(2)} s`,
      },
    ]);
  } finally {
    service.kill('SIGTERM');
    await sleep(1000);
    rmSync(dir, {recursive: true, force: true});
  }
}

await main();
