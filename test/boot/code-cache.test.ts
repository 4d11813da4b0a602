import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {chmodSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import vm from 'node:vm';
import {BUNDLE_PARAMS, type CacheState} from '../../source/boot/code-cache.js';

interface Run {
  cache: CacheState;
  value: number;
  late?: string;
  url: string;
  twice: number;
  saved: boolean[];
}

const MODULE = new URL('../../source/boot/code-cache.ts', import.meta.url).href;

/**
 * runBundle in a fresh process: V8 keeps what it compiled for the life of a
 * process and would answer a second compile of the same source from memory,
 * whatever cache it was given. `saves` calls save() that many times.
 */
function runBundle(file: string, cacheDir: string | undefined, saves = 0): Run {
  const script = `const {runBundle} = await import(${JSON.stringify(MODULE)});
    const r = await runBundle(${JSON.stringify(file)}, ${cacheDir === undefined ? 'undefined' : JSON.stringify(cacheDir)});
    const saved = Array.from({length: ${saves}}, () => r.save());
    process.stdout.write(JSON.stringify({cache: r.cache, value: r.exports.value, late: r.exports.late, url: r.exports.url, twice: r.exports.twice(21), saved}));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.equal(child.status, 0, child.stderr);
  return JSON.parse(child.stdout) as Run;
}

/** A bundle shaped like scripts/bundle.mjs makes them, whose body varies with `tag`. */
function writeBundle(dir: string, tag: string): string {
  const file = join(dir, 'app.cjs');
  writeFileSync(
    file,
    `(function (${BUNDLE_PARAMS.join(', ')}) {
exports.value = 42; exports.tag = ${JSON.stringify(tag)};
exports.url = __backhaulMetaUrl;
exports.twice = (n) => n * 2;
__backhaulPending.push(new Promise((resolve) => setTimeout(resolve, 5)).then(() => { exports.late = 'ready'; }));
})`,
    {mode: 0o644},
  );
  return file;
}

function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'bh-code-cache-'));
  return {dir, cache: join(dir, 'cache'), cleanup: () => rmSync(dir, {recursive: true, force: true})};
}

test('the first run compiles and writes a private cache; the next run uses it', async () => {
  const {dir, cache, cleanup} = scratch();
  try {
    const file = writeBundle(dir, 'a');
    const first = runBundle(file, cache, 2);
    assert.equal(first.cache, 'none');
    assert.equal(first.value, 42);
    assert.equal(first.late, 'ready', 'the pending promise settled before runBundle returned');
    assert.equal(first.url, `file://${file}`);
    assert.deepEqual(first.saved, [true, false], 'written once');
    const [name] = readdirSync(cache);
    assert.match(name!, /^app\.cjs-[0-9a-f]{20}\.v8cache$/);
    assert.equal(statSync(cache).mode & 0o777, 0o700);
    assert.equal(statSync(join(cache, name!)).mode & 0o777, 0o600);

    const second = runBundle(file, cache, 1);
    assert.equal(second.cache, 'user');
    assert.equal(second.twice, 42);
    assert.deepEqual(second.saved, [false], 'a used cache is not rewritten');
  } finally {
    cleanup();
  }
});

test('the build seed beside the bundle serves a first run, which then writes the user cache', async () => {
  const {dir, cache, cleanup} = scratch();
  try {
    const file = writeBundle(dir, 'seeded');
    writeFileSync(`${file}.v8cache`, new vm.Script(readFileSync(file, 'utf8'), {filename: file}).createCachedData(), {
      mode: 0o644,
    });
    const first = runBundle(file, cache, 1);
    assert.equal(first.cache, 'seed');
    assert.equal(first.late, 'ready');
    assert.deepEqual(first.saved, [true]);
    assert.equal(runBundle(file, cache).cache, 'user');

    chmodSync(`${file}.v8cache`, 0o666);
    assert.equal(runBundle(file, join(dir, 'other')).cache, 'none', 'a seed others may write is ignored');
  } finally {
    cleanup();
  }
});

test('a damaged, foreign or writable-by-others cache is not used, and the program still runs', async () => {
  const {dir, cache, cleanup} = scratch();
  try {
    const file = writeBundle(dir, 'b');
    runBundle(file, cache, 1);
    const cached = join(cache, readdirSync(cache)[0]!);

    writeFileSync(cached, Buffer.alloc(4096, 7), {mode: 0o600});
    const damaged = runBundle(file, cache, 1);
    assert.equal(damaged.cache, 'none', 'V8 rejects bytes that are not its cache');
    assert.equal(damaged.twice, 42);
    assert.deepEqual(damaged.saved, [true], 'a rejected cache is replaced');
    assert.equal(runBundle(file, cache).cache, 'user');

    chmodSync(cached, 0o620);
    assert.equal(runBundle(file, cache).cache, 'none', 'group-writable');
    chmodSync(cached, 0o600);

    if (process.geteuid?.() === 0) {
      chownSync(cached, 65534, 65534);
      assert.equal(runBundle(file, cache).cache, 'none', 'owned by another user');
    }
  } finally {
    cleanup();
  }
});

test('a new build of the bundle writes its own cache and removes the old one; no cache dir means no cache', async () => {
  const {dir, cache, cleanup} = scratch();
  try {
    runBundle(writeBundle(dir, 'old'), cache, 1);
    const [old] = readdirSync(cache);
    const file = writeBundle(dir, 'new build');
    const fresh = runBundle(file, cache, 1);
    assert.equal(fresh.cache, 'none');
    const names = readdirSync(cache);
    assert.equal(names.length, 1);
    assert.notEqual(names[0], old);

    const off = runBundle(file, undefined, 1);
    assert.equal(off.cache, 'off');
    assert.deepEqual(off.saved, [false]);
  } finally {
    cleanup();
  }
});

test('a cache directory that cannot be made costs nothing but the cache', async () => {
  const {dir, cleanup} = scratch();
  try {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const run = runBundle(writeBundle(dir, 'c'), join(blocker, 'cache'), 1);
    assert.equal(run.value, 42);
    assert.deepEqual(run.saved, [false]);
    // Node's own recursive mkdir never returns here.
    assert.deepEqual(runBundle(writeBundle(dir, 'c'), '/proc/no-such-dir/cache', 1).saved, [false]);
  } finally {
    cleanup();
  }
});
