// Restore points and the copy plan on a real repository: points newest
// first with type and size, Space / `a` marking, a plan for the marked
// points, Tab between targets, `p` latest/all, the "copied" marker after a
// copy, and the plan's lines when the target lacks room.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {runCopy} from '../../../source/engine/copy/run.js';
import {resolveRepository} from '../../../source/engine/workspace/open.js';
import {planLines} from '../../../source/ui/screens/plan-lines.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';
import {KEYS} from '../helpers.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

const header = {
  source: 'demo-primary',
  target: 'demo-secondary',
  targets: 2,
  selection: 'alice-laptop',
  points: 'the latest restore point of each backup',
  scopable: true,
};

test('restore points: newest first, full/incremental, sizes; Space and a mark; c plans the marked points', async () => {
  const size = {columns: 80, rows: 24};
  const r = await openTui(size);
  await r.waitFor(/alice-laptop/);
  await r.press('/alice', KEYS.enter, KEYS.enter);
  // The rows show first ("Copied" …), the marks once the target's catalogue is read.
  let frame = await r.waitFor(/Time \(UTC\)[^]*09:30 .*(–|✓)$/m);
  assert.match(frame, /demo-primary › alice-laptop\s+Restore points/);
  assert.match(frame, /alice-laptop \(workstation\) · 3 restore points · "Copied" = on demo-secondary/);
  const rows = [
    ...frame.matchAll(
      /^[› ][ ●] (2026-11-\d\d 09:30)\s+\S+ ago\s+(full|incremental)\s+[\d.]+ \w+\s+[\d.]+ \w+\s+(–|✓)/gm,
    ),
  ].map(m => [m[1], m[2], m[3]]);
  assert.deepEqual(rows, [
    ['2026-11-22 09:30', 'incremental', '–'],
    ['2026-11-21 09:30', 'incremental', '–'],
    ['2026-11-20 09:30', 'full', '–'],
  ]);
  assertFits(frame, size);
  await r.press('a');
  frame = await r.waitFor(/3 marked/);
  await r.press('a');
  frame = await r.waitFor(/1\/3/);
  assert.doesNotMatch(frame, /marked/, 'a again unmarks all');
  await r.press(KEYS.down, KEYS.space, KEYS.down, KEYS.space);
  await r.waitFor(/2 marked/);
  await r.press('c');
  frame = await r.waitFor(/restore points to copy/);
  assert.match(frame, /Selection\s+alice-laptop: 2 restore points/);
  assert.match(frame, /Points\s+the marked restore points\n/);
  assert.match(frame, /alice-laptop \(workstation\)\s+2\s+1\s/, 'Skip counts the point not selected');
  assert.match(frame, /Enter start copy {2}t target {2}Esc back/, 'no `p` when the points were picked');
  await r.press('t');
  await r.waitFor(/pick a target/);
  await r.press(KEYS.down, KEYS.enter);
  frame = await r.waitFor(/Target\s+spare/);
  assert.match(frame, /2 restore points to copy/);
  await r.press('t');
  await r.waitFor(/pick a target/);
  await r.press(KEYS.up, KEYS.enter);
  await r.waitFor(/Target\s+demo-secondary/);
  await r.unmount();
});

test('a plan from the backups screen offers latest or every point (p); copied points are marked afterwards', async () => {
  const size = {columns: 120, rows: 40};
  const r = await openTui(size);
  await r.waitFor(/alice-laptop/);
  await r.press('/alice', KEYS.enter, 'c');
  let frame = await r.waitFor(/1 restore point to copy/);
  assert.match(frame, /Points\s+the latest restore point of each backup {2}\(p: switch latest\/all\)/);
  assert.match(frame, /2 older restore points not selected/);
  const before = r.frames.length;
  await r.press('p');
  frame = await r.waitFor(/3 restore points to copy/);
  assert.match(frame, /Points\s+every restore point of each backup/);
  // Between the key and the new plan, no frame labels the old totals with the new scope.
  const mixed = r.frames
    .slice(before)
    .filter(f => /every restore point of each backup/.test(f) && /1 restore point to copy/.test(f));
  assert.deepEqual(mixed, []);
  assertFits(frame, size);
  await r.press(KEYS.esc, KEYS.enter);
  await r.waitFor(/Time \(UTC\)/);

  // A copy made outside the TUI (by the engine, as `backhaul copy` would) shows up as marks.
  const [source, target] = await Promise.all([resolveRepository('demo-primary'), resolveRepository('demo-secondary')]);
  const alice = (await source.listBackups()).find(b => b.machine === 'alice-laptop')!;
  await runCopy(source, target, await planCopy(source, target, {backups: [alice.id], points: 'latest'}));
  await r.press(KEYS.esc, KEYS.enter);
  frame = await r.waitFor(/2026-11-22 09:30 .*✓/);
  assert.match(frame, /2026-11-21 09:30 .*–/);
  await r.unmount();
});

test('plan lines: the verdict refuses a plan that does not fit, and the totals say why', async () => {
  const [source, target] = await Promise.all([resolveRepository('demo-primary'), resolveRepository('spare')]);
  const plan = await planCopy(source, target, {points: 'all'});
  const text = planLines(plan, header, 80)
    .map(l => l.text)
    .join('\n');
  assert.match(text, /restore points to copy\. Enter starts the copy\./);
  assert.match(text, /To store on the target \(with index\)/);
  const tight = planLines({...plan, freeBytes: 1024, fits: false}, header, 80);
  const verdict = tight.find(l => l.text.startsWith('Not enough space'));
  assert.equal(verdict?.tone, 'error');
  assert.match(tight.map(l => l.text).join('\n'), /Free space on the target: NOT ENOUGH\s+1\.00 KiB/);
  for (const line of tight) assert.ok([...line.text].length <= 80, line.text);
});
