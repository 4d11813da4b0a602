/**
 * The configuration file has one schema (workspace/config-schema.ts): conf
 * checks writes with it, and reads check the file against the same object
 * without loading conf. Both must give the same verdict on every file; a file
 * that is not JSON or does not match is moved aside, never half-believed or
 * silently replaced, and the user is told where it went.
 */
import assert from 'node:assert/strict';
import {existsSync, readFileSync, statSync} from 'node:fs';
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import Conf from 'conf';
import {BackhaulError} from '../../../source/engine/errors.js';
import {checkConfig, CONFIG_PROPERTIES} from '../../../source/engine/workspace/config-schema.js';
import {configFile} from '../../../source/engine/workspace/config.js';
import {listRepositories, registerRepository} from '../../../source/engine/workspace/registry.js';

let work: string;
const saved = process.env['XDG_CONFIG_HOME'];
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'backhaul-config-'));
  process.env['XDG_CONFIG_HOME'] = join(work, 'config');
});
after(async () => {
  if (saved === undefined) delete process.env['XDG_CONFIG_HOME'];
  else process.env['XDG_CONFIG_HOME'] = saved;
  await rm(work, {recursive: true, force: true});
});

const entry = (more: object) => ({repositories: {main: {location: '/srv/main', ...more}}});
const GOOD: unknown[] = [
  {},
  {repositories: {}},
  entry({}),
  entry({endpoint: 'http://127.0.0.1:7480', region: 'us-east-1', timeout: 60}),
  entry({timeout: 0.5}),
  {
    repositories: {
      'demo-primary': {location: '/a'},
      'a.b_c-1': {location: 's3://b/p'},
      ['x'.repeat(64)]: {location: '/b'},
    },
  },
  {repositories: {}, jobs: {nightly: {}}},
];
const BAD: unknown[] = [
  [],
  null,
  'text',
  42,
  {repositories: []},
  {repositories: null},
  {repositories: {main: {}}},
  {repositories: {main: null}},
  entry({location: 5}),
  entry({location: ''}),
  entry({extra: true}),
  entry({timeout: 0}),
  entry({timeout: -1}),
  entry({timeout: 86_401}),
  entry({timeout: '60'}),
  entry({endpoint: 5}),
  entry({endpoint: ''}),
  entry({region: {}}),
  {repositories: {'bad name': {location: '/x'}}},
  {repositories: {'-x': {location: '/x'}}},
  {repositories: {['x'.repeat(65)]: {location: '/x'}}},
  {repositories: {'': {location: '/x'}}},
];

/** conf's verdict on a file, with the schema it writes with (ajv). */
async function confAccepts(data: unknown): Promise<boolean> {
  const cwd = await mkdtemp(join(work, 'conf-'));
  await writeFile(join(cwd, 'config.json'), JSON.stringify(data));
  try {
    new Conf({
      projectName: 'backhaul',
      projectSuffix: '',
      cwd,
      configFileMode: 0o600,
      defaults: {repositories: {}},
      schema: CONFIG_PROPERTIES,
    });
    return true;
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('Config schema violation:')) return false;
    throw e;
  }
}

test('reads and conf give the same verdict on every sample file', async () => {
  for (const data of GOOD) {
    assert.deepEqual(checkConfig(data), [], JSON.stringify(data).slice(0, 80));
    assert.equal(await confAccepts(data), true, `conf accepts ${JSON.stringify(data).slice(0, 80)}`);
  }
  for (const data of BAD) {
    assert.notDeepEqual(checkConfig(data), [], JSON.stringify(data).slice(0, 80));
    assert.equal(await confAccepts(data), false, `conf refuses ${JSON.stringify(data).slice(0, 80)}`);
  }
});

test('the read check names what is wrong', () => {
  assert.deepEqual(checkConfig(entry({timeout: 0})), ['repositories.main.timeout must be above 0']);
  assert.deepEqual(checkConfig({repositories: {main: {}}}), ['repositories.main lacks "location"']);
  assert.deepEqual(checkConfig(entry({extra: 1})), ['repositories.main.extra is not a known setting']);
  assert.deepEqual(checkConfig({repositories: {'bad name': {location: '/x'}}}), [
    '"bad name" in repositories is not a valid name',
  ]);
});

async function writeConfig(text: string): Promise<void> {
  await mkdir(join(work, 'config', 'backhaul'), {recursive: true});
  await writeFile(configFile(), text, {mode: 0o600});
}

/** Reads the configuration expecting it refused; returns where the file went, checking it went whole. */
function refusedAndMovedAside(text: string, said: RegExp): string {
  let error: unknown;
  try {
    listRepositories();
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof BackhaulError && error.code === 'format', `a format error, got ${String(error)}`);
  assert.match(error.message, said);
  const aside = /moved to (\S+)\.$/.exec(error.message)?.[1];
  assert.ok(aside && existsSync(aside), 'the message says where the file went');
  assert.equal(readFileSync(aside, 'utf8'), text, 'moved whole, not rewritten');
  assert.equal(existsSync(configFile()), false);
  assert.match(error.hint, /backhaul repo add/);
  return aside;
}

test('a file that is not JSON, or does not match the schema, is moved aside and the user told where', async () => {
  await writeConfig('{"repositories": {');
  refusedAndMovedAside('{"repositories": {', /is not valid JSON; it was moved to /);
  const mismatched = JSON.stringify(entry({timeout: 'soon'}));
  await writeConfig(mismatched);
  refusedAndMovedAside(
    mismatched,
    /does not match its schema \(repositories\.main\.timeout must be a number, not string\); it was moved to /,
  );
  assert.deepEqual(listRepositories(), {}, 'once moved aside, there is no configuration');
  assert.equal((await readdir(join(work, 'config', 'backhaul'))).filter(n => n.includes('.corrupt-')).length, 2);
});

test('writes go through conf: checked, mode 0600, read back as written', async () => {
  await registerRepository('offsite', {
    location: 's3://bucket/prefix',
    endpoint: 'http://127.0.0.1:7480',
    timeout: 120,
  });
  assert.equal(statSync(configFile()).mode & 0o777, 0o600);
  assert.deepEqual(listRepositories(), {
    offsite: {location: 's3://bucket/prefix', endpoint: 'http://127.0.0.1:7480', timeout: 120},
  });
  await assert.rejects(
    registerRepository('later', {location: '/srv/x', timeout: 0}),
    (e: unknown) =>
      e instanceof BackhaulError &&
      e.code === 'usage' &&
      /does not fit the configuration's schema: `repositories\/later\/timeout` must be > 0/.test(e.message),
    'conf refuses to write what the schema does not allow',
  );
  assert.deepEqual(Object.keys(listRepositories()), ['offsite'], 'and nothing was written');
});
