/**
 * Runs a script bundle through V8's code cache. Node 20 keeps compiled code
 * for no ES module (its compile cache came in Node 22), and compiling the
 * TUI's code took about a quarter of its start-up here; a `vm.Script` given
 * the bytes of an earlier `createCachedData()` skips that work.
 *
 * Two caches, tried in this order:
 * - the user's, in `cacheDir` (e.g. ~/.cache/backhaul): written by the first
 *   run of a build, once its start-up code has run, so it holds that code
 *   compiled;
 * - the build's seed, `FILE.v8cache` beside the bundle (scripts/bundle.mjs):
 *   only the parse, but it spares even the first run most of the compile.
 *
 * Guarantees:
 * - A cache only ever speeds things up: a missing, unreadable, rejected
 *   (other Node, other V8 flags) or untrusted one means a normal compile, and
 *   a failure to write one is ignored.
 * - Cached code is code: the user's cache is used only when it belongs to the
 *   effective user, the seed only when it belongs to that user or to root, and
 *   either only when nobody else may write it. The directory is made 0700 and
 *   files 0600, each written whole (temporary file, then rename).
 * - One user cache file per bundle content, Node version and architecture;
 *   writing one removes the older ones of the same bundle.
 *
 * The bundle file is one function expression (bundle.mjs wraps it), called
 * with BUNDLE_PARAMS' values in that order: the names and their order are in
 * bundle-params.json, which bundle.mjs reads to write the function's head.
 */
import {createHash} from 'node:crypto';
import {
  closeSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import {createRequire} from 'node:module';
import {basename, dirname, join} from 'node:path';
import {pathToFileURL} from 'node:url';
import vm from 'node:vm';
import bundleParams from './bundle-params.json' with {type: 'json'};

/** Where this run's compiled code came from: for the benchmark and the tests. */
export type CacheState = 'user' | 'seed' | 'none' | 'off';

export interface LoadedBundle<T> {
  readonly exports: T;
  readonly cache: CacheState;
  /** Writes the user cache now, unless it was used or is written already; never throws. */
  readonly save: () => boolean;
}

/** The names the bundle's function takes, in order (bundle-params.json, also read by scripts/bundle.mjs). */
export const BUNDLE_PARAMS: readonly string[] = bundleParams;

/** The file's bytes, if one of `owners` owns it and nobody else can write it. */
function readTrusted(file: string, owners: ReadonlyArray<number | undefined>): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    const trusted = st.isFile() && (st.mode & 0o022) === 0 && (owners[0] === undefined || owners.includes(st.uid));
    return trusted ? readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * mkdir -p with a bound: Node's recursive mkdir spins for ever where a parent
 * exists but refuses children (seen with a cache dir under /proc).
 */
function makeDir(dir: string, depth = 0): void {
  try {
    mkdirSync(dir, {mode: 0o700});
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT' || depth >= 16 || dirname(dir) === dir) throw e;
    makeDir(dirname(dir), depth + 1);
    mkdirSync(dir, {mode: 0o700});
  }
}

function writeCache(dir: string, file: string, data: Buffer, prefix: string): void {
  makeDir(dir);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, data, {mode: 0o600});
  renameSync(temp, file);
  for (const name of readdirSync(dir)) {
    if (name.startsWith(prefix) && join(dir, name) !== file && !name.endsWith('.tmp'))
      rmSync(join(dir, name), {force: true});
  }
}

const noResolve = (specifier: string) => {
  throw new Error(`import.meta.resolve(${JSON.stringify(specifier)}) is not available in a script bundle.`);
};

/**
 * Compiles `source` with the first of `caches` that is there. V8 compiles in
 * full when it rejects one (it was made by another Node or with other
 * flags); the next would most likely be rejected for the same reason, so that
 * compile is kept.
 */
function compile(
  file: string,
  source: string,
  caches: ReadonlyArray<[CacheState, () => Buffer | undefined]>,
): [vm.Script, CacheState] {
  for (const [state, read] of caches) {
    const cachedData = read();
    if (cachedData === undefined) continue;
    const script = new vm.Script(source, {filename: file, cachedData});
    return [script, script.cachedDataRejected ? 'none' : state];
  }
  return [new vm.Script(source, {filename: file}), 'none'];
}

/**
 * Compiles and runs `file` (a bundle made by scripts/bundle.mjs), with a code
 * cache from `cacheDir` or the build's seed; `cacheDir` undefined: no cache.
 */
export async function runBundle<T>(file: string, cacheDir: string | undefined): Promise<LoadedBundle<T>> {
  const source = readFileSync(file, 'utf8');
  const prefix = `${basename(file)}-`;
  const id = createHash('sha256')
    .update(source)
    .update(`\0${process.version}\0${process.arch}`)
    .digest('hex')
    .slice(0, 20);
  const cacheFile = cacheDir === undefined ? undefined : join(cacheDir, `${prefix}${id}.v8cache`);
  const uid = process.geteuid?.();
  const [script, cache] =
    cacheFile === undefined
      ? [new vm.Script(source, {filename: file}), 'off' as const]
      : compile(file, source, [
          ['user', () => readTrusted(cacheFile, [uid])],
          ['seed', () => readTrusted(`${file}.v8cache`, [uid, 0])],
        ]);
  const module = {exports: {} as T};
  const pending: Array<Promise<unknown>> = [];
  const run = script.runInThisContext() as (...args: unknown[]) => void;
  const args: Record<string, unknown> = {
    exports: module.exports,
    require: createRequire(file),
    module,
    __filename: file,
    __dirname: dirname(file),
    __backhaulMetaUrl: pathToFileURL(file).href,
    __backhaulPending: pending,
    __backhaulNoResolve: noResolve,
  };
  run(
    ...BUNDLE_PARAMS.map(name => {
      if (!(name in args))
        throw new Error(`The TUI bundle takes "${name}", which source/boot/code-cache.ts does not provide.`);
      return args[name];
    }),
  );
  await Promise.all(pending);
  let saved = cache === 'user' || cache === 'off';
  const save = () => {
    if (saved) return false;
    saved = true;
    try {
      writeCache(cacheDir!, cacheFile!, script.createCachedData(), prefix);
      return true;
    } catch {
      return false;
    }
  };
  return {exports: module.exports, cache, save};
}
