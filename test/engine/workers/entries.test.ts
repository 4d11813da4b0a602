// Every worker is a real module and its own bundle entry (workers/start.ts):
// each entry a source file names is in the bundle's list, each is built
// beside cli.js, and no source file builds code from a string or drives
// zlib's private handle.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {pathToFileURL} from 'node:url';
import {cliPath, ROOT} from '../../helpers/demo-cache.js';

const SOURCE = join(ROOT, 'source');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(tsx?|mjs)$/.test(name) ? [path] : [];
  });
}

async function workerEntries(): Promise<Record<string, string>> {
  const {WORKER_ENTRIES} = await import(pathToFileURL(join(ROOT, 'scripts', 'bundle.mjs')).href);
  return WORKER_ENTRIES as Record<string, string>;
}

/** The entries source files start: {bundled: 'name', source: new URL('./file.ts', import.meta.url)}. */
function startedEntries(): {file: string; bundled: string; source: string}[] {
  const found = [];
  for (const file of files(SOURCE)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\{bundled: '([\w-]+)', source: new URL\('(\.[^']+)', import\.meta\.url\)\}/g)) {
      found.push({file: relative(ROOT, file), bundled: m[1]!, source: relative(ROOT, resolve(dirname(file), m[2]!))});
    }
  }
  return found;
}

test('each worker a source file starts is a bundle entry of that very module', async () => {
  const entries = await workerEntries();
  const started = startedEntries();
  assert.deepEqual(started.map(s => s.bundled).sort(), ['chunk-worker', 'copy-worker', 'verify-worker', 'walk-worker']);
  for (const {file, bundled, source} of started) {
    assert.equal(entries[bundled], source, `${file} starts ${bundled}`);
    assert.ok(existsSync(join(ROOT, source)), `${source} exists`);
  }
});

test('the shipped bundle has every entry beside cli.js', async () => {
  const dist = dirname(await cliPath());
  for (const name of Object.keys(await workerEntries())) assert.ok(existsSync(join(dist, `${name}.js`)), `${name}.js`);
});

test("no source file holds code in a string or reaches into zlib's internals", () => {
  const banned = [/new Function\s*\(/, /\beval\s*\(/, /eval:\s*true/, /\._handle\b/, /_writeState/, /_processChunk/];
  const found = files(SOURCE).flatMap(file => {
    const text = readFileSync(file, 'utf8');
    return banned.filter(pattern => pattern.test(text)).map(pattern => `${relative(ROOT, file)}: ${pattern}`);
  });
  assert.deepEqual(found, []);
});
