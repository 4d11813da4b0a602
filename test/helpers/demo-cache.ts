/**
 * Test workspaces with the demo already built. Building the demo takes
 * 20-40 s, so it is built once into a cache under the system tmp dir, keyed
 * by a hash of the code that shapes it (demo, agent, repository, storage);
 * each workspace gets its own `cp -a` of it with private XDG dirs, and the
 * repositories re-registered there. The CLI is bundled from the current
 * source into a private directory (keyed by a hash of source/), so a test
 * never runs a stale or half-rebuilt dist/. Concurrent test files share the
 * cache: one builds under a lock, the others wait for it.
 */
import type {ChildProcess} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, readFileSync, readdirSync, statSync} from 'node:fs';
import {mkdir, mkdtemp, readdir, rename, rm, stat, symlink, utimes, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';
import {execa} from 'execa';
import {rootOnlyTempDir} from './root-only.js';

export const ROOT = resolve(fileURLToPath(import.meta.url), '../../..');
const CACHE = join(tmpdir(), 'backhaul-test-cache');

function hashPaths(paths: string[]): string {
  const hash = createHash('sha256');
  const walk = (path: string) => {
    const st = statSync(path);
    if (st.isDirectory()) {
      for (const name of readdirSync(path).sort()) walk(join(path, name));
    } else {
      hash.update(path.slice(ROOT.length)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  for (const p of paths) if (existsSync(join(ROOT, p))) walk(join(ROOT, p));
  hash.update(process.version);
  return hash.digest('hex').slice(0, 16);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Makes `dir` with `build(partialDir)` unless it exists; one builder at a time across processes. */
async function once(dir: string, build: (partial: string) => Promise<void>): Promise<string> {
  await mkdir(CACHE, {recursive: true});
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(join(dir, 'complete'))) {
      const now = new Date();
      await utimes(dir, now, now).catch(() => {}); // in use: keep it from being pruned
      return dir;
    }
    try {
      await mkdir(lock);
    } catch {
      let pid = 0;
      try {
        pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // A lock whose pid file is not written yet is young: wait for it.
      }
      if (pid > 0 && !alive(pid)) await rm(lock, {recursive: true, force: true});
      await new Promise(r => setTimeout(r, 500));
      continue;
    }
    try {
      await writeFile(join(lock, 'pid'), String(process.pid));
      if (existsSync(join(dir, 'complete'))) return dir;
      const partial = `${dir}.partial-${process.pid}`;
      await rm(partial, {recursive: true, force: true});
      await rm(dir, {recursive: true, force: true});
      await mkdir(partial, {recursive: true});
      await build(partial);
      await writeFile(join(partial, 'complete'), new Date().toISOString());
      await rename(partial, dir);
      return dir;
    } finally {
      await rm(lock, {recursive: true, force: true});
    }
  }
}

/** Drops cache entries of other keys that nobody touched for an hour (old source versions). */
async function prune(prefix: string, keep: string): Promise<void> {
  for (const name of await readdir(CACHE).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || name === keep || name.endsWith('.lock')) continue;
    const st = await stat(join(CACHE, name)).catch(() => undefined);
    if (st && Date.now() - st.mtimeMs > 3600_000) await rm(join(CACHE, name), {recursive: true, force: true});
  }
}

let cliPromise: Promise<string> | undefined;

/** Path of a CLI bundle built from the current source (as scripts/build.mjs builds dist/, into a private dir). */
export function cliPath(): Promise<string> {
  cliPromise ??= (async () => {
    const name = `cli-${hashPaths(['source', 'scripts/build.mjs', 'scripts/bundle.mjs', 'scripts/ink-patches.mjs', 'scripts/ink-patches', 'scripts/devtools-stub.mjs', 'package-lock.json'])}`;
    const dir = await once(join(CACHE, name), async partial => {
      const {build} = await import('esbuild');
      // The shipped bundle's own options (plugins included): the tests drive what users run.
      const {buildBundles} = await import(pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href);
      await buildBundles(build, partial);
      // The bundle leaves ext2fs, better-sqlite3 and mailparser to node_modules (scripts/bundle.mjs),
      // which dist/ finds in the package; this private copy finds them through a link.
      await symlink(join(ROOT, 'node_modules'), join(partial, 'node_modules'));
    });
    await prune('cli-', name);
    return join(dir, 'cli.js');
  })();
  return cliPromise;
}

export interface Result {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface Workspace {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Directory of demo-primary / demo-secondary. */
  primary: string;
  secondary: string;
  cli: string;
  /** Runs `backhaul ARGS` in this workspace. */
  run(args: string[], options?: {timeoutMs?: number}): Promise<Result>;
  /** Runs `backhaul ARGS`, expects exit 0 and parses stdout as JSON. */
  json<T = any>(args: string[]): Promise<T>;
  /** Starts `backhaul ARGS` and returns the child (stdout/stderr piped). */
  spawn(args: string[]): ChildProcess;
  cleanup(): Promise<void>;
}

/** The output and exit of a started process (execa's with `buffer: false`, or any child with piped stdout/stderr), killed after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs = 300_000): Promise<Result> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({code, signal, stdout, stderr});
    });
  });
}

function makeWorkspace(dir: string, cli: string): Workspace {
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: join(dir, 'config'),
    XDG_DATA_HOME: join(dir, 'data'),
    XDG_CACHE_HOME: join(dir, 'cache'),
    NO_COLOR: '1',
    FORCE_COLOR: '0',
  };
  const demo = join(dir, 'data', 'backhaul', 'demo');
  const spawnCli = (args: string[]) =>
    execa(process.execPath, [cli, ...args], {
      env,
      extendEnv: false,
      cwd: dir,
      stdin: 'ignore',
      buffer: false,
      reject: false,
    });
  const ws: Workspace = {
    dir,
    env,
    cli,
    primary: join(demo, 'primary'),
    secondary: join(demo, 'secondary'),
    spawn: spawnCli,
    run: (args, options) => collect(spawnCli(args), options?.timeoutMs),
    async json(args) {
      const r = await ws.run(args);
      if (r.code !== 0) throw new Error(`backhaul ${args.join(' ')} exited ${r.code}:\n${r.stderr}${r.stdout}`);
      return JSON.parse(r.stdout);
    },
    cleanup: () => rm(dir, {recursive: true, force: true}),
  };
  return ws;
}

/** A fresh workspace holding a copy of the cached demo (demo-primary full, demo-secondary empty). */
export async function demoWorkspace(label: string, options: {rootOnly?: boolean} = {}): Promise<Workspace> {
  const cli = await cliPath();
  // The demo's code and the repository format (not the writer's or reader's behaviour, which the tests exercise).
  const format = ['config', 'model', 'pack', 'blob', 'chunker', 'index-store'].map(
    f => `source/engine/repository/${f}.ts`,
  );
  const name = `demo-${hashPaths(['source/engine/demo', 'source/engine/agent', ...format])}`;
  const cached = await once(join(CACHE, name), async partial => {
    const builder = makeWorkspace(partial, cli);
    const r = await builder.run(['demo'], {timeoutMs: 600_000});
    if (r.code !== 0) throw new Error(`backhaul demo failed (${r.code}):\n${r.stderr}`);
    await rm(join(partial, 'config'), {recursive: true, force: true});
  });
  await prune('demo-', name);
  // rootOnly: where the sudo rule opens repositories (only root can write any directory above them).
  const dir = options.rootOnly ? await rootOnlyTempDir(`bh-${label}`) : await mkdtemp(join(tmpdir(), `bh-${label}-`));
  const cp = await execa('cp', ['-a', join(cached, 'data'), join(dir, 'data')], {stdin: 'ignore', reject: false});
  if (cp.exitCode !== 0) throw new Error(`cp -a failed: ${cp.stderr}`);
  const ws = makeWorkspace(dir, cli);
  const r = await ws.run(['demo']); // the demo is ready: this only registers the repositories at their new place
  if (r.code !== 0) throw new Error(`backhaul demo failed (${r.code}):\n${r.stderr}`);
  return ws;
}

/** A workspace without the demo (own XDG dirs), for commands that need none. */
export async function emptyWorkspace(label: string): Promise<Workspace> {
  return makeWorkspace(await mkdtemp(join(tmpdir(), `bh-${label}-`)), await cliPath());
}
