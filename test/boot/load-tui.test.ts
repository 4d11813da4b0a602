import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {test} from 'node:test';
import {BUNDLE_PARAMS} from '../../source/boot/code-cache.js';
import {cliPath, ROOT} from '../helpers/demo-cache.js';

test('the TUI bundle is one function of the names the loader passes', async () => {
  const {tuiBundleOptions} = await import(pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href);
  assert.equal(tuiBundleOptions('dist').banner.js, `(function (${BUNDLE_PARAMS.join(', ')}) {`);
  const bundle = join(dirname(await cliPath()), 'tui.cjs');
  assert.ok(readFileSync(bundle, 'utf8').startsWith(`(function (${BUNDLE_PARAMS.join(', ')}) {`));
});

test('the shipped TUI bundle loads from its build seed, then from the cache its first run wrote', async () => {
  const dist = dirname(await cliPath());
  const loader = readdirSync(join(dist, 'lib')).find(name => name.startsWith('load-tui-') && name.endsWith('.js'));
  assert.ok(loader, 'the loader is a chunk of the bundle');
  const cache = mkdtempSync(join(tmpdir(), 'bh-load-tui-'));
  try {
    // What the TUI's start does, minus the terminal: load, then write the cache as the exit handler does.
    const script = `const {loadTui} = await import(${JSON.stringify(pathToFileURL(join(dist, 'lib', loader)).href)});
      const tui = await loadTui();
      process.stdout.write(JSON.stringify({cache: tui.cache, openTui: typeof tui.openTui}));`;
    const run = () => {
      const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
        encoding: 'utf8',
        env: {...process.env, XDG_CACHE_HOME: cache},
      });
      assert.equal(child.status, 0, child.stderr);
      return JSON.parse(child.stdout) as {cache: string; openTui: string};
    };
    assert.deepEqual(run(), {cache: 'seed', openTui: 'function'}, 'V8 accepts the seed this Node made at build time');
    assert.deepEqual(readdirSync(join(cache, 'backhaul')).length, 1, 'written at exit');
    assert.deepEqual(run(), {cache: 'user', openTui: 'function'});
  } finally {
    rmSync(cache, {recursive: true, force: true});
  }
});
