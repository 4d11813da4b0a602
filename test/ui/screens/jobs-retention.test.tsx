// The Jobs screen and a job's retention (issue 16, item 3): with a job that
// has a retention policy, a line under the list says, for the job under the
// cursor, what its last retention kept, removed and freed on the target and
// when it last pruned (from the history, as `job status` reads it); a job
// whose policy has not run yet shows the policy; one without a policy says
// the target keeps every point. It fits 80 columns.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {addJob, withDefaults} from '../../../source/engine/jobs/index.js';
import {emptySummary, recordSession} from '../../../source/engine/jobs/history.js';
import {KEYS} from '../helpers.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';

let world: World;
before(async () => {
  world = await makeWorld();
  const at = new Date('2026-12-01T00:00:00Z');
  const job = (name: string, retention?: {keepLast: number; keepWeekly?: number}) =>
    addJob(
      withDefaults(
        {name, source: 'demo-primary', target: 'demo-secondary', mode: 'periodic', every: '1d', retention},
        at,
      ),
    );
  await job('a-kept', {keepLast: 3, keepWeekly: 2});
  await job('b-new', {keepLast: 4});
  await job('c-plain');
  const run = (endedAt: string, retention: {kept: number; removed: number; bytesFreed: number; pruned: boolean}) =>
    recordSession({
      kind: 'copy',
      source: world.primary,
      target: world.secondary,
      job: 'a-kept',
      summary: emptySummary('success', endedAt, endedAt),
      retention,
    });
  await run('2026-12-01T10:00:00.000Z', {kept: 3, removed: 0, bytesFreed: 2_500_000, pruned: true});
  await run('2026-12-02T10:00:00.000Z', {kept: 5, removed: 2, bytesFreed: 0, pruned: false});
});
after(async () => world?.cleanup());

test("the line under the jobs says the current job's last retention and last prune, or its policy, or none", async () => {
  const size = {columns: 80, rows: 24};
  const r = await openTui(size);
  try {
    await r.waitFor(/web01/);
    await r.press('J');
    let frame = await r.waitFor(/a-kept retention/);
    assert.match(frame, /a-kept retention: kept 5, removed 2, freed 0 B · pruned 12-01 10:00\n/);
    assertFits(frame, size);
    await r.press(KEYS.down);
    frame = await r.waitFor(/b-new retention/);
    assert.match(frame, /b-new retention: keep last 4; prune every 7d; not run yet\./);
    await r.press(KEYS.down);
    frame = await r.waitFor(/c-plain: no retention/);
    assertFits(frame, size);
  } finally {
    await r.unmount();
  }
});
