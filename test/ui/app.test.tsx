import {test} from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import {App} from '../../source/ui/app.js';
import {spawnSync} from 'node:child_process';
import {plainTheme} from '../../source/ui/theme.js';
import {cellCalls, KEYS, machines, render, testRegistry} from './helpers.js';

const setup = async (n = 100_000, size = {columns: 100, rows: 24}) => {
  const log: string[] = [];
  let quit = 0;
  const r = await render(
    <App
      registry={testRegistry(machines(n), log)}
      initial={{screen: 'machines', params: {repo: 'demo'}}}
      theme={plainTheme}
      size={size}
      onQuit={() => quit++}
    />,
  );
  return {...r, log, quits: () => quit};
};

const lines = (frame: string) => frame.split('\n');

test('100,000 items: only the visible rows are rendered, and the frame is rows-1 tall', async () => {
  cellCalls.count = 0;
  const r = await setup();
  const frame = r.frame();
  assert.equal(lines(frame).length, 23);
  assert.match(frame, /demo/);
  assert.match(frame, /Backups/);
  assert.match(frame, /› {2}machine-000000/);
  assert.match(frame, /1\/100,000 · top/);
  assert.doesNotMatch(frame, /machine-000100/);
  assert.ok(cellCalls.count < 200, `cells computed for ${cellCalls.count} rows, not 100,000`);
  await r.press('G');
  assert.match(r.frame(), /› {2}machine-099999/);
  assert.match(r.frame(), /100,000\/100,000 · end/);
  await r.unmount();
});

test('keys move, page and mark; a paste of several keys acts key by key', async () => {
  const r = await setup(1000);
  await r.press(KEYS.down, KEYS.down, KEYS.space, KEYS.down);
  assert.match(r.frame(), /\n ● machine-000002/);
  assert.match(r.frame(), /\n› {2}machine-000003/);
  await r.press('jj jk');
  assert.match(r.frame(), /\n›● machine-000005/, 'j j Space j k: back on the row just marked');
  assert.match(r.frame(), /2 marked · 6\/1,000/);
  await r.press(KEYS.pageDown);
  assert.match(r.frame(), /2 marked · 24\/1,000/);
  await r.unmount();
});

test('filter as you type, then Enter opens the item, Esc goes back, q quits', async () => {
  const r = await setup(100_000);
  await r.press('/0004');
  assert.match(r.frame(), /\/0004▏/);
  assert.match(r.frame(), /Enter keep filter {2}Esc clear filter/, 'footer follows the mode');
  await r.press('2q');
  assert.match(r.frame(), /No match for "00042q"/, 'q is text while filtering');
  await r.press(KEYS.backspace, KEYS.enter);
  assert.match(r.frame(), /filter: 00042/);
  await r.press(KEYS.down, KEYS.enter);
  assert.match(r.frame(), /demo › machine-000420/);
  assert.match(r.frame(), /Points of machine-000420/);
  assert.match(r.frame(), /Esc back/);
  await r.press(KEYS.esc);
  assert.match(r.frame(), /filter: 00042/, 'the list kept its state while buried');
  await r.press(KEYS.esc);
  assert.match(r.frame(), /1\/100,000/, 'Esc cleared the filter');
  await r.press(KEYS.esc);
  assert.equal(r.quits(), 0, 'Esc at the root does not quit');
  await r.press('q');
  assert.equal(r.quits(), 1);
  await r.unmount();
});

test('? shows help generated from the keymap; Esc closes it', async () => {
  const r = await setup(10, {columns: 120, rows: 24});
  await r.press('?');
  const help = r.frame();
  assert.match(help, /Keys/);
  assert.match(help, /Space\s+Mark or unmark the item under the cursor\./);
  assert.match(help, /q Ctrl-C\s+Quit Backhaul\./);
  assert.match(help, /↓ j\s+Move the cursor down one row\./);
  assert.doesNotMatch(help, /Start a delegated restore/, "only this screen's keys and the global ones");
  await r.press('j');
  assert.match(r.frame(), /Keys/, 'keys do not leak to the screen under the help');
  await r.press(KEYS.esc);
  assert.doesNotMatch(r.frame(), /Move the cursor/);
  assert.match(r.frame(), /› {2}machine-000000/);
  await r.unmount();
});

test('at 80x24 the help scrolls instead of being cut off', async () => {
  const r = await setup(10, {columns: 80, rows: 24});
  await r.press('?');
  assert.match(r.frame(), /… \d+ more lines \(↓ to scroll\)/);
  assert.doesNotMatch(r.frame(), /Quit Backhaul\./);
  await r.press('jjjjjjjjjj');
  assert.match(r.frame(), /Quit Backhaul\./);
  assert.equal(lines(r.frame()).length, 23);
  await r.press('q');
  assert.equal(r.quits(), 0, 'q closes the help first');
  assert.match(r.frame(), /machine-000000/);
  await r.unmount();
});

test('a confirm dialog takes the keys until answered', async () => {
  const r = await setup(10);
  await r.press(' j ', 'c');
  assert.match(r.frame(), /Copy 2 backups to demo-secondary\?/);
  assert.match(r.frame(), /y yes/);
  await r.press('j', 'q');
  assert.equal(r.quits(), 0);
  await r.press('y');
  assert.deepEqual(r.log, ['copy true m0,m1']);
  assert.doesNotMatch(r.frame(), /demo-secondary/);
  await r.press('c', KEYS.esc);
  assert.deepEqual(r.log, ['copy true m0,m1', 'copy false m0,m1']);
  await r.unmount();
});

test('a prompt validates, edits and returns the text', async () => {
  const r = await setup(10);
  await r.press(KEYS.enter, 'R');
  assert.match(r.frame(), /Why\?/);
  await r.press(KEYS.enter);
  assert.match(r.frame(), /Give a reason\./);
  await r.press('user asked q', KEYS.backspace, KEYS.backspace, KEYS.enter);
  assert.deepEqual(r.log, ['reason user asked']);
  await r.unmount();
});

test('a screen that throws shows one sentence, not a stack trace', async () => {
  const r = await render(
    <App
      registry={testRegistry(machines(3))}
      initial={{screen: 'broken'}}
      theme={plainTheme}
      size={{columns: 80, rows: 12}}
    />,
  );
  assert.match(r.frame(), /Unexpected error: kaboom/);
  assert.doesNotMatch(r.frame(), /at Stack|file\.ts/);
  await r.unmount();
});

test('at 80x24 nothing is wider than 80 columns', async () => {
  const r = await setup(50, {columns: 80, rows: 24});
  for (const line of lines(r.frame())) assert.ok([...line].length <= 80, line);
  assert.equal(lines(r.frame()).length, 23);
  await r.unmount();
});

test('NO_COLOR: nothing is coloured, and the cursor and marks still show', async () => {
  const plain = await setup(5);
  await plain.press(' j');
  assert.doesNotMatch(plain.frame(), /\u001B\[/);
  assert.match(plain.frame(), /\n ● machine-000000/);
  assert.match(plain.frame(), /\n› {2}machine-000001/);
  await plain.unmount();
});

test('NO_COLOR in the environment turns a coloured terminal plain (child process, FORCE_COLOR=1)', () => {
  const probe = (env: Record<string, string>) => {
    const out = spawnSync(process.execPath, ['--import', 'tsx', 'test/ui/color-probe.tsx'], {
      env: {...process.env, FORCE_COLOR: '1', NO_COLOR: '', ...env},
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(out.status, 0, out.stderr);
    return out.stdout;
  };
  assert.match(probe({}), /\u001B\[3\dm/, 'colours without NO_COLOR');
  const plain = probe({NO_COLOR: '1'});
  assert.doesNotMatch(plain, /\u001B\[/);
  assert.match(plain, /machine-000000/);
});
