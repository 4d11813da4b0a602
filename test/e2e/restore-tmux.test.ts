/**
 * One delegated restore through the real TUI in tmux, as an admin at a
 * terminal would do it: R on Backups → backup → restore point → reason →
 * mark a folder in the file browser → for whom → directory → confirm →
 * result. The files land owned by the user (`nobody`), identical to a plain
 * restore of the same folder, and the audit log records the run. Needs root
 * (writing files for another user) and tmux.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {demoWorkspace} from '../helpers/demo-cache.js';
import {KEY, tmuxAvailable, withTmux} from '../helpers/tmux.js';

const nobody = spawnSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).stdout.trim();
const skip = !tmuxAvailable()
  ? 'tmux is not installed (.ci/run installs it)'
  : process.getuid?.() !== 0 || !nobody
    ? 'needs root and the user nobody'
    : false;

test('a delegated restore in the TUI gives the user their files, audited', {skip, timeout: 600_000}, async () => {
  const ws = await demoWorkspace('restore-tmux');
  const out = await fs.mkdtemp(join(tmpdir(), 'backhaul-tmux-restore-'));
  await fs.chmod(out, 0o755);
  const dest = join(out, 'for-nobody');
  // Restored files are written with the recipient's rights: the admin gives them a place first.
  await fs.mkdir(dest);
  await fs.chown(dest, Number(nobody), Number(nobody));
  try {
    const env = {XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME, XDG_DATA_HOME: ws.env.XDG_DATA_HOME, NO_COLOR: '1'};
    await withTmux({command: [process.execPath, ws.cli], columns: 100, rows: 30, env, cwd: ws.dir}, async t => {
      await t.waitFor(/Backups/, {timeoutMs: 30_000});
      await t.waitFor(/alice-laptop/, {timeoutMs: 30_000});
      await t.press('R');
      await t.waitFor(s => /pick a backup/.test(s) && /›\s+alice-laptop/.test(s), {timeoutMs: 30_000});
      await t.press(KEY.enter);
      await t.waitFor(/pick a restore point/);
      await t.waitFor(/full|incremental/);
      await t.press(KEY.enter);
      await t.waitFor(/Reason/);
      await t.type('tmux e2e: lost files');
      await t.press(KEY.enter);
      const browser = await t.waitFor(/▸ \S+\//);
      const folder = /›\s+▸ (\S+)\//.exec(browser)?.[1];
      assert.ok(folder, `a folder under the cursor:\n${browser}`);
      await t.press(KEY.space);
      await t.waitFor(/1 marked/);
      await t.press('t');
      await t.waitFor(/User the restored files belong to/);
      for (let i = 0; i < 12; i++) await t.press(KEY.backspace);
      await t.type('nobody');
      await t.press(KEY.enter);
      await t.waitFor(/Restore to/);
      await t.press(KEY.enter);
      await t.waitFor(/Restore into directory/);
      await t.type(dest);
      await t.press(KEY.enter);
      const confirm = await t.waitFor(/\[y\/N\]/);
      assert.match(confirm.replace(/[│\s]+/g, ' '), /Reason: tmux e2e/);
      assert.match(confirm.replace(/[│\s]+/g, ' '), /Warning: nobody is not the owner of this backup \(alice\)/);
      await t.press('y');
      const done = await t.waitFor(/✓ Restored \d+ files/, {timeoutMs: 120_000});
      assert.match(done, /Audit entry #1 recorded/);
      await t.press(KEY.enter);
      await t.waitFor(/Backups/);
      await t.press('q');
      await t.waitForExit();

      const plain = join(ws.dir, 'plain');
      const backups = await ws.json(['list', '--repo', 'demo-primary', '--json']);
      const id = backups.find((b: any) => b.machine === 'alice-laptop').id;
      const r = await ws.run(['restore', '--repo', 'demo-primary', '--backup', id, '--path', folder!, '--to', plain]);
      assert.equal(r.code, 0, r.stderr);
      const diff = spawnSync('diff', ['-r', '--no-dereference', plain, dest], {encoding: 'utf8'});
      assert.equal(diff.status, 0, diff.stdout);
      assert.equal(spawnSync('find', [dest, '!', '-user', 'nobody'], {encoding: 'utf8'}).stdout.trim(), '');
      const entry = JSON.parse(
        (await ws.run(['audit', '--repo', 'demo-primary', '--json'])).stdout.trim().split('\n').at(-1)!,
      );
      assert.equal(entry.action, 'restore.delegated');
      assert.equal(entry.forUser, 'nobody');
      assert.equal(entry.reason, 'tmux e2e: lost files');
      assert.deepEqual(entry.paths, [folder]);
    });
  } finally {
    await fs.rm(out, {recursive: true, force: true});
    await ws.cleanup();
  }
});
