// The Restore points screen marks GFS points (issue 16, item 3): on the
// target of a job with a retention policy that copies the backup, a "GFS"
// column shows W, M, Y on the points the policy keeps for weekly, monthly,
// yearly — exactly what the policy engine says over all the points — and
// the caption names the job; the same backup in a repository no job keeps
// shows no such column. `points --json` gives each kept point's keptFor.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {addJob, withDefaults} from '../../../source/engine/jobs/index.js';
import {selectPoints} from '../../../source/engine/retention/policy.js';
import {registerRepository} from '../../../source/engine/workspace/registry.js';
import {createRepository} from '../../../source/engine/workspace/open.js';
import {App} from '../../../source/ui/app.js';
import {createRegistry, SCREENS} from '../../../source/ui/screens/registry.js';
import {themeFor} from '../../../source/ui/theme.js';
import {formatTime} from '../../../source/ui/format.js';
import {runCli} from '../../helpers/cli.js';
import {writeManyPoints} from '../../helpers/many-points.js';
import {KEYS, render} from '../helpers.js';

const POLICY = {keepLast: 3, keepWeekly: 4, keepMonthly: 3, keepYearly: 2};
/** 400 points 30 hours apart (500 days): weeks, months and two years of them. */
const INDICES = Array.from({length: 400}, (_, k) => k * 30);
let dir: string;
let points: {id: string; time: string}[];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-ui-gfs-'));
  process.env.XDG_CONFIG_HOME = join(dir, 'config');
  process.env.XDG_DATA_HOME = join(dir, 'data');
  const source = await createRepository({location: join(dir, 'primary')});
  const target = await createRepository({location: join(dir, 'secondary')});
  await registerRepository('demo-primary', {location: join(dir, 'primary')});
  await registerRepository('demo-secondary', {location: join(dir, 'secondary')});
  await writeManyPoints(source, 'many-host', INDICES, 4);
  const origin = {repositoryId: source.id, location: source.location, copiedAt: '2026-01-01T00:00:00.000Z'};
  points = await writeManyPoints(target, 'many-host', INDICES, 4, origin);
  await addJob(
    withDefaults({
      name: 'offsite',
      source: 'demo-primary',
      target: 'demo-secondary',
      mode: 'periodic',
      every: '1d',
      retention: POLICY,
    }),
  );
});
after(async () => rm(dir, {recursive: true, force: true}));

async function waitFor(r: Awaited<ReturnType<typeof render>>, pattern: RegExp): Promise<string> {
  const end = Date.now() + 60_000;
  for (;;) {
    const frame = r.frame();
    if (pattern.test(frame)) return frame;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${pattern}. Last frame:\n${frame}`);
    await r.press('');
    await new Promise(resolve => setTimeout(resolve, 25));
  }
}

const letters = {weekly: 'W', monthly: 'M', yearly: 'Y'} as Record<string, string>;

async function pointsFrame(repo: string): Promise<string> {
  const r = await render(
    <App
      registry={createRegistry(SCREENS)}
      initial={{screen: 'backups', params: {repo}}}
      theme={themeFor({NO_COLOR: '1'})}
      size={{columns: 120, rows: 40}}
      onQuit={() => {}}
    />,
  );
  try {
    await waitFor(r, /many-host( \(copy\))?\s+server/);
    await r.press(KEYS.enter);
    return await waitFor(r, /400 restore points/);
  } finally {
    await r.unmount();
  }
}

test('on the target of a job with a policy, the GFS column marks exactly the points the policy keeps for W, M, Y', async () => {
  const frame = await pointsFrame('demo-secondary');
  assert.match(frame, /GFS = kept by job offsite/);
  assert.match(frame, /Type\s+GFS\s+Logical/);
  const kept = new Map(selectPoints(points, POLICY).kept.map(k => [k.point.id, k.keptFor]));
  const newestFirst = [...points].reverse();
  const rows = frame.split('\n').filter(l => /\d{4}-\d\d-\d\d \d\d:\d\d\s/.test(l));
  assert.ok(rows.length >= 20, frame);
  let marked = 0;
  rows.forEach((row, k) => {
    const p = newestFirst[k]!;
    assert.ok(row.includes(formatTime(p.time)), `row ${k}: ${row}`);
    const want = (kept.get(p.id) ?? []).flatMap(w => letters[w] ?? []).join(' ');
    const cell = /(?:incremental|full)\s+((?:[WMY] ?)*)/.exec(row)![1]!.trim();
    assert.equal(cell, want, `row ${k}: ${row}`);
    if (want) marked++;
  });
  assert.ok(marked >= 3, `some rows are marked:\n${frame}`);
  assert.match(rows[0]!, /incremental\s+W M Y\s/, 'the newest point is the newest of its week, month and year');
});

test('the same backup where no job keeps it: no GFS column', async () => {
  const frame = await pointsFrame('demo-primary');
  assert.doesNotMatch(frame, /GFS/);
});

test('points --json gives keptFor on the target of a job with a policy, and nothing elsewhere', async () => {
  const home = dir; // the CLI's XDG dirs under it are this process's (cliEnv)
  const r = await runCli(home, ['points', 'bmany00000001', '--repo', 'demo-secondary', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const listed = JSON.parse(r.stdout) as {id: string; keptFor?: string[]}[];
  const kept = selectPoints(points, POLICY).kept;
  assert.deepEqual(
    listed.filter(p => p.keptFor).map(p => [p.id, p.keptFor]),
    kept.map(k => [k.point.id, k.keptFor]),
  );
  const plain = await runCli(home, ['points', 'bmany00000001', '--repo', 'demo-primary', '--json']);
  assert.ok((JSON.parse(plain.stdout) as object[]).every(p => !('keptFor' in p)));
});
