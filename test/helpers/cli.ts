/**
 * Runs the built CLI (dist/cli.js) as a child process with its own XDG config,
 * data and cache dirs, so tests never see or touch the user's registered
 * repositories. Builds dist/ first when it is missing or older than source/.
 * Not a test file (no `.test.` in the name).
 */
import type {ChildProcess} from 'node:child_process';
import {createCipheriv, createHash} from 'node:crypto';
import {mkdirSync, readdirSync, statSync} from 'node:fs';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {execa, execaSync} from 'execa';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist', 'cli.js');

function newest(dir: string): number {
  let max = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const s = statSync(path);
    max = Math.max(max, s.isDirectory() ? newest(path) : s.mtimeMs);
  }
  return max;
}

let built = false;
/** Builds dist/cli.js unless it is newer than every source file (npm test builds it as pretest). */
export function ensureBuilt(): void {
  if (built) return;
  const cli = statSync(CLI, {throwIfNoEntry: false});
  if (!cli || cli.mtimeMs < newest(join(ROOT, 'source'))) {
    const r = execaSync(process.execPath, ['scripts/build.mjs'], {cwd: ROOT, stdio: 'inherit', reject: false});
    if (r.exitCode !== 0) throw new Error('building dist/cli.js failed');
  }
  built = true;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI run isolated under `home` (config and data dirs). */
export function cliEnv(home: string): NodeJS.ProcessEnv {
  mkdirSync(join(home, 'config'), {recursive: true});
  mkdirSync(join(home, 'data'), {recursive: true});
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_CACHE_HOME: join(home, 'cache'),
    NO_COLOR: '1',
  };
}

/** Starts the CLI; the caller may kill it and reads its output (see `collect`). */
export function startCli(home: string, args: string[]): ChildProcess {
  ensureBuilt();
  return execa(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: cliEnv(home),
    extendEnv: false,
    stdin: 'ignore',
    buffer: false,
    reject: false,
  });
}

/** Runs the CLI to completion and collects its output. */
export function runCli(home: string, args: string[]): Promise<CliResult> {
  const child = startCli(home, args);
  return collect(child);
}

/** The output and exit of a started process (execa's with `buffer: false`, or any child with piped stdout/stderr). */
export function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({code, signal, stdout, stderr}));
  });
}

/** A deterministic PRNG (mulberry32) for seeded test data and delays. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deterministic pseudo-random bytes (AES-256-CTR keystream of a seed: fast and incompressible). */
export function randomBuffer(size: number, seed: number): Buffer {
  const key = createHash('sha256').update(`backhaul-test-${seed}`).digest();
  return createCipheriv('aes-256-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}
