// The Restore points screen of a big backup (issue 15, item 4) lists its
// points and the "copied" marks from the two repositories' catalogues: with
// every point manifest gone from both, it still shows all 3,000 points,
// newest first, each marked as the target's catalogue says.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {registerRepository} from '../../../source/engine/workspace/registry.js';
import {createRepository} from '../../../source/engine/workspace/open.js';
import {App} from '../../../source/ui/app.js';
import {createRegistry, SCREENS} from '../../../source/ui/screens/registry.js';
import {themeFor} from '../../../source/ui/theme.js';
import {formatTime} from '../../../source/ui/format.js';
import {MANY_BACKUP, manyPoint, writeManyPoints} from '../../helpers/many-points.js';
import {KEYS, render} from '../helpers.js';

const N = 3000;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-ui-points-'));
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
  process.env.XDG_DATA_HOME = join(dir, 'data');
  const source = await createRepository({location: join(dir, 'primary')});
  const target = await createRepository({location: join(dir, 'secondary')});
  await registerRepository('demo-primary', {location: join(dir, 'primary')});
  await registerRepository('demo-secondary', {location: join(dir, 'secondary')});
  const all = Array.from({length: N}, (_, i) => i);
  await writeManyPoints(source, 'many-host', all, 8);
  const origin = {repositoryId: source.id, location: source.location, copiedAt: '2026-01-01T00:00:00.000Z'};
  // The newest point and every fourth one before it are on the target.
  await writeManyPoints(
    target,
    'many-host',
    all.filter(i => i % 4 === 3),
    8,
    origin,
  );
  for (const repo of ['primary', 'secondary'])
    await rm(join(dir, repo, 'backups', MANY_BACKUP, 'points'), {recursive: true});
});
after(async () => rm(dir, {recursive: true, force: true}));

async function waitFor(r: Awaited<ReturnType<typeof render>>, pattern: RegExp): Promise<string> {
  const end = Date.now() + 60_000;
  for (;;) {
    const frame = r.frame();
    if (pattern.test(frame)) return frame;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${pattern}. Last frame:\n${frame}`);
    await r.press(''); // lets timers and I/O run inside act()
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}

test('points and copied marks of a 3,000-point backup come from the catalogues, no manifest read', async () => {
  const r = await render(
    <App
      registry={createRegistry(SCREENS)}
      initial={{screen: 'backups', params: {repo: 'demo-primary'}}}
      theme={themeFor({NO_COLOR: '1'})}
      size={{columns: 100, rows: 30}}
      onQuit={() => {}}
    />,
  );
  try {
    let frame = await waitFor(r, /many-host\s+server\s+root\s+3000\s/);
    await r.press(KEYS.enter);
    frame = await waitFor(r, /1\/3,000/);
    frame = await waitFor(r, /✓/);
    assert.match(frame, /3000 restore points · "Copied" = on demo-secondary/);
    const rows = frame.split('\n').filter(l => /\d{4}-\d\d-\d\d \d\d:\d\d/.test(l));
    assert.ok(rows.length >= 10, `rows shown:\n${frame}`);
    // Newest first: row k is point N-1-k, copied when (N-1-k) % 4 === 3.
    rows.slice(0, 10).forEach((row, k) => {
      const i = N - 1 - k;
      assert.ok(row.includes(formatTime(manyPoint('many-host', i).time)), `row ${k}: ${row}`);
      assert.match(row, i % 4 === 3 ? /✓\s*$/ : /–\s*$/, `row ${k}: ${row}`);
    });
  } finally {
    await r.unmount();
  }
});
