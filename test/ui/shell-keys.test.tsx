// The shell's screen keys and busy screens, on a small registry: a screen key
// opens its screen from any screen, for the repository in view, and goes
// back to it rather than stacking a second one; a busy screen (a copy
// running) is never dropped from the stack by a move elsewhere, nor quit
// from a screen above it — the status line says why instead.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import React, {useState} from 'react';
import {Text} from 'ink';
import {App} from '../../source/ui/app.js';
import {matches} from '../../source/ui/keymap.js';
import {createRegistry, defineScreen} from '../../source/ui/screens/registry.js';
import {useBusy, useScreenKeys, useShell} from '../../source/ui/shell-context.js';
import {plainTheme} from '../../source/ui/theme.js';
import {KEYS, render} from './helpers.js';

function registry() {
  const Home = defineScreen<{repo: string}>({
    id: 'home',
    title: 'Home',
    breadcrumb: p => p.repo,
    actions: ['nav.open'],
    repo: p => p.repo,
    component: function HomeScreen() {
      const shell = useShell();
      useScreenKeys(k => (matches('nav.open', k) ? (shell.push('work', {}), true) : false));
      return <Text>home screen</Text>;
    },
  });
  const Work = defineScreen<Record<string, never>>({
    id: 'work',
    title: 'Work',
    breadcrumb: () => 'work',
    actions: ['copy.cancel'],
    component: function WorkScreen() {
      const [running, setRunning] = useState(true);
      useBusy(running ? 'The work is still running.' : undefined);
      useScreenKeys(k => (matches('copy.cancel', k) ? (setRunning(false), true) : false));
      return <Text>work {running ? 'running' : 'done'}</Text>;
    },
  });
  const Log = defineScreen<{repo: string}>({
    id: 'log',
    title: 'Log',
    breadcrumb: p => `log of ${p.repo}`,
    actions: [],
    jump: {action: 'history.open', params: repo => ({repo: repo ?? '?'})},
    component: ({params}) => <Text>log of {params.repo}</Text>,
  });
  const Switch = defineScreen<{current: string}>({
    id: 'switch',
    title: 'Switch',
    breadcrumb: () => 'switch',
    actions: ['nav.open'],
    jump: {action: 'repo.switch', params: repo => ({current: repo ?? ''})},
    component: function SwitchScreen() {
      const shell = useShell();
      useScreenKeys(k => (matches('nav.open', k) ? (shell.reset('home', {repo: 'other'}), true) : false));
      return <Text>switch</Text>;
    },
  });
  return createRegistry([Home, Work, Log, Switch]);
}

async function setup() {
  let quits = 0;
  const r = await render(
    <App
      registry={registry()}
      initial={{screen: 'home', params: {repo: 'main'}}}
      theme={plainTheme}
      size={{columns: 80, rows: 12}}
      onQuit={() => quits++}
    />,
  );
  return {...r, quits: () => quits, crumbs: () => r.frame().split('\n')[0]!};
}

test('a screen key opens its screen from any screen, for the repository in view; pressed again, it goes back to it', async () => {
  const r = await setup();
  await r.press(KEYS.enter, 'x'); // the work is over: nothing busy here
  assert.match(r.frame(), /work done/);
  await r.press('H');
  assert.match(r.crumbs(), /main › work › log of main/);
  assert.match(r.frame(), /log of main/);
  await r.press('r', 'H');
  assert.match(r.crumbs(), /main › work › log of main\s/, 'back to the log, not a second one on top');
  await r.unmount();
});

test('a busy screen stays: no reset over it, no quit from above it; once done, both work', async () => {
  const r = await setup();
  await r.press(KEYS.enter, 'H');
  assert.match(r.crumbs(), /main › work › log of main/);
  await r.press('q');
  assert.equal(r.quits(), 0, 'q above a running job does not quit');
  assert.match(r.frame(), /The work is still running\./);
  await r.press('r', KEYS.enter);
  assert.match(r.crumbs(), /main › work › log of main › switch/, 'switching repository would drop the job: refused');
  assert.match(r.frame(), /The work is still running\./);
  await r.press(KEYS.esc, KEYS.esc);
  assert.match(r.frame(), /work running/);
  await r.press(KEYS.esc);
  assert.match(r.frame(), /work running/, 'Esc does not drop it either');
  await r.press('x', 'r', KEYS.enter);
  assert.match(r.crumbs(), /^other\s/, 'once it is done, the switch goes through');
  await r.press('q');
  assert.equal(r.quits(), 1);
  await r.unmount();
});
