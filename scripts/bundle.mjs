// The esbuild options of the shipped bundle, shared by `npm run build`
// (scripts/build.mjs) and the tests' private bundles (test/helpers/demo-cache.ts),
// so that the end-to-end tests drive exactly what users run.
import {readFile, writeFile} from 'node:fs/promises';
import vm from 'node:vm';
import {resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

// Ink composes every frame from scratch; source/ui/ink/ keeps its results
// across frames (see output.ts). Both replacements are built on the exact
// modules Ink resolves, so only the caching differs.
const inkBuild = resolve(ROOT, 'node_modules/ink/build');
const fromInk = (args) => args.importer.startsWith(inkBuild + '/');
const inkFastFrames = {
  name: 'ink-fast-frames',
  setup(build) {
    build.onResolve({filter: /^\.\/output\.js$/}, (args) => (fromInk(args) ? {path: 'output', namespace: 'ink-fast-frames'} : undefined));
    build.onResolve({filter: /^widest-line$/}, (args) => (fromInk(args) ? {path: 'widest-line', namespace: 'ink-fast-frames'} : undefined));
    build.onLoad({filter: /^output$/, namespace: 'ink-fast-frames'}, () => ({resolveDir: inkBuild, loader: 'js', contents: `
      import sliceAnsi from 'slice-ansi';
      import stringWidth from 'string-width';
      import {styledCharsFromTokens, styledCharsToString, tokenize} from '@alcalzone/ansi-tokenize';
      import {createOutputClass} from ${JSON.stringify(resolve(ROOT, 'source/ui/ink/output.ts'))};
      export default createOutputClass({sliceAnsi, stringWidth, tokenize, styledCharsFromTokens, styledCharsToString});`}));
    build.onLoad({filter: /^widest-line$/, namespace: 'ink-fast-frames'}, () => ({resolveDir: inkBuild, loader: 'js', contents: `
      import widestLine from 'widest-line';
      import {memoize} from ${JSON.stringify(resolve(ROOT, 'source/ui/ink/bounded-cache.ts'))};
      export default memoize(widestLine, 8192);`}));
  },
};

// Text measuring without Intl.Segmenter and emoji patterns at start-up (see
// source/ui/ink/fast-text.ts): string-width gets a fast path in front and
// loads only when needed; the two tokenizers get a lazy segmenter.
const fastText = JSON.stringify(resolve(ROOT, 'source/ui/ink/fast-text.ts'));
const SEGMENTER_USERS = /node_modules\/(slice-ansi\/tokenize-ansi|@alcalzone\/ansi-tokenize\/build\/tokenize)\.js$/;
const inkFastText = {
  name: 'ink-fast-text',
  setup(build) {
    build.onResolve({filter: /^string-width$/}, async (args) => {
      // ESM importers only: a CommonJS `require('string-width')` (cli-progress) expects the function
      // itself, not a module namespace, and is not on the TUI's start path anyway.
      if (args.kind !== 'import-statement' || args.pluginData?.real || args.namespace === 'fast-string-width') return undefined;
      const real = await build.resolve('string-width', {resolveDir: args.resolveDir, kind: args.kind, pluginData: {real: true}});
      if (real.errors.length > 0) return {errors: real.errors};
      return {path: real.path, namespace: 'fast-string-width'};
    });
    build.onLoad({filter: /.*/, namespace: 'fast-string-width'}, (args) => ({resolveDir: ROOT, loader: 'js', contents: `
      import {simpleWidth} from ${fastText};
      let real;
      export default function stringWidth(text, options) {
        if (options === undefined) {
          const width = simpleWidth(text);
          if (width >= 0) return width;
        }
        real ??= require(${JSON.stringify(args.path)}).default;
        return real(text, options);
      }`}));
    build.onLoad({filter: SEGMENTER_USERS}, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const patched = source.replaceAll('new Intl.Segmenter(', '__lazySegmenter(');
      if (patched === source) return {errors: [{text: `${args.path} no longer builds an Intl.Segmenter: update scripts/bundle.mjs`}]};
      return {loader: 'js', contents: `import {lazySegmenter as __lazySegmenter} from ${fastText};\n${patched}`};
    });
  },
};

// The TUI's CommonJS bundle (see tuiBundleOptions) cannot hold top-level await.
// yoga-layout awaits its WebAssembly at the top of its entry: here the entry
// starts that load, hands the promise to the bundle loader (__backhaulPending,
// awaited before the bundle's exports are used) and fills the exported object
// in place, which Ink only reads when it lays out a frame. Yoga decodes its
// embedded module through `fetch` when fetch exists, and Node's first fetch
// loads its whole HTTP client (~60 ms): fetch is hidden until the load is done.
const yogaDir = resolve(ROOT, 'node_modules/yoga-layout/dist/src');
const yogaWithoutAwait = {
  name: 'yoga-without-await',
  setup(build) {
    build.onResolve({filter: /^yoga-layout$/}, () => ({path: 'yoga-layout', namespace: 'yoga-without-await'}));
    build.onLoad({filter: /.*/, namespace: 'yoga-without-await'}, () => ({resolveDir: yogaDir, loader: 'js', contents: `
      import loadYoga from '../binaries/yoga-wasm-base64-esm.js';
      import wrapAssembly from './wrapAssembly.js';
      export * from './generated/YGEnums.js';
      const Yoga = {};
      const fetch = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
      const hide = fetch?.configurable === true;
      if (hide) Object.defineProperty(globalThis, 'fetch', {value: undefined, configurable: true, writable: true});
      __backhaulPending.push(loadYoga().then((lib) => Object.assign(Yoga, wrapAssembly(lib)))
        .finally(() => hide && Object.defineProperty(globalThis, 'fetch', fetch)));
      export default Yoga;`}));
  },
};

// Ink's reconciler awaits, at its top level, its devtools and its package.json,
// both only when DEV is "true" (never in these bundles: see \`define\`).
const INK_DEV_AWAITS = ["await import('./devtools.js');", '? await loadPackageJson()'];
const inkWithoutDevAwaits = {
  name: 'ink-without-dev-awaits',
  setup(build) {
    build.onLoad({filter: /node_modules\/ink\/build\/reconciler\.js$/}, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!INK_DEV_AWAITS.every((text) => source.includes(text))) {
        return {errors: [{text: `${args.path} no longer awaits its devtools as expected: update scripts/bundle.mjs`}]};
      }
      return {loader: 'js', contents: source.replace(INK_DEV_AWAITS[0], '').replace(INK_DEV_AWAITS[1], '? undefined')};
    });
  },
};

const banner = `import {createRequire as __cr} from 'node:module';const require = __cr(import.meta.url);`;

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
    // React and its reconciler pick their development builds unless NODE_ENV says
    // production: 1 MB more to compile at start-up and slower renders.
    define: {'process.env.DEV': '"false"', 'process.env.NODE_ENV': '"production"'},
    plugins: [inkFastFrames, inkFastText],
    logLevel: 'warning',
    sourcemap: 'linked',
    minify: process.env.BACKHAUL_NO_MINIFY !== '1',
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
    plugins: [...base.plugins, yogaWithoutAwait, inkWithoutDevAwaits],
  };
}

const BUNDLE_PARAMS = ['exports', 'require', 'module', '__filename', '__dirname', '__backhaulMetaUrl', '__backhaulPending', '__backhaulNoResolve'];

/**
 * Both builds into `outdir` (what scripts/build.mjs ships and the tests drive),
 * and the TUI's seed code cache, `tui.cjs.v8cache`: the parse of the bundle by
 * this Node, which a first run uses (a later run has its own, fuller cache).
 */
export async function buildBundles(build, outdir) {
  await Promise.all([build(bundleOptions(outdir)), build(tuiBundleOptions(outdir))]);
  const file = resolve(ROOT, outdir, 'tui.cjs');
  const script = new vm.Script(await readFile(file, 'utf8'), {filename: file});
  await writeFile(`${file}.v8cache`, script.createCachedData(), {mode: 0o644});
}
