/**
 * Helpers for the backup copy job tests: waiting for a condition, reading a
 * run's log (the JSON lines a run writes under the workspace's data dir),
 * killing whatever runs a test left. Not a test file.
 */
import {randomBytes} from 'node:crypto';
import {mkdirSync, readFileSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import type {Workspace} from './demo-cache.js';

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

/** Polls `probe` until it returns something other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

export const runsDir = (ws: Workspace) => join(ws.dir, 'data', 'backhaul', 'runs');

export function runLog(ws: Workspace, runId: string): any[] {
  try {
    return readFileSync(join(runsDir(ws), `${runId}.jsonl`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .flatMap(l => {
        try {
          return [JSON.parse(l)];
        } catch {
          return [];
        }
      });
  } catch {
    return [];
  }
}

/** The transferred bytes the run's last stats line says, and when. */
export function lastStats(ws: Workspace, runId: string): {t: number; transferred: number} | undefined {
  const stats = runLog(ws, runId).filter(e => e.type === 'copy' && e.event.type === 'copy.stats');
  const last = stats.at(-1);
  return last ? {t: last.t, transferred: last.event.stats.transferredBytes} : undefined;
}

/** Kills (SIGKILL) every run process this workspace still has live (a failing test's leftovers). */
export function killRuns(ws: Workspace): void {
  let names: string[] = [];
  try {
    names = readdirSync(runsDir(ws));
  } catch {
    return;
  }
  for (const n of names.filter(x => x.endsWith('.run.json'))) {
    try {
      const run = JSON.parse(readFileSync(join(runsDir(ws), n), 'utf8'));
      process.kill(run.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

export async function jobStatus(ws: Workspace, name: string): Promise<any> {
  const all = await ws.json(['job', 'status', '--json']);
  return all.find((s: any) => s.name === name);
}

export async function history(ws: Workspace, name: string): Promise<any[]> {
  return ws.json(['job', 'history', name, '--json']);
}

/**
 * Adds a backup of `mb` MB of random bytes to the workspace's demo primary: the demo's own data compresses
 * to ~120 MB under zstd, and the throttle and window tests need a copy of over 200 MB to measure.
 */
export async function addIncompressibleBackup(ws: Workspace, mb: number): Promise<void> {
  const dir = join(ws.dir, 'incompressible');
  mkdirSync(dir, {recursive: true});
  for (let i = 0; i < mb; i += 8) writeFileSync(join(dir, `random-${i}.bin`), randomBytes(8 * 1_000_000));
  const args = ['agent', 'backup', '--repo', 'demo-primary', '--job', 'random', '--machine', 'random01'];
  const r = await ws.run([...args, '--kind', 'server', '--path', dir], {timeoutMs: 120_000});
  if (r.code !== 0) throw new Error(`agent backup of random data failed: ${r.stderr}`);
}
