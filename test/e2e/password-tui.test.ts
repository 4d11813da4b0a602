// The TUI on an encrypted repository (issue 15, item 3), end to end in tmux
// with the built program: with no BACKHAUL_PASSWORD it asks in a masked
// dialog naming the repository; a wrong password is refused with the
// engine's one sentence and asked again; the right one opens its backups and
// their restore points, and is written nowhere. Esc cancels, and the screen
// says the repository was not opened.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdir, readdir, readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {emptyWorkspace, type Result, type Workspace} from '../helpers/demo-cache.js';
import {KEY, tmuxAvailable, withTmux} from '../helpers/tmux.js';

const skip = tmuxAvailable() ? false : 'tmux is not installed (.ci/run installs it)';
const PASSWORD = 'correct horse battery';
const WRONG = 'wrong-staple';

/** Every file under `dir` whose bytes contain `text`. */
async function filesHolding(dir: string, text: string): Promise<string[]> {
  const names = await readdir(dir, {recursive: true}).catch(() => [] as string[]);
  const found: string[] = [];
  for (const name of names) {
    const data = await readFile(join(dir, name)).catch(() => undefined); // directories
    if (data?.includes(text)) found.push(name);
  }
  return found;
}

describe("the TUI asks for an encrypted repository's password (tmux)", {skip}, () => {
  let ws: Workspace;
  const ok = (r: Result, what: string) => assert.equal(r.code, 0, `${what}: exit ${r.code}\n${r.stderr}`);
  const tui = () => ({
    command: [process.execPath, ws.cli],
    columns: 100,
    rows: 30,
    env: {
      XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME,
      XDG_DATA_HOME: ws.env.XDG_DATA_HOME,
      XDG_CACHE_HOME: ws.env.XDG_CACHE_HOME,
      BACKHAUL_PASSWORD: undefined,
      NO_COLOR: '1',
    },
  });

  before(async () => {
    ws = await emptyWorkspace('password-tui');
    ws.env.BACKHAUL_SCRYPT_N = String(2 ** 12);
    delete ws.env.BACKHAUL_PASSWORD;
    const pw = join(ws.dir, 'pw');
    await writeFile(pw, `${PASSWORD}\n`);
    const src = join(ws.dir, 'src');
    await mkdir(join(src, 'docs'), {recursive: true});
    await writeFile(join(src, 'docs', 'notes.txt'), 'secret notes\n'.repeat(100));
    ok(await ws.run(['repo', 'add', 'vault', join(ws.dir, 'vault'), '--encrypt', '--password-file', pw]), 'repo add');
    ws.env.BACKHAUL_PASSWORD = PASSWORD; // `agent backup` takes the password from the environment only
    ok(
      await ws.run([
        'agent',
        'backup',
        '--repo',
        'vault',
        '--job',
        'j',
        '--machine',
        'vault-host',
        '--kind',
        'server',
        '--path',
        src,
      ]),
      'backup',
    );
    delete ws.env.BACKHAUL_PASSWORD;
  });
  after(async () => ws?.cleanup());

  test('a wrong password is refused, the right one opens the backups and their points, and is stored nowhere', async () => {
    await withTmux(tui(), async s => {
      let screen = await s.waitFor('Password for', {timeoutMs: 30_000});
      assert.match(screen, /Encrypted repository/);
      assert.ok(screen.includes(join(ws.dir, 'vault')), `the dialog names the repository:\n${screen}`);
      await s.type(WRONG);
      screen = await s.waitFor('•'.repeat(WRONG.length));
      assert.ok(!screen.includes(WRONG), `the password is masked:\n${screen}`);
      await s.press(KEY.enter);
      screen = await s.waitFor('The password does not open repository', {timeoutMs: 30_000});
      assert.match(screen, /Password for/, 'asked again');
      await s.type(PASSWORD);
      await s.press(KEY.enter);
      screen = await s.waitFor(/vault-host\s+server/, {timeoutMs: 30_000});
      assert.ok(!screen.includes('Password for'), `the dialog is closed:\n${screen}`);
      await s.press(KEY.enter);
      screen = await s.waitFor(/1 restore points?/, {timeoutMs: 30_000});
      assert.match(screen, /\d{4}-\d\d-\d\d \d\d:\d\d .*full .*–/);
      await s.press('q');
      await s.waitForExit();
    });
    for (const dir of [ws.env.XDG_CONFIG_HOME!, ws.env.XDG_DATA_HOME!, ws.env.XDG_CACHE_HOME!, join(ws.dir, 'vault')])
      assert.deepEqual(await filesHolding(dir, PASSWORD), [], `the password is written nowhere under ${dir}`);
  });

  test('a copy started from the TUI out of the encrypted repository runs detached with the typed password, written nowhere', async () => {
    ok(await ws.run(['repo', 'add', 'offsite', join(ws.dir, 'offsite')]), 'repo add offsite');
    await withTmux(tui(), async s => {
      await s.waitFor('registered repositories', {timeoutMs: 30_000});
      await s.type('/vault');
      await s.press(KEY.enter);
      await s.press(KEY.enter);
      await s.waitFor('Password for', {timeoutMs: 30_000});
      await s.type(PASSWORD);
      await s.press(KEY.enter);
      await s.waitFor(/vault-host\s+server/, {timeoutMs: 30_000});
      await s.press('c');
      await s.waitFor(/1 restore point to copy/, {timeoutMs: 30_000});
      await s.press(KEY.enter);
      // The run is another process, with nobody to ask: without the password it would fail to open the vault.
      const screen = await s.waitFor(/Copy finished|Copy failed|Copy was interrupted/, {timeoutMs: 60_000});
      assert.match(screen, /✓ Copy finished: 1 copied/);
      await s.press('q');
      await s.waitForExit();
    });
    ok(await ws.run(['verify', '--repo', 'offsite']), 'verify offsite');
    const listed = await ws.run(['list', '--repo', 'offsite', '--json']);
    ok(listed, 'list offsite');
    assert.match(listed.stdout, /vault-host/);
    for (const dir of [ws.env.XDG_CONFIG_HOME!, ws.env.XDG_DATA_HOME!, ws.env.XDG_CACHE_HOME!, join(ws.dir, 'offsite')])
      assert.deepEqual(await filesHolding(dir, PASSWORD), [], `the password is written nowhere under ${dir}`);
  });

  test('Esc cancels the dialog; the screen says the repository was not opened', async () => {
    await withTmux(tui(), async s => {
      await s.waitFor('registered repositories', {timeoutMs: 30_000});
      await s.type('/vault');
      await s.press(KEY.enter);
      await s.press(KEY.enter);
      await s.waitFor('Password for', {timeoutMs: 30_000});
      await s.press(KEY.escape);
      const screen = await s.waitFor('was not opened', {timeoutMs: 30_000});
      assert.ok(!screen.includes('Password for'), `the dialog is closed:\n${screen}`);
      assert.ok(!screen.includes('vault-host'), 'no backup is shown');
      await s.press('q');
      await s.waitForExit();
    });
  });
});
