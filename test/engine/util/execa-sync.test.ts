/**
 * execa for synchronous callers, loaded on first use: from source (as the
 * tests run) and from a bundle made with the shipped build's options, the
 * module is evaluated only when lazyExecaSync is first called, and then runs
 * the command.
 */
import assert from 'node:assert/strict';
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {pathToFileURL} from 'node:url';
import {build} from 'esbuild';
import {execa} from 'execa';
import {ROOT} from '../../helpers/cli.js';

const PROBE = join(ROOT, 'test', 'fixtures', 'execa-probe', 'probe.ts');
const want = {before: false, after: true, out: 'probe'};

test('from source, execa loads at the first call', async () => {
  const r = await execa(process.execPath, ['--import', 'tsx/esm', PROBE], {cwd: ROOT});
  assert.deepEqual(JSON.parse(r.stdout), want);
});

test('bundled as the CLI is, execa is the bundled copy, evaluated at the first call', async () => {
  const {bundleOptions} = await import(pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href);
  const dir = mkdtempSync(join(tmpdir(), 'bh-execa-probe-'));
  try {
    const result = await build({
      ...bundleOptions(dir),
      entryPoints: {probe: PROBE},
      sourcemap: false,
      metafile: true,
      logLevel: 'silent',
    });
    assert.ok(
      Object.keys(result.metafile!.inputs).some(i => i.includes('node_modules/execa/')),
      'execa is bundled, not loaded from node_modules',
    );
    const r = await execa(process.execPath, [join(dir, 'probe.js')], {cwd: dir});
    assert.deepEqual(JSON.parse(r.stdout), want);
  } finally {
    rmSync(dir, {recursive: true, force: true});
  }
});
