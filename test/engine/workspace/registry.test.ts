/**
 * Registered names in the engine: registering a name never silently
 * re-points it (exit 16 unless replace; the same entry again is no change
 * and no write), forgetting a name returns its entry and touches nothing
 * else, names are own keys only ("constructor" is none), and an S3 endpoint
 * must be an http(s) URL naming a host wherever an entry enters.
 */
import assert from 'node:assert/strict';
import {mkdtemp, rm, stat} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import {
  checkEndpoint,
  defaultRepository,
  listRepositories,
  registeredEntry,
  registerRepository,
  unregisterRepository,
} from '../../../source/engine/workspace/registry.js';
import {resolveLocation, storageFor} from '../../../source/engine/workspace/open.js';

let work: string;
const saved = process.env['XDG_CONFIG_HOME'];
const isCode = (code: string, exit: number) => (e: unknown) =>
  e instanceof BackhaulError && e.code === code && e.exitCode === exit && e.hint.length > 0;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'backhaul-settings-'));
  process.env['XDG_CONFIG_HOME'] = join(work, 'config');
});
after(async () => {
  if (saved === undefined) delete process.env['XDG_CONFIG_HOME'];
  else process.env['XDG_CONFIG_HOME'] = saved;
  await rm(work, {recursive: true, force: true});
});

test('a registered name is not re-pointed unless asked; the same entry again is no change', async () => {
  assert.equal(await registerRepository('main', {location: '/srv/a'}), undefined);
  const file = join(work, 'config', 'backhaul', 'config.json');
  const written = (await stat(file)).mtimeMs;
  assert.deepEqual(await registerRepository('main', {location: '/srv/a'}), {location: '/srv/a'});
  assert.equal((await stat(file)).mtimeMs, written, 'an unchanged entry costs no write');
  await assert.rejects(
    registerRepository('main', {location: '/srv/b'}),
    (e: unknown) => isCode('exists', 16)(e) && /\/srv\/a/.test((e as Error).message),
  );
  await assert.rejects(registerRepository('main', {location: '/srv/a', region: 'eu-west-1'}), isCode('exists', 16));
  assert.deepEqual(listRepositories(), {main: {location: '/srv/a'}});
  assert.deepEqual(await registerRepository('main', {location: '/srv/b'}, {replace: true}), {location: '/srv/a'});
  assert.deepEqual(listRepositories(), {main: {location: '/srv/b'}});
});

test('unregistering returns the entry and keeps the others; an unknown name is "no repository"', async () => {
  await registerRepository('other', {location: '/srv/c'});
  assert.deepEqual(await unregisterRepository('main'), {location: '/srv/b'});
  assert.deepEqual(listRepositories(), {other: {location: '/srv/c'}});
  await assert.rejects(unregisterRepository('main'), isCode('no-repository', 10));
  await assert.rejects(unregisterRepository('constructor'), isCode('no-repository', 10));
});

test('names are own keys: "constructor" or "toString" is no registered repository', async () => {
  assert.equal(registeredEntry('constructor'), undefined);
  assert.equal(registeredEntry('toString'), undefined);
  assert.throws(() => resolveLocation('constructor'), isCode('no-repository', 10));
  await registerRepository('constructor', {location: '/srv/d'});
  assert.deepEqual(registeredEntry('constructor'), {location: '/srv/d'});
});

test('an S3 endpoint is an http:// or https:// URL naming a host, wherever an entry enters', async () => {
  assert.equal(checkEndpoint('http://127.0.0.1:7480'), 'http://127.0.0.1:7480');
  assert.equal(checkEndpoint('https://rgw.example'), 'https://rgw.example');
  for (const bad of ['127.0.0.1:7480', 'rgw.example', 'ftp://rgw.example', 'http://', '']) {
    assert.throws(() => checkEndpoint(bad), isCode('usage', 2), bad);
  }
  assert.throws(
    () => checkEndpoint('127.0.0.1:7480'),
    (e: unknown) => /http:\/\/127\.0\.0\.1:7480/.test((e as BackhaulError).hint),
  );
  await assert.rejects(
    registerRepository('offsite', {location: 's3://b/p', endpoint: '127.0.0.1:7480'}),
    isCode('usage', 2),
  );
  assert.equal(registeredEntry('offsite'), undefined);
  // An entry that did not come through registration (a hand-edited file, another caller) is checked before use.
  await assert.rejects(storageFor({location: 's3://b/p', endpoint: '127.0.0.1:7480'}), isCode('usage', 2));
});

test('one default-repository rule for both faces: the only one, else demo-primary, else none', () => {
  assert.equal(defaultRepository([]), undefined);
  assert.equal(defaultRepository(['backups']), 'backups', 'the only one registered');
  assert.equal(defaultRepository(['demo-secondary', 'demo-primary', 'zeta']), 'demo-primary');
  assert.equal(defaultRepository(['alpha', 'beta']), undefined, 'never the first of several: nobody chose it');
  assert.equal(
    defaultRepository(),
    defaultRepository(Object.keys(listRepositories())),
    'by default, the registered names',
  );
});
