// The esbuild options of the shipped bundle, shared by `npm run build`
// (scripts/build.mjs) and the tests' private bundles (test/helpers/demo-cache.ts),
// so that the end-to-end tests drive exactly what users run.
import {readFile} from 'node:fs/promises';
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

const banner = `import {createRequire as __cr} from 'node:module';const require = __cr(import.meta.url);`;

/**
 * Options for esbuild's `build`: the CLI and its chunks into `outdir`, and
 * the TUI's copy worker as a second entry point beside cli.js (found by
 * source/engine/copy/worker-host.ts; it shares the engine's chunks).
 */
export function bundleOptions(outdir) {
  return {
    absWorkingDir: ROOT,
    outdir,
    entryPoints: {cli: 'source/cli.tsx', 'copy-worker': 'source/engine/copy/copy-worker.ts'},
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
