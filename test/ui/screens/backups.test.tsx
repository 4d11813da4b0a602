// The Backups screen on a real repository: columns, sort, filter as you
// type, the repository switcher, `n` on a cluster and on a machine, history.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {assertFits, makeWorld, openTui, type World} from './world.js';
import {KEYS} from '../helpers.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

for (const size of [
  {columns: 80, rows: 24},
  {columns: 120, rows: 40},
]) {
  test(`backups render at ${size.columns}x${size.rows}: machines, kinds, owners, points, sizes`, async () => {
    const r = await openTui(size);
    // The rows come first, from the records; the counts when the catalogues are read.
    const frame = await r.waitFor(/sql-cluster\s+cluster\s+3\s+root\s+2\s/);
    assert.match(frame, /^demo-primary\s+Backups$/m);
    assert.match(frame, /demo-primary: 3 backups · sorted by newest point/);
    assert.match(frame, /Machine\s+Kind\s+Nodes\s+Owner\s+Points\s+Newest▼\s+Logical\s+Stored/);
    assert.match(frame, /›\s+sql-cluster\s+cluster\s+3\s+root\s+2\s+\S+ ago\s+[\d.]+ MiB\s+\d+ KiB/);
    assert.match(frame, /alice-laptop\s+workstation\s+alice\s+3 /);
    assert.match(frame, /web01\s+server\s+root\s+1 /);
    assert.match(frame, /Enter open {2}c copy {2}n nodes/);
    assertFits(frame, size);
    await r.unmount();
  });
}

test('s cycles the sort column, S reverses it', async () => {
  const r = await openTui({columns: 100, rows: 20});
  await r.waitFor(/sql-cluster/);
  await r.press('s');
  let frame = await r.waitFor(/Machine▼/);
  assert.match(frame, /Sorted by machine\./);
  const order = (f: string) => [...f.matchAll(/^[› ][ ●] (alice-laptop|sql-cluster|web01) /gm)].map(m => m[1]);
  assert.deepEqual(order(frame), ['alice-laptop', 'sql-cluster', 'web01']);
  await r.press('S');
  frame = await r.waitFor(/Machine▲/);
  assert.deepEqual(order(frame), ['web01', 'sql-cluster', 'alice-laptop']);
  await r.press('s', 's', 's');
  frame = await r.waitFor(/Points▼/);
  assert.deepEqual(order(frame), ['alice-laptop', 'sql-cluster', 'web01']);
  await r.unmount();
});

test('/ filters as you type; Enter keeps it; Esc clears it', async () => {
  const r = await openTui({columns: 80, rows: 24});
  await r.waitFor(/sql-cluster/);
  await r.press('/', 's', 'q', 'l');
  let frame = await r.waitFor(/\/sql▏/);
  assert.match(frame, /sql-cluster/);
  assert.doesNotMatch(frame, /alice-laptop|web01/);
  assert.match(frame, /Enter keep filter {2}Esc clear filter/);
  await r.press(KEYS.enter);
  frame = await r.waitFor(/filter: sql/);
  assert.match(frame, /1\/1/);
  await r.press('n');
  frame = await r.waitFor(/Cluster nodes/);
  assert.match(frame, /demo-primary › sql-cluster nodes/);
  await r.press(KEYS.esc);
  await r.waitFor(/filter: sql/);
  await r.press(KEYS.esc);
  frame = await r.waitFor(/web01/);
  assert.match(frame, /1\/3/);
  await r.unmount();
});

test('n on a machine that is not a cluster says so; Enter opens its restore points', async () => {
  const r = await openTui({columns: 80, rows: 24});
  await r.waitFor(/sql-cluster/);
  await r.press('/web', KEYS.enter, 'n');
  await r.waitFor(/web01 is a server, not a failover cluster/);
  await r.press(KEYS.enter);
  const frame = await r.waitFor(/Restore points/);
  assert.match(frame, /demo-primary › web01/);
  await r.unmount();
});

test('r switches repository; H opens the (empty) history', async () => {
  const r = await openTui({columns: 80, rows: 24});
  await r.waitFor(/sql-cluster/);
  await r.press('r');
  let frame = await r.waitFor(/Repositories/);
  assert.match(frame, /3 registered repositories/);
  assert.match(frame, /demo-primary \*/);
  assert.match(frame, /demo-secondary/);
  await r.press(KEYS.down, KEYS.enter);
  frame = await r.waitFor(/demo-secondary: 0 backups/);
  assert.match(frame, /No backups you may see in this repository\./);
  assert.doesNotMatch(frame, /›/, 'the switch made the new repository the root (no trail)');
  await r.press('H');
  frame = await r.waitFor(/Jobs and history[\s\S]*No copy sessions yet/);
  await r.press(KEYS.esc, 'q');
  assert.equal(r.quits(), 1);
  await r.unmount();
});

test('loaded backups appear in the same frame as their count: no "no backups" flash in between', async () => {
  const r = await openTui({columns: 100, rows: 20});
  await r.waitFor(/sql-cluster/);
  const flashed = r.frames.filter(f => /3 backups/.test(f) && /No backups you may see/.test(f));
  assert.deepEqual(flashed, [], 'a frame said "3 backups" over an empty list');
  await r.unmount();
});
