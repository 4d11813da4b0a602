// Following a run's log when the writer ends between two reads: the lines it
// wrote after the follower's last read that found nothing (its copy's last
// events, its run.end) are still read, not dropped because the writer is
// gone by the time the follower asks. The TUI's viewer lost a finished
// copy's last point this way (its row stayed "copying").
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {followRunLog, RunLogWriter, type StampedEntry} from '../../../source/engine/jobs/run-log.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'backhaul-runlog-'));
  process.env.XDG_DATA_HOME = dir;
});
after(async () => rm(dir, {recursive: true, force: true}));

test("the writer's last lines, written just before it is found gone, are still read", async () => {
  const log = new RunLogWriter('20261203-120000-abcd');
  log.write({type: 'run.log', level: 'info', text: 'first'});
  let asked = 0;
  const stillRunning = () => {
    asked++;
    if (asked === 1) {
      // The writer finishes right after the follower's read found nothing new.
      log.write({type: 'run.log', level: 'info', text: 'last'});
      log.write({type: 'run.end', result: 'success', exitCode: 0});
    }
    return false;
  };
  const seen: StampedEntry[] = [];
  for await (const e of followRunLog('20261203-120000-abcd', {stillRunning, pollMs: 10})) seen.push(e);
  assert.deepEqual(
    seen.map(e => (e.type === 'run.log' ? e.text : e.type)),
    ['first', 'last', 'run.end'],
  );
});

test('a writer gone without an end: the follower reads what is there and stops', async () => {
  const log = new RunLogWriter('20261203-120001-abcd');
  log.write({type: 'run.log', level: 'info', text: 'only'});
  const seen: StampedEntry[] = [];
  for await (const e of followRunLog('20261203-120001-abcd', {stillRunning: () => false, pollMs: 10})) seen.push(e);
  assert.deepEqual(
    seen.map(e => e.type),
    ['run.log'],
  );
});
