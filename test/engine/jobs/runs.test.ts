// Run files: a run whose process is gone is recorded as interrupted once,
// however many look; a job's lock held by a live process refuses a second
// start; finished runs' files are pruned after their time, live ones never.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync, utimesSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

let home: string;
before(() => {
  home = mkdtempSync(join(tmpdir(), 'bh-runs-'));
  process.env.XDG_DATA_HOME = join(home, 'data');
  process.env.XDG_CONFIG_HOME = join(home, 'config');
});
after(() => rmSync(home, {recursive: true, force: true}));

const deadPid = async () => {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise(r => child.on('close', r));
  return child.pid!;
};

test('a dead run is reaped once: interrupted in the history, its log ended, its job free', async () => {
  const runs = await import('../../../source/engine/jobs/runs.js');
  const {RunLogWriter, readRunLog, runEnd} = await import('../../../source/engine/jobs/run-log.js');
  const {readHistory} = await import('../../../source/engine/jobs/history.js');
  const runId = runs.newRunId();
  const pid = await deadPid();
  await runs.lockJob('j', runId, process.pid);
  runs.handOverJobLock('j', runId, pid);
  runs.registerRun({
    runId,
    job: 'j',
    kind: 'copy',
    pid,
    startedAt: new Date().toISOString(),
    trigger: 'manual',
    source: 's',
    target: 't',
  });
  new RunLogWriter(runId).write({
    type: 'run.start',
    runId,
    kind: 'copy',
    job: 'j',
    trigger: 'manual',
    pid,
    source: 's',
    target: 't',
  });
  new RunLogWriter(runId).write({
    type: 'copy',
    event: {
      type: 'copy.stats',
      totalTransfer: 10,
      stats: {
        processedBytes: 7,
        readBytes: 6,
        transferredBytes: 5,
        chunksTransferred: 1,
        seconds: 1,
        rate: 7,
        busy: {'source read': 0, hashing: 0, 'target write': 0, throttling: 0},
        bottleneck: 'source read',
      },
    },
  });
  await Promise.all([runs.reapRuns(), runs.reapRuns(), runs.reapRuns()]);
  await runs.reapRuns();
  const sessions = (await readHistory()).filter(s => s.runId === runId);
  assert.equal(sessions.length, 1, 'recorded once');
  assert.equal(sessions[0]!.summary.result, 'interrupted');
  assert.equal(sessions[0]!.summary.transferredBytes, 5, 'what the log said had landed');
  assert.equal(runEnd((await readRunLog(runId))!)?.result, 'interrupted');
  assert.deepEqual(runs.liveRuns(), []);
  await runs.lockJob('j', runs.newRunId(), process.pid); // free again
});

test('a live lock refuses a second start, naming the run', async () => {
  const runs = await import('../../../source/engine/jobs/runs.js');
  const runId = runs.newRunId();
  await runs.lockJob('busy', runId, process.pid);
  await assert.rejects(
    runs.lockJob('busy', runs.newRunId(), process.pid),
    (e: any) => e.code === 'locked' && e.message.includes(runId),
  );
  runs.unlockJob('busy', runId);
  await runs.lockJob('busy', runs.newRunId(), process.pid);
});

test("finished runs' files are pruned after their time; live ones and recent ones stay", async () => {
  const runs = await import('../../../source/engine/jobs/runs.js');
  const {RunLogWriter, runLogFile} = await import('../../../source/engine/jobs/run-log.js');
  const old = runs.newRunId(new Date(2026, 0, 1));
  const recent = runs.newRunId();
  const live = runs.newRunId(new Date(2026, 0, 2));
  for (const id of [old, recent, live]) new RunLogWriter(id).write({type: 'run.phase', phase: 'starting'});
  runs.registerRun({
    runId: live,
    kind: 'copy',
    pid: process.pid,
    startedAt: '',
    trigger: 'manual',
    source: 's',
    target: 't',
  });
  const longAgo = new Date(Date.now() - 40 * 86_400_000);
  utimesSync(runLogFile(old), longAgo, longAgo);
  utimesSync(runLogFile(live), longAgo, longAgo);
  assert.equal(runs.pruneRunFiles(), 1);
  assert.ok(!existsSync(runLogFile(old)));
  assert.ok(existsSync(runLogFile(recent)));
  assert.ok(existsSync(runLogFile(live)));
  runs.unregisterRun({runId: live});
});

test('a stop asked before the run can take a signal is written down, not sent: the starting process is not killed', async () => {
  const runs = await import('../../../source/engine/jobs/runs.js');
  const {RunLogWriter} = await import('../../../source/engine/jobs/run-log.js');
  // A process with no SIGTERM handler stands for a run still loading: a signal now would kill it.
  const child = spawn('sleep', ['30']);
  const exited = new Promise<NodeJS.Signals | null>(r => child.on('exit', (_code, signal) => r(signal)));
  const run = {
    runId: runs.newRunId(),
    kind: 'copy' as const,
    pid: child.pid!,
    startedAt: new Date().toISOString(),
    trigger: 'manual',
    source: 's',
    target: 't',
  };
  runs.registerRun(run);
  try {
    assert.equal(runs.stopRequested(run.runId), false);
    runs.stopRun(run);
    assert.equal(runs.stopRequested(run.runId), true, 'the request waits for the run to read it');
    await new Promise(r => setTimeout(r, 200));
    assert.equal(child.exitCode, null);
    assert.equal(child.signalCode, null, 'no signal reached a process still starting');
    // Once the run's log has begun, its handler is there: the stop is also sent as SIGTERM.
    new RunLogWriter(run.runId).write({
      type: 'run.start',
      runId: run.runId,
      kind: 'copy',
      trigger: 'manual',
      pid: run.pid,
      source: 's',
      target: 't',
    });
    runs.stopRun(run);
    assert.equal(await exited, 'SIGTERM');
    runs.unregisterRun(run);
    assert.equal(runs.stopRequested(run.runId), false, 'the request goes with the run');
  } finally {
    child.kill('SIGKILL');
  }
});
