// The job form's retention fields (issue 16): a job created with keep last 3
// and keep weekly 2 is saved with that policy; keep last 2 shows the
// engine's one sentence (the one `forget` and `job add` print) under its
// field and saves nothing; editing a job prefills its policy and clearing
// every keep field removes it. At 80x24 the fields scroll with the cursor
// and every retention field is reachable and shown.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {addJob, findJob, withDefaults} from '../../../source/engine/jobs/index.js';
import {KEYS} from '../helpers.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';

const size = {columns: 80, rows: 24};
let world: World;
before(async () => {
  world = await makeWorld();
  await addJob(
    withDefaults(
      {
        name: 'a-policy',
        source: 'demo-primary',
        target: 'demo-secondary',
        mode: 'periodic',
        every: '1d',
        retention: {keepLast: 4, keepWeekly: 2, pruneEvery: '1d'},
      },
      new Date('2026-12-01T00:00:00Z'),
    ),
  );
});
after(async () => world?.cleanup());

const downs = (n: number) => Array.from({length: n}, () => KEYS.down);

test('a new job with keep last 3 and keep weekly 2 stores that policy; keep last 2 is refused in the engine words', async () => {
  const r = await openTui(size);
  try {
    await r.waitFor(/web01/);
    await r.press('J');
    await r.waitFor(/a-policy/);
    await r.press('a');
    let frame = await r.waitFor(/New job · Enter checks and saves/);
    assert.match(frame, /1–18 of 24/, 'the caption says the fields scroll');
    assertFits(frame, size);
    // Name, From, To, then twelve fields down to Keep last.
    await r.press('kept', KEYS.down, 'demo-primary', KEYS.down, 'demo-secondary', ...downs(12));
    frame = await r.waitFor(/› Keep last/);
    await r.press('2', KEYS.down, '2', KEYS.enter);
    frame = await r.waitFor(/✗ --keep-last must be at least 3/);
    assert.match(frame, /✗ --keep-last must be at least 3, not 2: a backup keeps a short-term chain/);
    assert.match(frame, /Pass --keep-last 3 or more\./, "with the engine's hint");
    const lines = frame.split('\n');
    const at = lines.findIndex(l => /✗ --keep-last/.test(l));
    assert.match(lines[at - 1]!, /^\s+Keep last\s+2\s*$/, 'the error is under its field');
    for (const label of ['Keep last', 'Keep weekly', 'Keep monthly', 'Keep yearly', 'Week starts', 'Prune every'])
      assert.match(frame, new RegExp(`${label}\\s`), `${label} is shown at 80x24`);
    assertFits(frame, size);
    assert.equal(findJob('kept'), undefined, 'nothing was saved');

    await r.press(KEYS.up, KEYS.backspace, '3', KEYS.enter);
    await r.waitFor(/Saved job kept\./);
    assert.deepEqual(findJob('kept')?.retention, {keepLast: 3, keepWeekly: 2});
  } finally {
    await r.unmount();
  }
});

test('editing prefills the policy; clearing every keep field removes it and keeps the rest of the job', async () => {
  const r = await openTui(size);
  try {
    await r.waitFor(/web01/);
    await r.press('J');
    await r.waitFor(/a-policy/);
    await r.press('e');
    await r.waitFor(/Edit job a-policy/);
    // The cursor starts at From (field 2 of 24); Keep last is the 15th.
    await r.press(...downs(13));
    let frame = await r.waitFor(/› Keep last/);
    assert.match(frame, /› Keep last\s+4/);
    assert.match(frame, /Keep weekly\s+2\s*\n/);
    assert.match(frame, /Prune every\s+1d\s*\n/);
    assertFits(frame, size);
    await r.press(KEYS.backspace, KEYS.down, KEYS.backspace, KEYS.enter);
    frame = await r.waitFor(/Saved job a-policy\./);
    const job = findJob('a-policy')!;
    assert.equal(job.retention, undefined, 'the policy is gone');
    assert.equal(job.every, '1d');
    assert.deepEqual([job.source, job.target, job.mode], ['demo-primary', 'demo-secondary', 'periodic']);
  } finally {
    await r.unmount();
  }
});
