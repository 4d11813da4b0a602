// The copy plan's target (issue 18): Tab no longer re-plans against each
// registered repository in turn; `t` opens a picker that lists them without
// planning any, and only the one chosen is planned. The target and the points
// scope (p) are remembered per source in the data directory, so the next
// plan from that source opens on them.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {KEYS} from '../helpers.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

const planned = (f: string) => /Enter starts the copy|Nothing to copy/.test(f) && !/Planning the copy/.test(f);

test('t picks the target from a list (nothing is planned until one is chosen); target and points are remembered', async () => {
  const size = {columns: 80, rows: 24};
  const r = await openTui(size);
  await r.waitFor(/alice-laptop/);
  await r.press('/alice', KEYS.enter, 'c');
  let frame = await r.waitFor(f => /Target\s+demo-secondary/.test(f) && planned(f));
  assert.match(frame, /t target/);
  const before = r.frames.length;
  await r.press(KEYS.tab);
  await r.press('t');
  frame = await r.waitFor(/pick a target/);
  assertFits(frame, size);
  assert.match(frame, /›\s+demo-secondary \*/);
  assert.match(frame, /\n\s+spare\s+\S*spare/);
  assert.match(frame.split('\n').at(-1)!, /Enter choose {2}\/ filter {2}Esc back/);
  assert.deepEqual(
    r.frames.slice(before).filter(f => /Planning the copy to spare/.test(f)),
    [],
    'listing the targets plans nothing',
  );
  await r.press(KEYS.down, KEYS.enter);
  frame = await r.waitFor(f => /Target\s+spare/.test(f) && planned(f));
  await r.press('p');
  frame = await r.waitFor(f => /every restore point of each backup/.test(f) && planned(f));
  const remembered = JSON.parse(await readFile(join(world.dir, 'data', 'backhaul', 'plan-choices.json'), 'utf8'));
  assert.deepEqual(remembered['demo-primary'], {target: 'spare', points: 'all'});
  await r.press(KEYS.esc, 'c');
  frame = await r.waitFor(f => /Target\s+spare/.test(f) && /every restore point of each backup/.test(f) && planned(f));
  // Esc in the picker keeps the target.
  await r.press('t');
  await r.waitFor(/pick a target/);
  await r.press(KEYS.up, KEYS.esc);
  await r.waitFor(f => /Target\s+spare/.test(f) && planned(f));
  await r.unmount();

  // A new session opens on them too.
  const s = await openTui(size);
  await s.waitFor(/web01/);
  await s.press('/web', KEYS.enter, 'c');
  await s.waitFor(f => /Target\s+spare/.test(f) && /every restore point/.test(f) && planned(f));
  await s.unmount();
});
