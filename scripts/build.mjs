// Bundles the CLI (and its worker threads) with esbuild: one ESM file starts
// in about a third of the time of plain tsc output (see the stack notes).
import {build} from 'esbuild';
import {chmod, readFile, rm} from 'node:fs/promises';
import {resolve} from 'node:path';

// Old chunks have hashed names: without this, dist/lib grows at every build.
await rm('dist', {recursive: true, force: true});

// Ink composes every frame from scratch; source/ui/ink/ keeps its results
// across frames (see output.ts). Both replacements are built on the exact
// modules Ink resolves, so only the caching differs.
const inkBuild = resolve('node_modules/ink/build');
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
      import {createOutputClass} from ${JSON.stringify(resolve('source/ui/ink/output.ts'))};
      export default createOutputClass({sliceAnsi, stringWidth, tokenize, styledCharsFromTokens, styledCharsToString});`}));
    build.onLoad({filter: /^widest-line$/, namespace: 'ink-fast-frames'}, () => ({resolveDir: inkBuild, loader: 'js', contents: `
      import widestLine from 'widest-line';
      import {memoize} from ${JSON.stringify(resolve('source/ui/ink/bounded-cache.ts'))};
      export default memoize(widestLine, 8192);`}));
  },
};

// Text measuring without Intl.Segmenter and emoji patterns at start-up (see
// source/ui/ink/fast-text.ts): string-width gets a fast path in front and
// loads only when needed; the two tokenizers get a lazy segmenter.
const fastText = JSON.stringify(resolve('source/ui/ink/fast-text.ts'));
const SEGMENTER_USERS = /node_modules\/(slice-ansi\/tokenize-ansi|@alcalzone\/ansi-tokenize\/build\/tokenize)\.js$/;
const inkFastText = {
  name: 'ink-fast-text',
  setup(build) {
    build.onResolve({filter: /^string-width$/}, async (args) => {
      if (args.pluginData?.real || args.namespace === 'fast-string-width') return undefined;
      const real = await build.resolve('string-width', {resolveDir: args.resolveDir, kind: args.kind, pluginData: {real: true}});
      if (real.errors.length > 0) return {errors: real.errors};
      return {path: real.path, namespace: 'fast-string-width'};
    });
    build.onLoad({filter: /.*/, namespace: 'fast-string-width'}, (args) => ({resolveDir: resolve('.'), loader: 'js', contents: `
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
      if (patched === source) return {errors: [{text: `${args.path} no longer builds an Intl.Segmenter: update scripts/build.mjs`}]};
      return {loader: 'js', contents: `import {lazySegmenter as __lazySegmenter} from ${fastText};\n${patched}`};
    });
  },
};

const banner = `import {createRequire as __cr} from 'node:module';const require = __cr(import.meta.url);`;
await build({
  entryPoints: {cli: 'source/cli.tsx'},
  outdir: 'dist',
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
});
await chmod('dist/cli.js', 0o755);
