// The delegated-restore flow in the real TUI on a real repository: R from
// Backups → backup → point → reason (asked before browsing) → file tree
// (expand/collapse, marks, search, sizes) → for whom → directory or .tar →
// Keep/Overwrite when files exist → confirm → result with its audit entry.
// Files are restored for `nobody`, which needs root (CI runs as root).
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {KEYS} from '../helpers.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';
import {
  initialTree,
  selectedPaths,
  selectionSize,
  treeReducer,
  treeRows,
} from '../../../source/ui/screens/restore-tree-state.js';
import type {TreeNode} from '../../../source/engine/restore/tree.js';

const root = process.getuid?.() === 0;
const nobody = Number(spawnSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).stdout.trim() || NaN);
let world: World;
let out: string;
before(async () => {
  world = await makeWorld();
  out = join(world.dir, 'out');
  await fs.mkdir(out, {mode: 0o777});
  await fs.chmod(out, 0o777);
  await fs.chmod(world.dir, 0o755);
});
after(async () => world?.cleanup());

const type = (text: string) => [...text];
/** The frame as one line, dialog borders left out: a dialog wraps its message anywhere. */
const flat = (frame: string) => frame.replace(/[│╭╮╰╯─]/g, ' ').replace(/\s+/g, ' ');

async function toBrowser(size = {columns: 100, rows: 30}) {
  const r = await openTui(size);
  await r.waitFor(/sql-cluster/);
  await r.press('R');
  let frame = await r.waitFor(/alice-laptop/);
  assert.match(frame, /demo-primary › restore/);
  assert.match(frame, /›\s+alice-laptop\s+workstation\s+alice/);
  await r.press(KEYS.enter);
  frame = await r.waitFor(/full|incremental/);
  assert.match(frame, /pick a restore point/);
  await r.press(KEYS.enter);
  frame = await r.waitFor(/Reason/);
  await r.press(KEYS.enter);
  await r.waitFor(/A reason is required/);
  await r.press(...type('ticket 7'), KEYS.enter);
  frame = await r.waitFor(/docs\//);
  assert.match(frame, /reason: ticket 7/);
  return r;
}

test('browse: folders first with summed sizes; → opens, ← closes, Space marks, / searches', async () => {
  const r = await toBrowser();
  let frame = r.frame();
  assert.match(frame, /›\s+▸ docs\/\s+\d+ B/);
  assert.match(frame, /▸ photos\/\s+39\.\d KiB/);
  await r.press(KEYS.down, '\u001B[C');
  frame = await r.waitFor(/▾ photos\//);
  assert.match(frame, /a\.jpg\s+39\.\d KiB/);
  await r.press(KEYS.down, ' ');
  frame = await r.waitFor(/1 marked: 1 files, 39\.\d KiB/);
  await r.press('\u001B[D');
  frame = await r.waitFor(/›\s+● ?▾ photos\/|› +▾ photos\//);
  await r.press('\u001B[D');
  frame = await r.waitFor(/▸ photos\//);
  await r.press('/', ...type('report'), KEYS.enter);
  frame = await r.waitFor(/search "report"/);
  assert.match(frame, /▾ docs\//);
  assert.match(frame, /report\.txt/);
  assert.doesNotMatch(frame, /photos/);
  assertFits(frame, {columns: 100, rows: 30});
  await r.unmount();
});

test(
  'a delegated restore to a directory: files for the user, Keep next to existing files, audited',
  {skip: (!root || !nobody) && 'needs root and the user nobody'},
  async () => {
    const dest = join(out, 'dir');
    await fs.mkdir(join(dest, 'docs'), {recursive: true});
    await fs.writeFile(join(dest, 'docs', 'report.txt'), 'mine\n');
    await fs.chown(dest, nobody, nobody);
    await fs.chown(join(dest, 'docs'), nobody, nobody);
    const r = await toBrowser();
    await r.press(' ', 't');
    let frame = await r.waitFor(/User the restored files belong to/);
    await r.press(...Array(10).fill(KEYS.backspace), ...type('nobody'), KEYS.enter);
    frame = await r.waitFor(/Restore to/);
    assert.match(frame, /› A directory/);
    await r.press(KEYS.enter);
    await r.waitFor(/Restore into directory/);
    await r.press(...type(dest), KEYS.enter);
    frame = await r.waitFor(/Some files already exist there/);
    await r.press(KEYS.enter);
    frame = await r.waitFor(/\[y\/N\]/);
    assert.match(flat(frame), /Reason: ticket 7/);
    assert.match(flat(frame), /Restore docs \(1 files/);
    assert.match(flat(frame), /keep existing files/);
    // The files go to someone else than the backup's owner (alice): the confirmation says so, and defaults to no.
    assert.match(
      flat(frame),
      /Warning: nobody is not the owner of this backup \(alice\): the restored files will belong to nobody, not to alice/,
    );
    assert.match(frame, /\[y\/N\]/);
    await r.press('y');
    frame = await r.waitFor(/✓ Restored 1 files/);
    assert.match(frame, /kept docs\/report\.txt; restored copy is docs\/report\.RESTORED_\d{8}_\d{6}\.txt/);
    assert.match(frame, /Audit entry #1 recorded/);
    assert.equal(await fs.readFile(join(dest, 'docs/report.txt'), 'utf8'), 'mine\n');
    const copies = (await fs.readdir(join(dest, 'docs'))).filter(n => n.startsWith('report.RESTORED_'));
    assert.equal(copies.length, 1);
    assert.equal((await fs.stat(join(dest, 'docs', copies[0]!))).uid, nobody);
    assert.equal(await fs.readFile(join(dest, 'docs', copies[0]!), 'utf8'), 'quarterly report, revised\n');
    await r.press(KEYS.enter);
    await r.waitFor(/demo-primary: 3 backups/);
    await r.press('A');
    frame = await r.waitFor(/Hash chain intact: 1 entries/);
    assert.match(frame, /root\s+restore\.delegated\s+nobody\s+ok\s+ticket 7/);
    assert.match(frame, /→ dir:/);
    await r.unmount();
  },
);

test(
  'a .tar export from the flow belongs to the user',
  {skip: (!root || !nobody) && 'needs root and the user nobody'},
  async () => {
    const archive = join(out, 'alice.tar');
    const r = await toBrowser();
    await r.press('t');
    await r.waitFor(/User the restored files belong to/);
    await r.press(...Array(10).fill(KEYS.backspace), ...type('nobody'), KEYS.enter);
    await r.waitFor(/Restore to/);
    await r.press(KEYS.down, KEYS.enter);
    await r.waitFor(/Create archive/);
    await r.press(...type(archive), KEYS.enter);
    assert.match(flat(await r.waitFor(/\[y\/N\]/)), /to archive/);
    await r.press('y');
    await r.waitFor(/✓ Restored 1 files/);
    const s = await fs.stat(archive);
    assert.equal(s.uid, nobody);
    assert.equal(s.mode & 0o777, 0o600);
    assert.match(spawnSync('tar', ['-tf', archive], {encoding: 'utf8'}).stdout, /^docs\/$/m);
    await r.unmount();
  },
);

// In-process, "a plain user" can only be played with SUDO_UID; through sudo the configuration is root's
// own and only root-only repositories open, so this world (in /tmp, registered in a test config) is refused.
test('a plain user does not get the flow: they are told why', async () => {
  process.env['SUDO_UID'] = '65534';
  try {
    const r = await openTui({columns: 100, rows: 24});
    await r.waitFor(/No backups you may see|Backups/);
    await r.press('R');
    const frame = await r.waitFor(/needs an admin or a restore operator|Through sudo|No repository named/);
    assert.doesNotMatch(frame, /alice-laptop/);
    await r.unmount();
  } finally {
    delete process.env['SUDO_UID'];
  }
});

test('tree state: marks inside a marked folder collapse to the folder; sizes sum', () => {
  const file = (path: string, size: number): TreeNode => ({
    path,
    name: path.split('/').at(-1)!,
    type: 'file',
    size,
    files: 1,
    mtimeMs: 0,
  });
  const tree: TreeNode = {
    path: '',
    name: '',
    type: 'dir',
    size: 30,
    files: 3,
    mtimeMs: 0,
    children: [
      {path: 'a', name: 'a', type: 'dir', size: 20, files: 2, mtimeMs: 0, children: [file('a/x', 5), file('a/y', 15)]},
      file('z', 10),
    ],
  };
  let s = initialTree(tree, 5);
  s = treeReducer(s, {type: 'expand'});
  assert.deepEqual(
    treeRows(s).map(r => r.node.path),
    ['a', 'a/x', 'a/y', 'z'],
  );
  s = treeReducer(treeReducer(s, {type: 'move', by: 1}), {type: 'mark'});
  s = treeReducer(treeReducer(s, {type: 'top'}), {type: 'mark'});
  assert.deepEqual(selectedPaths(s), ['a']);
  assert.deepEqual(selectionSize(s), {bytes: 20, files: 2});
  s = treeReducer(treeReducer(s, {type: 'move', by: 2}), {type: 'collapse'});
  assert.equal(treeRows(s)[s.cursor]!.node.path, 'a');
  s = treeReducer(s, {type: 'search', text: 'Y'});
  assert.deepEqual(
    treeRows(s).map(r => r.node.path),
    ['a', 'a/y'],
  );
});

test('a filter typed at the backup step is not carried into the point step; Esc returns to the backup picked', async () => {
  const r = await openTui({columns: 80, rows: 24});
  await r.waitFor(/sql-cluster/);
  await r.press('R');
  await r.waitFor(/›\s+alice-laptop/);
  await r.press('/sql', KEYS.enter);
  let frame = await r.waitFor(/filter: sql/);
  assert.match(frame, /›\s+sql-cluster/);
  await r.press(KEYS.enter);
  frame = await r.waitFor(/pick a restore point/);
  frame = await r.waitFor(/full|incremental/);
  assert.doesNotMatch(frame, /No match for/);
  assert.doesNotMatch(frame, /filter: sql/);
  assert.match(frame, /2\/2|1\/2/);
  await r.press(KEYS.esc);
  frame = await r.waitFor(/pick a backup/);
  assert.match(frame, /›\s+sql-cluster/, 'back on the backup picked');
  assert.doesNotMatch(frame, /filter: sql/);
  assertFits(frame, {columns: 80, rows: 24});
  await r.unmount();
});
