/**
 * The TUI bundle patches third-party code (scripts/ink-patches.mjs). These
 * tests keep the patches honest: the upstream files they rest on are exactly
 * the pinned ones (a change says which file and what to re-check), the
 * patched packages' versions are pinned exactly in package.json, and a patch
 * that finds nothing to patch fails the build instead of being skipped.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {pathToFileURL} from 'node:url';
import {build} from 'esbuild';
import {ROOT} from '../helpers/cli.js';

interface Pin {
  package: string;
  from: string;
  file: string;
  version: string;
  sha256: string;
  recheck: string;
}
interface Patches {
  readPins(): {files: Pin[]};
  checkPins(pins?: {files: Pin[]}): string[];
  packageDir(name: string, from?: string): string;
  tuiPlugins(): unknown[];
}

const patches = async () => (await import(pathToFileURL(join(ROOT, 'scripts', 'ink-patches.mjs')).href)) as Patches;
const packageJson = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

test('every upstream file a patch rests on is the pinned one', async () => {
  const {checkPins} = await patches();
  assert.deepEqual(checkPins(), []);
});

test('a changed upstream file is reported with what to re-check', async () => {
  const {checkPins, readPins} = await patches();
  const pins = readPins();
  const output = pins.files.find(p => p.package === 'ink' && p.file === 'build/output.js')!;
  const changed = {
    files: [
      {...output, sha256: '0'.repeat(64)},
      {...pins.files[1]!, version: '0.0.1'},
    ],
  };
  const problems = checkPins(changed);
  assert.equal(problems.length, 2);
  assert.match(
    problems[0]!,
    /ink\/build\/output\.js \(ink 6\.8\.0, pinned 6\.8\.0; its bytes changed\): re-check source\/ui\/ink\/output\.ts/,
  );
  assert.match(problems[1]!, /pinned 0\.0\.1/);
});

/** The version package.json pins `name` to, as `from` gets it (dependencies, or an override). */
function pinnedVersion(name: string, from: string): string | undefined {
  const overrides = packageJson.overrides ?? {};
  const rule = (o: Record<string, unknown> | undefined) =>
    typeof o?.[name] === 'string' ? (o[name] as string) : undefined;
  if (from === '.') return packageJson.dependencies?.[name];
  return rule(overrides.ink?.[from]) ?? rule(overrides[from]) ?? rule(overrides.ink) ?? rule(overrides);
}

test('package.json pins each patched package to exactly the checked version', async () => {
  const {readPins, packageDir} = await patches();
  for (const pin of readPins().files) {
    const want = pin.version;
    assert.equal(
      pinnedVersion(pin.package, pin.from),
      want,
      `${pin.package} as ${pin.from} gets it is pinned to ${want}`,
    );
    const installed = JSON.parse(readFileSync(join(packageDir(pin.package, pin.from), 'package.json'), 'utf8')).version;
    assert.equal(installed, want, `${pin.package} (${pin.from}) is installed at the pinned version`);
  }
});

test('a patch that finds nothing to patch fails the build', async () => {
  const {tuiPlugins} = await patches();
  const dir = mkdtempSync(join(tmpdir(), 'bh-patches-'));
  try {
    const entry = join(dir, 'entry.mjs');
    writeFileSync(entry, 'export const nothing = 1;\n');
    await assert.rejects(
      build({
        entryPoints: [entry],
        bundle: true,
        write: false,
        platform: 'node',
        logLevel: 'silent',
        plugins: tuiPlugins() as never,
      }),
      /nothing matched ink\/build\/output\.js/,
    );
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});

test('the TUI bundle is built with every patch applied', async () => {
  const {tuiBundleOptions} = await import(pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href);
  const dir = mkdtempSync(join(tmpdir(), 'bh-patches-'));
  try {
    const result = await build({
      ...tuiBundleOptions(dir),
      write: false,
      sourcemap: false,
      minify: false,
      logLevel: 'silent',
      metafile: true,
    });
    const inputs = Object.keys(result.metafile!.inputs);
    for (const shim of ['output.js', 'widest-line.js', 'yoga-layout.js']) {
      assert.ok(
        inputs.some(i => i.endsWith(`scripts/ink-patches/${shim}`)),
        `ink-patches/${shim} is in the bundle`,
      );
    }
    assert.ok(
      inputs.some(i => i.startsWith('fast-string-width:')),
      'string-width has its fast path',
    );
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
