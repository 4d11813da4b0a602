// The scheduler's decisions, with the time given to each look (no clock to
// wait for) and real runs (the built CLI, detached): a failed periodic run
// is retried 3 times, 30 s apart, then the job waits for its next time
// (--every counts from the last run's start, a retry's included); a
// disabled job starts nothing.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {demoWorkspace, type Workspace} from '../../helpers/demo-cache.js';
import {killRuns, waitFor} from '../../helpers/jobs.js';

let ws: Workspace;

before(async () => {
  ws = await demoWorkspace('job-scheduler');
  process.env.XDG_CONFIG_HOME = ws.env.XDG_CONFIG_HOME;
  process.env.XDG_DATA_HOME = ws.env.XDG_DATA_HOME;
  const r = await ws.run([
    'job',
    'add',
    'flaky',
    '--from',
    'demo-primary',
    '--to',
    'demo-secondary',
    '--mode',
    'periodic',
    '--every',
    '1d',
    '--machine',
    'alice-laptop',
    '--pre',
    'echo not today; exit 1',
  ]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  if (ws) killRuns(ws);
  await ws?.cleanup();
});

test('a failed periodic run is retried 3 times, 30 s apart, then waits for its schedule', async () => {
  const {JobService} = await import('../../../source/engine/jobs/service.js');
  const {liveRuns} = await import('../../../source/engine/jobs/runs.js');
  const {readHistory} = await import('../../../source/engine/jobs/history.js');
  const events: {type: string; trigger?: string; result?: string}[] = [];
  const service = new JobService({
    signal: new AbortController().signal,
    runner: [process.execPath, ws.cli],
    onEvent: e => events.push(e),
  });
  const t0 = Date.now();
  const at = (seconds: number) => new Date(t0 + seconds * 1000);
  const starts = () => events.filter(e => e.type === 'run.start').map(e => e.trigger);
  const runEnds = async () => waitFor('the run to end', () => liveRuns().length === 0, 60_000, 100);

  await service.tick(at(0));
  assert.deepEqual(starts(), ['schedule']);
  await runEnds();
  let clock = 1;
  for (let retry = 1; retry <= 3; retry++) {
    await service.tick(at(clock)); // sees the failure
    await service.tick(at(clock + 29));
    assert.equal(starts().length, retry, `no retry before 30 s (retry ${retry})`);
    await service.tick(at(clock + 30));
    assert.equal(starts().at(-1), 'retry', `retry ${retry} after 30 s: ${JSON.stringify(events)}`);
    await runEnds();
    clock += 31;
  }
  await service.tick(at(clock)); // the third retry failed too
  await service.tick(at(clock + 3600));
  assert.equal(starts().length, 4, 'no fourth retry');
  assert.equal(events.filter(e => e.type === 'run.end' && e.result === 'failed').length, 4);
  // --every counts from the last run's start: the last retry's, at clock - 1.
  await service.tick(at(clock - 2 + 86_400));
  assert.equal(starts().length, 4, 'not before its time');
  await service.tick(at(clock - 1 + 86_400));
  assert.deepEqual(starts(), ['schedule', 'retry', 'retry', 'retry', 'schedule'], 'its next time comes');
  await runEnds();
  const sessions = (await readHistory()).filter(s => s.job === 'flaky');
  assert.deepEqual(
    sessions.map(s => s.trigger),
    ['schedule', 'retry', 'retry', 'retry', 'schedule'],
  );
  assert.ok(sessions.every(s => s.summary.result === 'failed'));
});

test('a disabled job starts nothing', async () => {
  const {JobService} = await import('../../../source/engine/jobs/service.js');
  assert.equal((await ws.run(['job', 'disable', 'flaky'])).code, 0);
  const events: {type: string}[] = [];
  const service = new JobService({
    signal: new AbortController().signal,
    runner: [process.execPath, ws.cli],
    onEvent: e => events.push(e),
  });
  await service.tick(new Date(Date.now() + 10 * 86_400_000));
  assert.deepEqual(events, []);
});
