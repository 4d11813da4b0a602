// The Jobs screen on a real world (real repositories, real detached runs of
// the built CLI): every job with its state, mode, last result and RPO — a
// missed RPO stands out, in its column and said in full under the list —
// and its keys: J opens it from the backups screen (whose footer lists it),
// d disables/enables, c "Sync now" asks all or latest and starts a detached
// run, Enter attaches to it (the copy progress screen, fed from its run
// log) and shows it finish, s lists the job's sessions, x on an idle job
// says it is not running. The job form: engine validation errors shown at
// their field with nothing saved, a saved job appearing in the list, Esc
// leaving without saving. Attach: the bars of a run follow its run log as
// it grows.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {addJob, listJobs, withDefaults} from '../../../source/engine/jobs/index.js';
import {RunLogWriter} from '../../../source/engine/jobs/run-log.js';
import {newRunId, registerRun, unregisterRun} from '../../../source/engine/jobs/runs.js';
import {processStamp} from '../../../source/engine/util/process.js';
import {KEYS} from '../helpers.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';

let world: World;
before(async () => {
  world = await makeWorld();
  const at = new Date('2026-12-01T00:00:00Z');
  await addJob(
    withDefaults(
      {
        name: 'nightly',
        source: 'demo-primary',
        target: 'demo-secondary',
        mode: 'periodic',
        every: '1d',
        rpo: '1h',
        machines: ['web01'],
      },
      at,
    ),
  );
  await addJob(
    withDefaults({name: 'paused', source: 'demo-primary', target: 'spare', mode: 'immediate', enabled: false}, at),
  );
});
after(async () => world?.cleanup());

const row = (frame: string, name: string) => frame.split('\n').find(l => new RegExp(`^.\\s*${name}\\s`).test(l)) ?? '';

test('J lists the jobs with state, mode and RPO; d, c (Sync now), Enter (attach), s and x', async () => {
  const size = {columns: 120, rows: 40};
  const r = await openTui(size);
  let frame = await r.waitFor(/web01/);
  assert.match(frame, /J jobs/, 'the backups footer lists the Jobs screen');
  await r.press('J');
  frame = await r.waitFor(f => /2 jobs, 0 running/.test(f) && /! over 1h/.test(f));
  assert.match(frame, /Job\s+State\s+Mode\s+Last result\s+Next run\s+RPO/);
  assert.match(row(frame, 'nightly'), /idle\s+periodic\s+–\s+\d\d-\d\d \d\d:\d\d\s+! over 1h/);
  assert.match(row(frame, 'paused'), /disabled\s+immediate\s+–\s+–\s+–/);
  assertFits(frame, {columns: 120, rows: 40});
  assert.match(
    frame,
    /! nightly: web01's newest point \(2026-11-22 09:30\) is not on the target after [^(]+ \(RPO 1h\)\./,
    'the RPO warning is said in full',
  );
  assertFits(frame, size);

  await r.press('x');
  await r.waitFor(/nightly is not running\./);
  await r.press(KEYS.down, 'd');
  frame = await r.waitFor(f => /paused is enabled\./.test(f) && /idle\s+immediate/.test(row(f, 'paused')));
  assert.equal(listJobs().find(j => j.name === 'paused')?.enabled, true);
  await r.press('d');
  await r.waitFor(f => /paused is disabled\./.test(f) && /disabled/.test(row(f, 'paused')));

  await r.press(KEYS.up, 'c');
  frame = await r.waitFor(/Sync now: nightly/);
  assert.match(frame, /all, or latest\?/);
  await r.press(KEYS.enter);
  frame = await r.waitFor(f => /Copy progress/.test(f) && /Esc leaves/.test(f));
  assert.match(frame, /job nightly → demo-secondary · run \d{8}-\d{6}/);
  assert.match(frame, /✓ Copy finished: 1 copied, 0 skipped, 0 failed/);
  assert.match(frame, /web01 \S+\s+copied/);
  await r.press(KEYS.esc);
  frame = await r.waitFor(f => /success/.test(row(f, 'nightly')) && /0 running/.test(f));
  await r.press('s');
  frame = await r.waitFor(/1 past nightly session/);
  assert.match(frame, /success\s+demo-primary → demo-secondary\s+1\s/);
  await r.unmount();
});

test('the job form: an engine error at its field saves nothing; a good job is saved and listed; Esc saves nothing (80x24)', async () => {
  const size = {columns: 80, rows: 24};
  const r = await openTui(size);
  await r.waitFor(/web01/);
  await r.press('J');
  await r.waitFor(/2 jobs/);
  await r.press('a');
  let frame = await r.waitFor(/New job · Enter checks and saves/);
  assertFits(frame, size);
  await r.press('weekly', KEYS.down, 'demo-primary', KEYS.down, 'demo-secondary');
  for (let i = 0; i < 9; i++) await r.press(KEYS.down);
  await r.press('abc', KEYS.enter);
  frame = await r.waitFor(/✗ --rpo must be a duration/);
  const lines = frame.split('\n');
  const at = lines.findIndex(l => /✗ --rpo/.test(l));
  assert.match(lines[at - 1]!, /› RPO\s+abc/, 'the error is shown under its field');
  assert.match(frame, /Write a number with a unit/, "with the engine's hint");
  assertFits(frame, size);
  assert.equal(
    listJobs().some(j => j.name === 'weekly'),
    false,
    'nothing was saved',
  );

  await r.press(
    KEYS.backspace,
    KEYS.backspace,
    KEYS.backspace,
    '24h',
    KEYS.up,
    KEYS.up,
    KEYS.up,
    KEYS.up,
    KEYS.backspace,
    KEYS.backspace,
    '7d',
    KEYS.enter,
  );
  frame = await r.waitFor(f => /Saved job weekly\./.test(f) && /3 jobs/.test(f));
  assert.match(row(frame, 'weekly'), /idle\s+periodic/);
  assert.match(frame, /Job\s+State\s+Mode\s+Last result\s+Next run\s+RPO/, 'every column fits at 80 columns');
  assertFits(frame, size);
  const weekly = listJobs().find(j => j.name === 'weekly')!;
  assert.deepEqual(
    {
      source: weekly.source,
      target: weekly.target,
      every: weekly.every,
      rpo: weekly.rpo,
      mode: weekly.mode,
      enabled: weekly.enabled,
    },
    {source: 'demo-primary', target: 'demo-secondary', every: '7d', rpo: '24h', mode: 'periodic', enabled: true},
  );

  await r.press('a', 'qJx', KEYS.esc);
  await r.waitFor(/No job was saved\./);
  assert.equal(listJobs().length, 3);
  await r.unmount();
});

test("attach: the progress screen draws a run's bars from its run log as it grows", async () => {
  const runId = newRunId();
  const log = new RunLogWriter(runId);
  // A run this process stands for (alive while the test runs); the log is written by hand.
  registerRun({
    runId,
    kind: 'copy',
    pid: process.pid,
    stamp: processStamp(process.pid),
    startedAt: new Date().toISOString(),
    trigger: 'manual',
    source: 'demo-primary',
    target: 'demo-secondary',
  });
  try {
    log.write({
      type: 'run.start',
      runId,
      kind: 'copy',
      trigger: 'manual',
      pid: process.pid,
      source: 'demo-primary',
      target: 'demo-secondary',
    });
    log.write({type: 'run.phase', phase: 'copying'});
    log.write({
      type: 'copy',
      event: {
        type: 'copy.start',
        plan: {
          pointsToCopy: 1,
          pointsOnTarget: 0,
          logicalBytes: 1000,
          transferBytes: 1000,
          storeBytes: 1000,
          backups: [],
        },
      },
    });
    const disk = (done: number) => ({
      type: 'copy' as const,
      event: {
        type: 'copy.disk' as const,
        backupId: 'b1',
        machine: 'db01',
        pointId: 'p1',
        node: 'db01',
        disk: 'system',
        bytesDone: done,
        bytesTotal: 1000,
        chunksDone: done / 100,
        chunksTotal: 10,
      },
    });
    log.write(disk(200));
    const size = {columns: 100, rows: 30};
    const r = await openTui(size);
    await r.waitFor(/web01/);
    await r.press('J');
    let frame = await r.waitFor(/copy → demo-secondary\s+running/);
    await r.press('G', KEYS.enter);
    frame = await r.waitFor(f => /db01\/system/.test(f) && /20%/.test(f));
    assert.match(frame, /Copy of 1 restore point\(s\) to demo-second/);
    const busy = {'source read': 1, hashing: 0, 'target write': 0, throttling: 0};
    log.write(disk(700));
    log.write({
      type: 'copy',
      event: {
        type: 'copy.stats',
        totalTransfer: 1000,
        stats: {
          processedBytes: 700,
          readBytes: 700,
          transferredBytes: 700,
          chunksTransferred: 7,
          seconds: 2,
          rate: 350,
          busy,
          bottleneck: 'source read',
        },
      },
    });
    frame = await r.waitFor(f => /db01\/system.*70%/.test(f) && /overall.*70%/.test(f));
    assert.match(frame, /sent 700 B/);
    log.write({type: 'run.log', level: 'info', text: 'The copy window is closed: waiting.'});
    log.write({type: 'run.phase', phase: 'waiting for window', until: '2026-12-04T06:00:00.000Z'});
    frame = await r.waitFor(/Waiting for the copy window to open… \(until 2026-12-04 06:00 UTC\)/);
    await r.press('q');
    frame = await r.waitFor(/The copy keeps running; J to find it\./);
    assert.match(frame, /Jobs/);
    assert.equal(r.quits(), 0, 'q left the viewer, not the TUI');
    await r.unmount();
  } finally {
    unregisterRun({runId});
  }
});
