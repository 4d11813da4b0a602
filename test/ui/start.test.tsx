// The TUI opens where the commands would act (the engine's one default-repository
// rule): the only registered repository, else demo-primary; with several and
// no default it opens the list of repositories, and Enter there opens one.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import React, {act} from 'react';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {App} from '../../source/ui/app.js';
import {createRegistry, SCREENS} from '../../source/ui/screens/registry.js';
import {initialScreen} from '../../source/ui/start.js';
import {themeFor} from '../../source/ui/theme.js';
import {createRepository} from '../../source/engine/workspace/open.js';
import {registerRepository} from '../../source/engine/workspace/registry.js';
import {KEYS, render} from './helpers.js';

let dir: string;
const saved = process.env.XDG_CONFIG_HOME;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-start-'));
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
});
after(async () => {
  if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
  else process.env.XDG_CONFIG_HOME = saved;
  await rm(dir, {recursive: true, force: true});
});

test('the first screen follows the default-repository rule', () => {
  assert.deepEqual(initialScreen(['backups']), {screen: 'backups', params: {repo: 'backups'}});
  assert.deepEqual(initialScreen(['zeta', 'demo-primary']), {screen: 'backups', params: {repo: 'demo-primary'}});
  assert.deepEqual(
    initialScreen(['alpha', 'beta']),
    {screen: 'repos', params: {current: ''}},
    'not the first of several',
  );
});

test('with several and no default, the list of repositories opens; Enter opens the one chosen', async () => {
  for (const name of ['alpha', 'beta']) {
    await createRepository({location: join(dir, name)});
    await registerRepository(name, {location: join(dir, name)});
  }
  const r = await render(
    <App
      registry={createRegistry(SCREENS)}
      initial={initialScreen(['alpha', 'beta'])}
      theme={themeFor({NO_COLOR: '1'})}
      size={{columns: 80, rows: 24}}
    />,
  );
  const waitFor = async (pattern: RegExp) => {
    for (let i = 0; i < 400 && !pattern.test(r.frame()); i++) {
      await act(async () => {
        await new Promise(resolve => setTimeout(resolve, 25));
      });
    }
    return r.frame();
  };
  let frame = await waitFor(/2 registered repositories/);
  assert.match(frame, /2 registered repositories/);
  assert.doesNotMatch(frame, /(alpha|beta) \*/, 'none is open yet');
  await r.press(KEYS.down, KEYS.enter);
  frame = await waitFor(/beta/);
  assert.match(frame, /Backups/);
  assert.match(frame, /beta/);
  await r.unmount();
});
