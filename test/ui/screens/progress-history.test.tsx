// Copy progress on a real repository: start, cancel mid-copy (x, then y in
// the confirm), the target stays consistent and the session is recorded as
// cancelled; then a copy that finishes, the history listing both sessions,
// and a session's log. 120x40 and 80x24. The copy runs detached, as its own
// process (nothing commits in the TUI's process), and the screen follows its
// run log.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {readHistory} from '../../../source/engine/jobs/history.js';
import {resolveRepository} from '../../../source/engine/workspace/open.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';
import {KEYS} from '../helpers.js';
import {lockFiles} from '../../helpers/locks.js';

let world: World;
before(async () => {
  world = await makeWorld(24);
});
after(async () => world?.cleanup());

test('x asks, y cancels: the copy stops, the target stays consistent, the session is recorded', async () => {
  const size = {columns: 120, rows: 40};
  const r = await openTui(size);
  await r.waitFor(/bulk/);
  await r.press('/bulk', KEYS.enter, 'c');
  await r.waitFor(/1 restore point to copy/);
  await r.press(KEYS.enter);
  let frame = await r.waitFor(/Copy progress/);
  assert.match(frame, /bulk → demo-secondary/);
  assert.match(frame, /x cancel {2}Esc back {2}\? help/, 'the footer offers cancel and leaving the viewer');
  await r.press('x');
  frame = await r.waitFor(/Stop the copy\?/);
  assert.match(frame, /\[y\/N\]/, 'a dangerous question defaults to no');
  await r.press('y');
  frame = await r.waitFor(/Esc leaves/);
  assert.match(frame, /! Copy cancelled: 0 copied, 0 skipped, 0 failed/);
  assert.match(frame, /! bulk 11-23 09:30\s+cancelled|bulk 11-23 09:30\s+waiting/);
  assert.match(frame, /Stop asked: cancelling/, 'the run said it in its log');
  assert.match(frame, /Cancelling: the point in progress is not committed\./);
  assertFits(frame, size);

  const target = await resolveRepository('demo-secondary');
  assert.deepEqual(await target.listBackups(), [], 'nothing half-copied is visible on the target');
  assert.deepEqual(lockFiles(world.secondary), [], 'the writer lock is released');
  const history = await readHistory();
  assert.equal(history.at(-1)?.summary.result, 'cancelled');

  await r.press(KEYS.esc);
  await r.waitFor(/filter: bulk/);
  await r.unmount();
});

test('a copy that finishes shows its summary; H lists both sessions; Enter shows a log (80x24)', async () => {
  const size = {columns: 80, rows: 24};
  const r = await openTui(size);
  await r.waitFor(/web01/);
  await r.press('/web', KEYS.enter, 'c');
  await r.waitFor(/1 restore point to copy/);
  // The copy runs detached: no restore point is committed by code in the TUI's process.
  const commit = RepositoryWriter.prototype.commitPoint;
  let commitsOnUiThread = 0;
  RepositoryWriter.prototype.commitPoint = function (...args) {
    commitsOnUiThread++;
    return commit.apply(this, args);
  };
  let frame: string;
  try {
    await r.press(KEYS.enter);
    frame = await r.waitFor(/Esc leaves/);
  } finally {
    RepositoryWriter.prototype.commitPoint = commit;
  }
  assert.equal(commitsOnUiThread, 0, 'the copy ran outside the TUI');
  assert.match(frame, /✓ Copy finished: 1 copied, 0 skipped, 0 failed/);
  assert.match(frame, /✓ web01 11-22 09:30\s+copied/);
  assert.match(frame, /H history {2}Esc back/);
  assertFits(frame, size);
  await r.press('H');
  frame = await r.waitFor(/2 past copy sessions/);
  assert.match(frame, /When\s+Result\s+From → to\s+Points\s+Duration\s+Sent/);
  assert.match(frame, /›\s+\S+( ago| now)?\s+success\s+demo-primary → demo…\s+1\s/);
  assert.match(frame, /cancelled\s+demo-primary → demo…\s+0\s/);
  assertFits(frame, size);
  await r.press(KEYS.enter);
  frame = await r.waitFor(/Copy session/);
  assert.match(frame, /demo-primary → demo-secondary/);
  assert.match(frame, /Copy finished: 1 copied/);
  assert.match(frame, /Session log/);
  assert.match(frame, /Copied web01 point/);
  await r.press(KEYS.esc, KEYS.down, KEYS.enter);
  frame = await r.waitFor(/Copy cancelled/);
  assert.match(frame, /Stop asked: cancelling/);
  await r.unmount();
});
