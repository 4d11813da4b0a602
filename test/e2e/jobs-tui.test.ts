// The TUI and detached runs, end to end in tmux with the built program on the
// demo (220 MB): a copy started from the Copy plan screen (every backup,
// every point) runs detached — the tmux session is killed while it copies,
// and the run goes on to the end: the history records it as a success and
// the target verifies. Then a second run (a saved job, throttled so it is
// slow) started from the CLI: a new TUI opens the Jobs screen with J, shows
// the job running, Enter attaches to it and its bars move; q leaves the
// viewer saying the copy keeps running, and the run is still alive after.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {demoWorkspace, type Workspace} from '../helpers/demo-cache.js';
import {jobStatus, killRuns, runsDir, waitFor} from '../helpers/jobs.js';
import {KEY, tmuxAvailable, TmuxSession, withTmux} from '../helpers/tmux.js';

const skip = tmuxAvailable() ? false : 'tmux is not installed (.ci/run installs it)';

/** The lines of a frame that say how far the copy is: the bars and the byte counters. */
const progressLines = (s: string) =>
  s
    .split('\n')
    .filter(l => /[█░]{3,}|processed .* sent/.test(l))
    .join('\n');

function historyRecord(ws: Workspace, runId: string): any {
  try {
    return readFileSync(join(ws.dir, 'data', 'backhaul', 'history.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map(l => JSON.parse(l))
      .find(r => r.runId === runId);
  } catch {
    return undefined;
  }
}

function runAlive(ws: Workspace, runId: string): boolean {
  try {
    const run = JSON.parse(readFileSync(join(runsDir(ws), `${runId}.run.json`), 'utf8'));
    process.kill(run.pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('detached copies from the TUI (tmux)', {skip}, () => {
  let ws: Workspace;
  before(async () => {
    ws = await demoWorkspace('e2e-jobs-tui');
  });
  after(async () => {
    if (ws) killRuns(ws);
    await ws?.cleanup();
  });
  const xdg = () => ({
    XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME,
    XDG_DATA_HOME: ws.env.XDG_DATA_HOME,
    XDG_CACHE_HOME: ws.env.XDG_CACHE_HOME,
    NO_COLOR: '1',
  });

  test('a copy started on the plan screen survives the killed tmux session and finishes; the target verifies', async () => {
    const t = await TmuxSession.start({
      command: [process.execPath, ws.cli],
      columns: 120,
      rows: 40,
      env: xdg(),
      cwd: ws.dir,
    });
    let runId: string;
    try {
      await t.waitFor(s => /Backups/.test(s) && /sql-cluster/.test(s), {timeoutMs: 30_000});
      await t.press('a', 'c');
      await t.waitFor(
        s => /Target\s+demo-secondary/.test(s) && /Enter starts the copy/.test(s) && !/Planning the copy/.test(s),
        {timeoutMs: 60_000},
      );
      await t.press('p');
      await t.waitFor(
        s =>
          /every restore point of each backup/.test(s) &&
          /Enter starts the copy/.test(s) &&
          !/Planning the copy/.test(s),
        {timeoutMs: 60_000},
      );
      await t.press(KEY.enter);
      const screen = await t.waitFor(
        s => /Copy progress/.test(s) && /run \d{8}-\d{6}-[0-9a-f]{4}/.test(s) && /sent [1-9]/.test(s),
        {timeoutMs: 60_000},
      );
      runId = /run (\d{8}-\d{6}-[0-9a-f]{4})/.exec(screen)![1]!;
      assert.doesNotMatch(screen, /Copy finished/, 'still copying when the terminal goes');
    } finally {
      await t.kill(); // what a dropped SSH connection does to the terminal
    }
    const killedAt = Date.now();
    const record = await waitFor("the run's history record", () => historyRecord(ws, runId), 600_000, 500);
    assert.equal(record.summary.result, 'success', JSON.stringify(record.summary));
    assert.ok(
      Date.parse(record.summary.endedAt) > killedAt,
      `the run ended after the terminal was killed (${record.summary.endedAt})`,
    );
    assert.equal(runAlive(ws, runId), false, 'and then its process ended');
    assert.ok(record.summary.pointsCopied > 1, 'it copied every point');
    const verify = await ws.run(['verify', '--repo', 'demo-secondary']);
    assert.equal(verify.code, 0, verify.stderr);
  });

  test('a new TUI finds a running job with J, attaches with Enter and shows its bars moving; q leaves the viewer, not the run', async () => {
    assert.equal((await ws.run(['repo', 'add', 't-slow', join(ws.dir, 't-slow')])).code, 0);
    const added = await ws.run([
      'job',
      'add',
      'slow',
      '--from',
      'demo-primary',
      '--to',
      't-slow',
      '--mode',
      'periodic',
      '--every',
      '1d',
      '--points',
      'all',
      '--throttle',
      '4',
    ]);
    assert.equal(added.code, 0, added.stderr);
    const started = await ws.run(['job', 'run', 'slow', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const runId: string = JSON.parse(started.stdout).runId;
    try {
      await withTmux(
        {command: [process.execPath, ws.cli], columns: 100, rows: 30, env: xdg(), cwd: ws.dir},
        async t => {
          await t.waitFor(s => /Backups/.test(s) && /J jobs/.test(s), {timeoutMs: 30_000});
          await t.press('J');
          await t.waitFor(s => /slow\s+running\s+periodic/.test(s), {timeoutMs: 30_000});
          await t.press(KEY.enter);
          const frames = new Set<string>();
          await t.waitFor(
            s => {
              if (/Copy progress/.test(s) && new RegExp(`run ${runId}`).test(s)) frames.add(progressLines(s));
              return frames.size >= 3;
            },
            {timeoutMs: 90_000, intervalMs: 100},
          );
          assert.ok(frames.size >= 3, 'the bars moved');
          await t.press('q');
          await t.waitFor(/The copy keeps running; J to find it\./);
          await t.press('q');
          assert.equal((await t.waitForExit()).code, 0);
        },
      );
      const status = await jobStatus(ws, 'slow');
      assert.equal(status.state, 'running', 'the run goes on after the viewer and the TUI are gone');
      assert.equal(status.run.runId, runId);
    } finally {
      await ws.run(['job', 'stop', 'slow']);
    }
  });
});
