// The progress reducer folds a real copy's event stream (from runCopy on a
// real repository): every point ends with a status, disk bars finish, the
// log tells the story, overall progress reaches its total; a cancelled run
// marks the point in progress as not committed.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import type {CopyEvent} from '../../../source/engine/copy/events.js';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import {resolveRepository} from '../../../source/engine/workspace/open.js';
import {initialProgress, overall, progressReducer, type Stamped} from '../../../source/ui/screens/progress-state.js';
import {makeWorld, type World} from './world.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

const fold = (plan: Parameters<typeof initialProgress>[0], events: CopyEvent[], extra: Stamped['event'][] = []) =>
  [...events, ...extra].reduce(
    (s, event, i) => progressReducer(s, {at: Date.UTC(2026, 10, 25, 12, 0, i), event}),
    initialProgress(plan, 'demo-secondary'),
  );

test('a finished copy: every point copied, bars finished, log and overall complete', async () => {
  const [source, target] = await Promise.all([resolveRepository('demo-primary'), resolveRepository('demo-secondary')]);
  const plan = await planCopy(source, target, {points: 'all'});
  const events: CopyEvent[] = [];
  await runCopy(source, target, plan, {onEvent: e => events.push(e)});
  const s = fold(plan, events, [{type: 'ui.finished'}]);
  assert.equal(s.phase, 'done');
  assert.equal(s.summary?.result, 'success');
  assert.equal(s.objects.length, plan.pointsToCopy);
  assert.ok(
    s.objects.every(o => o.status === 'success'),
    JSON.stringify(s.objects),
  );
  assert.ok(s.objects.some(o => /^sql-cluster 11-\d\d 09:30 \[node1,node2,node3\]$/.test(o.label)));
  assert.ok(s.disks.length > 0 && s.disks.every(d => d.finished));
  assert.match(s.log[0]!.text, /^12:00:00 Copy of 6 restore point\(s\) to demo-secondary started/);
  assert.equal(s.log.filter(l => /Copied /.test(l.text)).length, 6);
  assert.match(s.log.at(-1)!.text, /Copy finished: 6 copied, 0 skipped, 0 failed/);
  const {done, total} = overall(s);
  assert.equal(done, total);

  // Planned again, everything is on the target: the points show as skipped.
  const again = await planCopy(source, target, {points: 'all'});
  const events2: CopyEvent[] = [];
  await runCopy(source, target, again, {onEvent: e => events2.push(e)});
  const s2 = fold(again, events2);
  assert.ok(
    s2.objects.length === 6 && s2.objects.every(o => o.status === 'skipped' && o.message === 'already on target'),
  );
});

test('a cancelled copy: the point in progress is marked not committed', async () => {
  const [source, target] = await Promise.all([resolveRepository('demo-primary'), resolveRepository('spare')]);
  const plan = await planCopy(source, target, {points: 'all'});
  const controller = new AbortController();
  const events: CopyEvent[] = [];
  await assert.rejects(
    runCopy(source, target, plan, {
      signal: controller.signal,
      onEvent: e => {
        events.push(e);
        if (e.type === 'copy.disk') controller.abort();
      },
    }),
    (e: {code?: string}) => e.code === 'cancelled',
  );
  const s = fold(plan, events, [{type: 'ui.cancelling'}]);
  assert.equal(s.summary?.result, 'cancelled');
  assert.equal(s.objects.filter(o => o.status === 'warning' && o.message === 'cancelled, not committed').length, 1);
  assert.ok(s.objects.filter(o => o.status !== 'warning').every(o => o.status === 'pending'));
  assert.ok(s.log.some(l => /Copy cancelled/.test(l.text)));
});
