// The bundle's patches of third-party code (esbuild plugins for scripts/bundle.mjs)
// and the pins that keep them honest. Each patch was measured (README,
// Development: "Patched third-party code"); each rests on upstream files whose
// exact bytes are pinned in ink-patches/pins.json, at versions pinned in
// package.json. `checkPins` compares the installed files with the pins: the
// build refuses to run when one differs, and test/scripts/ink-patches.test.ts
// says which file changed and what to re-check. A patch that no longer finds
// what it patches fails the build too (`appliedOrFail`), never silently.
//
// The replacement modules are real files in ink-patches/, loaded as if they
// sat in the directory of the package they stand in for, so they import the
// very copies that package resolves; `backhaul-source:PATH` names a module of
// ours under source/.
import {createHash} from 'node:crypto';
import {existsSync, readFileSync, realpathSync, writeFileSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PATCHES = join(ROOT, 'scripts', 'ink-patches');

/** The directory of package `name` as package `from` resolves it ('.': the project). */
export function packageDir(name, from = '.') {
  let dir = from === '.' ? ROOT : packageDir(from);
  for (;;) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate);
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (looked up from ${from})`);
    dir = dirname(dir);
  }
}

/** The pins (ink-patches/pins.json). */
export function readPins() {
  return JSON.parse(readFileSync(join(PATCHES, 'pins.json'), 'utf8'));
}

/** The installed version and sha-256 of a pinned file. */
function installed(pin) {
  const dir = packageDir(pin.package, pin.from);
  const file = join(dir, pin.file);
  return {
    file,
    version: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version,
    sha256: existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'missing',
  };
}

/**
 * Every pinned file that is not as pinned: its package's version or its bytes
 * differ. Each problem says what to re-check before the pin is moved.
 */
export function checkPins(pins = readPins()) {
  const problems = [];
  for (const pin of pins.files) {
    const {file, version, sha256} = installed(pin);
    if (version === pin.version && sha256 === pin.sha256) continue;
    problems.push(
      `${file} (${pin.package} ${version}, pinned ${pin.version}${sha256 === pin.sha256 ? '' : '; its bytes changed'}): re-check ${pin.recheck}, ` +
        'then pin it with `node scripts/ink-patches.mjs --update` (and move the versions in package.json to match).',
    );
  }
  return problems;
}

const shim = name => join(PATCHES, name);
const source = path => resolve(ROOT, 'source', path);

/** Makes `name` fail the build when it patched nothing: what it looks for is gone upstream. */
function appliedOrFail(build, name, counts) {
  build.onEnd(result => {
    const missed = Object.entries(counts)
      .filter(([, n]) => n === 0)
      .map(([what]) => what);
    if (result.errors.length === 0 && missed.length > 0) {
      throw new Error(
        `${name}: nothing matched ${missed.join(', ')}; upstream changed, re-check scripts/ink-patches.mjs`,
      );
    }
  });
}

/** `backhaul-source:PATH` → source/PATH, for the replacement modules. */
const ourSources = {
  name: 'backhaul-source',
  setup(build) {
    build.onResolve({filter: /^backhaul-source:/}, args => ({
      path: source(args.path.slice('backhaul-source:'.length)),
    }));
  },
};

/**
 * Ink composes every frame from scratch; source/ui/ink/output.ts keeps its
 * results across frames, and widest-line's answers are kept too. Both stand in
 * for what Ink's own files import, and only there.
 */
function inkFastFrames() {
  const inkBuild = join(packageDir('ink'), 'build');
  const fromInk = args => args.importer.startsWith(inkBuild + '/');
  const counts = {'ink/build/output.js': 0, 'widest-line in ink': 0};
  return {
    name: 'ink-fast-frames',
    setup(build) {
      appliedOrFail(build, 'ink-fast-frames', counts);
      build.onResolve({filter: /^\.\/output\.js$/}, args => {
        if (!fromInk(args)) return undefined;
        counts['ink/build/output.js']++;
        return {path: shim('output.js'), namespace: 'ink-fast-frames'};
      });
      build.onResolve({filter: /^widest-line$/}, args => {
        if (!fromInk(args)) return undefined;
        counts['widest-line in ink']++;
        return {path: shim('widest-line.js'), namespace: 'ink-fast-frames'};
      });
      build.onLoad({filter: /.*/, namespace: 'ink-fast-frames'}, async args => ({
        resolveDir: inkBuild,
        loader: 'js',
        contents: await readFile(args.path, 'utf8'),
      }));
    },
  };
}

/**
 * Text measuring without Intl.Segmenter and emoji patterns at start-up
 * (source/ui/ink/fast-text.ts): every ES module's string-width (Ink's, and
 * `ink-string-width`, Ink's copy as source/ui/text.ts names it) gets the fast
 * path in front of the copy it resolves, which loads only when needed; the two
 * tokenizers that build a segmenter when they load get a lazy one.
 */
const SEGMENTER_USERS = /node_modules\/(slice-ansi\/tokenize-ansi|@alcalzone\/ansi-tokenize\/build\/tokenize)\.js$/;
const SEGMENTER_IMPORT = "import {lazySegmenter as __lazySegmenter} from 'backhaul-source:ui/ink/fast-text.ts';\n";
function inkFastText() {
  const counts = {'string-width': 0, 'new Intl.Segmenter(': 0};
  return {
    name: 'ink-fast-text',
    setup(build) {
      appliedOrFail(build, 'ink-fast-text', counts);
      // ES importers only: a CommonJS `require('string-width')` (cli-progress) expects the function
      // itself, not a module namespace, and is not on the TUI's start path anyway.
      build.onResolve({filter: /^(ink-)?string-width$/}, async args => {
        if (args.kind !== 'import-statement' || args.pluginData?.real || args.namespace === 'fast-string-width')
          return undefined;
        const resolveDir = args.path === 'ink-string-width' ? join(packageDir('ink'), 'build') : args.resolveDir;
        const real = await build.resolve('string-width', {resolveDir, kind: args.kind, pluginData: {real: true}});
        if (real.errors.length > 0) return {errors: real.errors};
        counts['string-width']++;
        return {path: real.path, namespace: 'fast-string-width'};
      });
      build.onLoad({filter: /.*/, namespace: 'fast-string-width'}, async args => ({
        resolveDir: dirname(args.path),
        loader: 'js',
        contents: await readFile(shim('string-width.js'), 'utf8'),
      }));
      build.onLoad({filter: SEGMENTER_USERS}, async args => {
        const text = await readFile(args.path, 'utf8');
        const patched = text.replaceAll('new Intl.Segmenter(', '__lazySegmenter(');
        if (patched === text)
          return {
            errors: [{text: `${args.path} no longer builds an Intl.Segmenter: re-check scripts/ink-patches.mjs`}],
          };
        counts['new Intl.Segmenter(']++;
        return {loader: 'js', contents: SEGMENTER_IMPORT + patched};
      });
    },
  };
}

/** yoga-layout without its top-level await, for the script bundle (ink-patches/yoga-layout.js). */
function yogaWithoutAwait() {
  const counts = {'yoga-layout': 0};
  return {
    name: 'yoga-without-await',
    setup(build) {
      appliedOrFail(build, 'yoga-without-await', counts);
      build.onResolve({filter: /^yoga-layout$/}, args => {
        if (args.namespace === 'yoga-without-await') return undefined;
        counts['yoga-layout']++;
        return {path: shim('yoga-layout.js'), namespace: 'yoga-without-await'};
      });
      build.onLoad({filter: /.*/, namespace: 'yoga-without-await'}, async args => ({
        resolveDir: join(packageDir('ink'), 'build'),
        loader: 'js',
        contents: await readFile(args.path, 'utf8'),
      }));
    },
  };
}

/**
 * Ink's reconciler awaits, at its top level, its devtools and its
 * package.json, both only when DEV is "true" (never in these bundles: see
 * `define` in bundle.mjs); the script bundle cannot hold a top-level await.
 */
const INK_DEV_AWAITS = ["await import('./devtools.js');", '? await loadPackageJson()'];
function inkWithoutDevAwaits() {
  const counts = {'ink/build/reconciler.js': 0};
  return {
    name: 'ink-without-dev-awaits',
    setup(build) {
      appliedOrFail(build, 'ink-without-dev-awaits', counts);
      build.onLoad({filter: /node_modules\/ink\/build\/reconciler\.js$/}, async args => {
        const text = await readFile(args.path, 'utf8');
        if (!INK_DEV_AWAITS.every(needle => text.includes(needle))) {
          return {
            errors: [
              {text: `${args.path} no longer awaits its devtools as expected: re-check scripts/ink-patches.mjs`},
            ],
          };
        }
        counts['ink/build/reconciler.js']++;
        return {loader: 'js', contents: text.replace(INK_DEV_AWAITS[0], '').replace(INK_DEV_AWAITS[1], '? undefined')};
      });
    },
  };
}

/**
 * The plugins of the TUI's script bundle (the only bundle that holds Ink):
 * its speed-ups, and no top-level await.
 */
export function tuiPlugins() {
  return [ourSources, inkFastFrames(), inkFastText(), yogaWithoutAwait(), inkWithoutDevAwaits()];
}

/**
 * `node scripts/ink-patches.mjs --update`: pins what is installed now. Only
 * after re-checking what each changed file's `recheck` says (and with the
 * versions in package.json moved to match).
 */
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv[2] === '--update') {
  const pins = readPins();
  for (const pin of pins.files) Object.assign(pin, (({version, sha256}) => ({version, sha256}))(installed(pin)));
  writeFileSync(join(PATCHES, 'pins.json'), `${JSON.stringify(pins, null, 2)}\n`);
  process.stdout.write(`Pinned ${pins.files.length} files in scripts/ink-patches/pins.json.\n`);
}
