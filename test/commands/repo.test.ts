/**
 * Registered names on the built CLI: `repo add` never silently re-points a
 * name (exit 16 before anything is created, unless --replace; the same
 * entry again is no change), `repo remove` forgets a name and never touches
 * data (an unknown name exits 10), an endpoint without http:// or https://
 * is a usage error with a hint, and the first word of a sub-command group
 * lists the group's commands.
 */
import assert from 'node:assert/strict';
import {readdir, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {emptyWorkspace, type Result, type Workspace} from '../helpers/demo-cache.js';

describe('backhaul repo add | remove, and sub-command groups', () => {
  let ws: Workspace;
  const registered = async () =>
    Object.fromEntries(
      (await ws.json<{name: string; location: string}[]>(['repo', 'list', '--json'])).map(r => [r.name, r.location]),
    );
  const exists = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );

  before(async () => {
    ws = await emptyWorkspace('repo-cli');
  });
  after(async () => ws?.cleanup());

  function assertError(r: Result, code: number, message: RegExp, hint: RegExp, what: string): void {
    assert.equal(r.code, code, `${what}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.match(r.stderr, hint, `${what}: hint`);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: no stack trace`);
    assert.equal(r.stdout, '', `${what}: nothing on stdout`);
  }

  test('an existing name is refused (exit 16, naming where it points) and nothing is created', async () => {
    const first = join(ws.dir, 'first');
    const second = join(ws.dir, 'second');
    assert.equal((await ws.run(['repo', 'add', 'main', first])).code, 0);
    const again = await ws.run(['repo', 'add', 'main', first]);
    assert.equal(again.code, 0, `the very same entry again is no change: ${again.stderr}`);
    assert.match(again.stdout, /already registered .*nothing changed/);

    const r = await ws.run(['repo', 'add', 'main', second]);
    assertError(
      r,
      16,
      new RegExp(`"main" is already registered, at ${first}`),
      /hint: .*--replace.*backhaul repo remove main/,
      'repo add of an existing name',
    );
    assert.equal(await exists(second), false, 'no repository was created at the new location');
    assert.deepEqual(await registered(), {main: first});
  });

  test('--replace re-points the name; the old repository is left as it was', async () => {
    const first = join(ws.dir, 'first');
    const second = join(ws.dir, 'second');
    const before = (await readdir(first)).sort();
    const r = await ws.run(['repo', 'add', 'main', second, '--replace', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.location, second);
    assert.equal(out.created, true);
    assert.deepEqual(out.previous, {location: first});
    assert.deepEqual(await registered(), {main: second});
    assert.deepEqual((await readdir(first)).sort(), before, 'the old repository is untouched');
  });

  test('repo remove forgets the name, never the data; an unknown name exits 10', async () => {
    const second = join(ws.dir, 'second');
    const r = await ws.run(['repo', 'remove', 'main']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Unregistered main .*not touched/);
    assert.deepEqual(await registered(), {});
    const list = await ws.run(['list', '--repo', second, '--json']);
    assert.equal(list.code, 0, `the repository still opens by its path: ${list.stderr}`);

    assertError(
      await ws.run(['repo', 'remove', 'main']),
      10,
      /No repository is registered as "main"/,
      /hint: .*backhaul repo list/,
      'repo remove of an unknown name',
    );
    assertError(
      await ws.run(['repo', 'remove', 'constructor']),
      10,
      /"constructor"/,
      /hint: /,
      'a name that is an Object property',
    );
    assertError(
      await ws.run(['repo', 'remove']),
      2,
      /Usage: backhaul repo remove NAME/,
      /hint: /,
      'repo remove without a name',
    );
  });

  test('an endpoint without http:// or https:// is a usage error with a hint, and nothing is registered', async () => {
    const r = await ws.run(['repo', 'add', 'offsite', 's3://backups/site-a', '--endpoint', '127.0.0.1:7480']);
    assertError(
      r,
      2,
      /--endpoint must be a URL starting with http:\/\/ or https:\/\/ .*"127\.0\.0\.1:7480"/,
      /hint: Write it as http:\/\/127\.0\.0\.1:7480/,
      'endpoint without a scheme',
    );
    assertError(
      await ws.run(['repo', 'add', 'offsite', 's3://backups/site-a', '--endpoint', 'ftp://rgw:21']),
      2,
      /--endpoint/,
      /hint: /,
      'endpoint with another scheme',
    );
    assert.deepEqual(await registered(), {});
  });

  test("`backhaul repo|access|agent --help` lists the group's commands with their summaries", async () => {
    const groups: Record<string, string[]> = {
      repo: ['add', 'list', 'remove'],
      access: ['policy', 'grant', 'revoke'],
      agent: ['backup'],
    };
    for (const [word, subs] of Object.entries(groups)) {
      const r = await ws.run([word, '--help']);
      assert.equal(r.code, 0, `${word} --help: ${r.stderr}`);
      assert.match(r.stdout, new RegExp(`^Usage: backhaul ${word} COMMAND`));
      for (const sub of subs)
        assert.match(
          r.stdout,
          new RegExp(`\\n {2}${word} ${sub} +\\S`),
          `${word} --help lists ${sub} with its summary`,
        );
    }
  });

  test('`backhaul repo` alone lists them on stderr and exits 2 with a hint; an unknown sub-command names the real ones', async () => {
    const r = await ws.run(['repo']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /repo remove +forget a registered name/);
    assert.match(r.stderr, /backhaul: `backhaul repo` needs a command\.\nhint: /);
    assertError(
      await ws.run(['repo', 'explode']),
      2,
      /Unknown command "repo explode"/,
      /hint: `backhaul repo` has: add, list, remove/,
      'unknown sub-command',
    );
  });
});
