// The esbuild options of the shipped bundle, shared by `npm run build`
// (scripts/build.mjs) and the tests' private bundles (test/helpers/demo-cache.ts),
// so that the end-to-end tests drive exactly what users run. The patches of
// third-party code the TUI bundle carries, and their pins, are in ink-patches.mjs.
import {readFileSync} from 'node:fs';
import {readFile, writeFile} from 'node:fs/promises';
import vm from 'node:vm';
import {resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {checkPins, tuiPlugins} from './ink-patches.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// The names the TUI bundle's function takes, in order; source/boot/code-cache.ts
// calls it with their values, from the same file.
const BUNDLE_PARAMS = JSON.parse(readFileSync(resolve(ROOT, 'source/boot/bundle-params.json'), 'utf8'));

// __dirname and __filename too: CommonJS packages bundled into ES modules use them (zstd's loader looks for its addon beside itself).
const banner = `import {createRequire as __cr} from 'node:module';import {fileURLToPath as __fu} from 'node:url';import {dirname as __dn} from 'node:path';const require = __cr(import.meta.url);const __filename = __fu(import.meta.url);const __dirname = __dn(__filename);`;

/**
 * An entry point per worker thread and child process, bundled beside cli.js
 * (dist/<name>.js) and found there at run time by source/engine/workers/start.ts
 * (restore-writer: restore/writer-client.ts), from cli.js and from tui.cjs alike.
 */
export const WORKER_ENTRIES = {
  'copy-worker': 'source/engine/operations/copy-worker.ts',
  'verify-worker': 'source/engine/workers/verify-worker.ts',
  'chunk-worker': 'source/engine/agent/chunk-worker.ts',
  'walk-worker': 'source/engine/agent/walk-worker.ts',
  'restore-writer': 'source/engine/restore/writer-child.ts',
};

/** Options for esbuild's `build`: the CLI, the WORKER_ENTRIES and their shared chunks into `outdir`. */
export function bundleOptions(outdir) {
  return {
    absWorkingDir: ROOT,
    outdir,
    entryPoints: {cli: 'source/cli.tsx', ...WORKER_ENTRIES},
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    splitting: true,
    chunkNames: 'lib/[name]-[hash]',
    banner: {js: banner},
    alias: {'react-devtools-core': './scripts/devtools-stub.mjs'},
    // Native addons (zstd's, for repository format 2) are copied beside the bundle and required from there.
    loader: {'.node': 'copy'},
    // Loaded from node_modules as their authors ship them: ext2fs finds its .wasm beside
    // itself (and is sloppy-mode code esbuild refuses), better-sqlite3 is a native addon,
    // and both, like mailparser, are imported only when an image or explorer is opened.
    external: ['ext2fs', 'better-sqlite3', 'mailparser'],
    // React and its reconciler pick their development builds unless NODE_ENV says
    // production: 1 MB more to compile at start-up and slower renders.
    define: {'process.env.DEV': '"false"', 'process.env.NODE_ENV': '"production"'},
    plugins: [zstdLoaderPatch()],
    logLevel: 'warning',
    sourcemap: 'linked',
    minify: process.env.BACKHAUL_NO_MINIFY !== '1',
  };
}

/**
 * @mongodb-js/zstd's loader asks whether libc is musl through
 * process.report.getReport(), a whole diagnostic report: 17-22 ms here, paid
 * by the main thread and by every worker that loads zstd, on a copy's
 * critical path. The dynamic loader's own script names musl where it is the
 * libc (detect-libc reads the same file); the report stays the fallback. The
 * build fails if the text looked for is gone (the package is pinned, 1.2.2).
 */
function zstdLoaderPatch() {
  const slow = 'const { glibcVersionRuntime } = process.report.getReport().header;';
  return {
    name: 'zstd-loader-libc',
    setup(build) {
      build.onLoad({filter: /[\\/]@mongodb-js[\\/]zstd[\\/]bindings\.js$/}, async args => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes(slow))
          throw new Error(`${args.path}: its libc check changed; re-check zstdLoaderPatch in scripts/bundle.mjs`);
        const fast = `try { return readFileSync('/usr/bin/ldd', 'latin1').includes('musl'); } catch (e) { /* no ldd: ask the report */ }\n    ${slow}`;
        return {contents: text.replace(slow, fast), loader: 'js'};
      });
    },
  };
}

/**
 * The TUI (source/commands/tui.ts and everything it uses) as one CommonJS
 * file, `tui.cjs`, beside cli.js: V8 can cache a script's compiled code
 * between runs, not an ES module's on Node 20 (source/boot/code-cache.ts runs
 * it, and says what the extra names below are).
 */
export function tuiBundleOptions(outdir) {
  const base = bundleOptions(outdir);
  return {
    ...base,
    entryPoints: {tui: 'source/commands/tui.ts'},
    format: 'cjs',
    splitting: false,
    chunkNames: undefined,
    // One function expression, compiled as is by source/boot/code-cache.ts and called with these
    // names' values in this order (its BUNDLE_PARAMS).
    banner: {js: `(function (${BUNDLE_PARAMS.join(', ')}) {`},
    footer: {js: '})'},
    outExtension: {'.js': '.cjs'},
    // A script run by node:vm has no loader for import(): esbuild turns the ones left (node: built-ins) into require.
    supported: {'dynamic-import': false},
    define: {...base.define, 'import.meta.url': '__backhaulMetaUrl', 'import.meta.resolve': '__backhaulNoResolve'},
    plugins: [zstdLoaderPatch(), ...tuiPlugins()],
  };
}

/**
 * Both builds into `outdir` (what scripts/build.mjs ships and the tests drive),
 * and the TUI's seed code cache, `tui.cjs.v8cache`: the parse of the bundle by
 * this Node, which a first run uses (a later run has its own, fuller cache).
 */
export async function buildBundles(build, outdir) {
  const stale = checkPins();
  if (stale.length > 0) throw new Error(`Patched third-party files are not as pinned:\n${stale.join('\n')}`);
  await Promise.all([build(bundleOptions(outdir)), build(tuiBundleOptions(outdir))]);
  const file = resolve(ROOT, outdir, 'tui.cjs');
  const script = new vm.Script(await readFile(file, 'utf8'), {filename: file});
  await writeFile(`${file}.v8cache`, script.createCachedData(), {mode: 0o644});
}
