/**
 * File-level restore from a volume image, end to end, as an admin at a
 * terminal does it: in the real TUI in tmux, a delegated restore of one file
 * from inside the demo cluster's shared disk `data` (an ext4 image), chosen
 * in the restore browser, lands owned by the user (`nobody`), identical to
 * the file in the image; then one mail message from the Maildir inside
 * db01's volume image, restored for the same user with `backhaul explore
 * mail --delegated`, byte-identical, and another through the TUI's mail
 * explorer (`e` on the Maildir in the restore browser, `t`). Every run is in
 * the audit log with what it restored. Needs root and tmux.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {demoWorkspace} from '../helpers/demo-cache.js';
import {KEY, tmuxAvailable, withTmux, type TmuxSession} from '../helpers/tmux.js';

const nobody = spawnSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).stdout.trim();
const skip = !tmuxAvailable()
  ? 'tmux is not installed (.ci/run installs it)'
  : process.getuid?.() !== 0 || !nobody
    ? 'needs root and the user nobody'
    : false;

/** Picks a backup by filtering the picker to its name. */
async function pick(t: TmuxSession, machine: string): Promise<void> {
  await t.waitFor(s => /pick a backup/.test(s) && new RegExp(machine).test(s), {timeoutMs: 30_000});
  await t.press('/');
  await t.type(machine);
  await t.press(KEY.enter);
  await t.waitFor(new RegExp(`›\\s+${machine}`));
  await t.press(KEY.enter);
}

test(
  'a file from inside a cluster shared disk, and one mail message, restored for a user and audited',
  {skip, timeout: 600_000},
  async () => {
    const ws = await demoWorkspace('restore-image-tmux');
    const out = await fs.mkdtemp(join(tmpdir(), 'backhaul-tmux-image-'));
    await fs.chmod(out, 0o755);
    const dest = join(out, 'for-nobody');
    await fs.mkdir(dest);
    await fs.chown(dest, Number(nobody), Number(nobody));
    try {
      const env = {XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME, XDG_DATA_HOME: ws.env.XDG_DATA_HOME, NO_COLOR: '1'};
      await withTmux({command: [process.execPath, ws.cli], columns: 100, rows: 30, env, cwd: ws.dir}, async t => {
        await t.waitFor(/sql-cluster/, {timeoutMs: 30_000});
        await t.press('R');
        await pick(t, 'sql-cluster');
        await t.waitFor(/pick a restore point/);
        await t.waitFor(/full|incremental/);
        await t.press(KEY.enter);
        await t.waitFor(screen => /pick a node and disk/.test(screen) && /node3/.test(screen));
        // node1 system, quorum, data, node2 system, quorum, data: five rows down.
        for (let row = 2; row <= 6; row++) {
          await t.press(KEY.down);
          await t.waitFor(new RegExp(`\\b${row}/9\\b`));
        }
        await t.waitFor(/›\s+node2\s+data\b/);
        await t.press(KEY.enter);
        await t.waitFor(/Reason/);
        await t.type('tmux e2e: file from a shared disk');
        await t.press(KEY.enter);
        await t.waitFor(/data\.img/, {timeoutMs: 60_000});
        await t.press('/');
        await t.waitFor(/Name contains/);
        await t.type('errorlog');
        await t.press(KEY.enter);
        await t.waitFor(/›\s+.*errorlog/);
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
        await t.waitFor(/\[y\/N\]/);
        await t.press('y');
        const done = await t.waitFor(/✓ Restored \d+ files/, {timeoutMs: 120_000});
        assert.match(done, /Audit entry #\d+ recorded/);
        await t.press(KEY.enter);
        await t.press('q');
        await t.waitForExit();
      });
      const restored = join(dest, 'errorlog');
      assert.equal((await fs.stat(restored)).uid, Number(nobody));
      const backups = await ws.json(['list', '--repo', 'demo-primary', '--json']);
      const id = (m: string) => backups.find((b: any) => b.machine === m).id;
      const plain = join(ws.dir, 'plain');
      const r = await ws.run([
        'restore',
        '--repo',
        'demo-primary',
        '--backup',
        id('sql-cluster'),
        '--node',
        'node2',
        '--disk',
        'data',
        '--path',
        'errorlog',
        '--to',
        plain,
        '--json',
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(JSON.parse(r.stdout).readBytes > 0);
      assert.deepEqual(await fs.readFile(restored), await fs.readFile(join(plain, 'errorlog')));

      const mailbox = [
        '--repo',
        'demo-primary',
        '--backup',
        id('db01'),
        '--disk',
        'system',
        '--path',
        'home/alice/Maildir',
      ];
      const listed = await ws.json(['explore', 'mail', ...mailbox, '--json']);
      const one = listed.messages.find((m: any) => m.folder === '')!;
      const mail = await ws.run([
        'explore',
        'mail',
        ...mailbox,
        '--message',
        one.id,
        '--to',
        join(dest, 'Mail'),
        '--delegated',
        '--for',
        'nobody',
        '--reason',
        'tmux e2e: one mail',
        '--json',
      ]);
      assert.equal(mail.code, 0, mail.stderr);
      const restoredMail = join(dest, 'Mail/cur', one.name);
      assert.equal((await fs.stat(restoredMail)).uid, Number(nobody));
      const whole = join(ws.dir, 'db01');
      assert.equal(
        (
          await ws.run([
            'restore',
            '--repo',
            'demo-primary',
            '--backup',
            id('db01'),
            '--disk',
            'system',
            '--path',
            `home/alice/Maildir/${one.id}`,
            '--to',
            whole,
          ])
        ).code,
        0,
      );
      assert.deepEqual(await fs.readFile(restoredMail), await fs.readFile(join(whole, 'home/alice/Maildir', one.id)));

      // The same in the TUI: the restore browser inside db01's image, `e` on the Maildir, t on the first message.
      const first = listed.messages[0]!;
      const tuiMail = join(dest, 'TuiMail');
      await withTmux({command: [process.execPath, ws.cli], columns: 100, rows: 30, env, cwd: ws.dir}, async t => {
        await t.waitFor(/db01/, {timeoutMs: 30_000});
        await t.press('R');
        await pick(t, 'db01');
        await t.waitFor(/pick a restore point/);
        await t.waitFor(/full|incremental/);
        await t.press(KEY.enter);
        await t.waitFor(/Reason/);
        await t.type('tmux e2e: mail in the TUI');
        await t.press(KEY.enter);
        await t.waitFor(/system\.img/, {timeoutMs: 60_000});
        await t.press('/');
        await t.waitFor(/Name contains/);
        await t.type('Maildir');
        await t.press(KEY.enter);
        // The search shows home/, alice/, Maildir/: the cursor goes to the third.
        await t.waitFor(/search "maildir" · 1\/3/);
        await t.press(KEY.down);
        await t.waitFor(/2\/3/);
        await t.press(KEY.down);
        await t.waitFor(/›\s+▾ Maildir\//);
        await t.press('e');
        await t.waitFor(/INBOX|\.Archive/, {timeoutMs: 30_000});
        await t.press('t');
        await t.waitFor(/User the messages belong to/);
        for (let i = 0; i < 12; i++) await t.press(KEY.backspace);
        await t.type('nobody');
        await t.press(KEY.enter);
        await t.waitFor(/Create folder/);
        for (let i = 0; i < 60; i++) await t.press(KEY.backspace);
        await t.type(tuiMail);
        await t.press(KEY.enter);
        await t.waitFor(/✓ Restored 1 message/, {timeoutMs: 60_000});
        await t.press('q');
        await t.waitForExit();
      });
      assert.equal(spawnSync('find', [tuiMail, '!', '-user', 'nobody'], {encoding: 'utf8'}).stdout.trim(), '');
      assert.equal(
        (
          await ws.run([
            'restore',
            '--repo',
            'demo-primary',
            '--backup',
            id('db01'),
            '--disk',
            'system',
            '--path',
            `home/alice/Maildir/${first.id}`,
            '--to',
            whole,
            '--overwrite',
          ])
        ).code,
        0,
      );
      assert.deepEqual(
        await fs.readFile(join(tuiMail, 'cur', first.name)),
        await fs.readFile(join(whole, 'home/alice/Maildir', first.id)),
      );

      const audit = (await ws.run(['audit', '--repo', 'demo-primary', '--json'])).stdout
        .trim()
        .split('\n')
        .map(l => JSON.parse(l));
      const file = audit.find((e: any) => e.reason === 'tmux e2e: file from a shared disk');
      assert.equal(file.action, 'restore.delegated');
      assert.equal(file.forUser, 'nobody');
      assert.deepEqual(file.paths, ['errorlog']);
      assert.equal(file.disk, 'data');
      assert.equal(file.result, 'ok');
      const msg = audit.find((e: any) => e.reason === 'tmux e2e: one mail');
      assert.equal(msg.action, 'restore.delegated');
      assert.deepEqual(msg.paths, [`home/alice/Maildir#${one.id}`]);
      assert.equal(msg.result, 'ok');
      const tui = audit.find((e: any) => e.reason === 'tmux e2e: mail in the TUI');
      assert.equal(tui.forUser, 'nobody');
      assert.deepEqual(tui.paths, [`home/alice/Maildir#${first.id}`]);
      assert.equal(tui.result, 'ok');
    } finally {
      await fs.rm(out, {recursive: true, force: true});
    }
  },
);
