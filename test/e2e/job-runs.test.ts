// Detached runs of saved jobs, end to end with the real CLI on the demo
// (220 MB to copy): a run started with `job run` is its own process; the
// bandwidth limit holds within 10 %; `attach` from another process shows the
// progress moving and exits with the run's code; kill -9 leaves an
// `interrupted` history entry, a target that verifies, and a next run that
// does not send again what landed; a run started from a tmux session
// survives the session's death; `job stop` cancels; the per-job lock refuses
// a second start.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {demoWorkspace, type Workspace} from '../helpers/demo-cache.js';
import {
  history,
  jobStatus,
  killRuns,
  lastStats,
  runLog,
  sleep,
  waitFor,
  addIncompressibleBackup,
} from '../helpers/jobs.js';
import {withTmux} from '../helpers/tmux.js';

const MB = 1_000_000;

describe('backhaul job run / attach / status / stop: detached runs', () => {
  let ws: Workspace;

  before(async () => {
    ws = await demoWorkspace('job-runs');
    await addIncompressibleBackup(ws, 104);
  });
  after(async () => {
    if (ws) killRuns(ws);
    await ws?.cleanup();
  });

  const addTarget = async (name: string) =>
    assert.equal((await ws.run(['repo', 'add', name, join(ws.dir, name)])).code, 0);
  const addJob = async (name: string, target: string, extra: string[]) => {
    const r = await ws.run([
      'job',
      'add',
      name,
      '--from',
      'demo-primary',
      '--to',
      target,
      '--mode',
      'periodic',
      '--every',
      '1d',
      '--points',
      'all',
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
  };
  const xdg = () => ({
    XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME,
    XDG_DATA_HOME: ws.env.XDG_DATA_HOME,
    XDG_CACHE_HOME: ws.env.XDG_CACHE_HOME,
  });
  /** The command in a login-like shell that stays, as a terminal does (so it is the terminal's death that is tested). */
  const inShell = (...args: string[]) => [
    '/bin/sh',
    '-c',
    `sleep 0.3; ${[process.execPath, ws.cli, ...args].map(a => `'${a}'`).join(' ')}; sleep 600`,
  ];
  const startRun = async (name: string): Promise<string> => {
    const r = await ws.run(['job', 'run', name, '--json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout).runId;
  };

  test("the bandwidth limit holds within 10 % over 200 MB; attach shows it moving and exits with the run's code", async () => {
    await addTarget('t-throttle');
    await addJob('throttled', 't-throttle', ['--throttle', '20']);
    const runId = await startRun('throttled');
    const status = await jobStatus(ws, 'throttled');
    assert.equal(status.state, 'running');
    assert.equal(status.run.runId, runId);
    const viewer = await ws.run(['attach', runId], {timeoutMs: 120_000});
    assert.equal(viewer.code, 0, viewer.stderr);
    assert.match(viewer.stdout, /ended: success \(exit 0\)/);
    const percents = [...viewer.stderr.matchAll(/^overall: (\d+)%/gm)].map(m => Number(m[1]));
    assert.ok(new Set(percents).size >= 3, `the overall line moved: ${percents.join(' ')}`);
    // The rate from the run's own stats, over the middle of the copy (the first and last packs aside).
    const stats = runLog(ws, runId)
      .filter(e => e.type === 'copy' && e.event.type === 'copy.stats')
      .map(e => ({t: e.t, bytes: e.event.stats.transferredBytes}));
    const total = stats.at(-1)!.bytes;
    assert.ok(total >= 200 * MB, `a copy of at least 200 MB (${total})`);
    const from = stats.find(s => s.bytes >= total * 0.1)!;
    const to = [...stats].reverse().find(s => s.bytes <= total * 0.95)!;
    const rate = (to.bytes - from.bytes) / ((to.t - from.t) / 1000);
    assert.ok(Math.abs(rate - 20 * MB) <= 2 * MB, `rate ${(rate / MB).toFixed(2)} MB/s within 10 % of 20 MB/s`);
    const [session] = (await history(ws, 'throttled')).slice(-1);
    assert.equal(session.result ?? session.summary.result, 'success');
    assert.equal(session.runId, runId);
    assert.equal(session.summary.bottleneck, 'throttling');
    assert.ok(session.backups.length > 0, 'per-backup results');
    assert.equal((await ws.run(['verify', '--repo', 't-throttle'])).code, 0);
  });

  test('a job already running is not started twice; job stop cancels it cleanly', async () => {
    await addTarget('t-stop');
    await addJob('stoppable', 't-stop', ['--throttle', '10']);
    const runId = await startRun('stoppable');
    const again = await ws.run(['job', 'run', 'stoppable']);
    assert.equal(again.code, 11, again.stderr);
    assert.match(again.stderr, new RegExp(`already running \\(run ${runId}`));
    await waitFor('bytes moving', () => (lastStats(ws, runId)?.transferred ?? 0) > 5 * MB);
    const stop = await ws.run(['job', 'stop', 'stoppable']);
    assert.equal(stop.code, 0, stop.stderr);
    const viewer = await ws.run(['attach', runId]);
    assert.equal(viewer.code, 130, viewer.stdout + viewer.stderr);
    const [session] = (await history(ws, 'stoppable')).slice(-1);
    assert.equal(session.summary.result, 'cancelled');
    assert.equal((await jobStatus(ws, 'stoppable')).state, 'idle');
    assert.equal((await ws.run(['verify', '--repo', 't-stop'])).code, 0);
    const notRunning = await ws.run(['job', 'stop', 'stoppable']);
    assert.equal(notRunning.code, 13);
  });

  test('a job stopped the moment it starts ends cancelled, not interrupted', async () => {
    await addTarget('t-stop-early');
    await addJob('stopped-early', 't-stop-early', ['--throttle', '10']);
    const runId = await startRun('stopped-early');
    // The run's process is still loading here: a bare signal would kill it before its handler exists.
    const stop = await ws.run(['job', 'stop', 'stopped-early']);
    assert.equal(stop.code, 0, stop.stderr);
    const viewer = await ws.run(['attach', runId]);
    assert.equal(viewer.code, 130, viewer.stdout + viewer.stderr);
    assert.match(JSON.stringify(runLog(ws, runId)), /Stop asked: cancelling/);
    const [session] = (await history(ws, 'stopped-early')).slice(-1);
    assert.equal(session.summary.result, 'cancelled');
    assert.equal((await jobStatus(ws, 'stopped-early')).state, 'idle');
  });

  test('kill -9: history says interrupted, the target verifies, the next run resumes without re-sending what landed', async () => {
    await addTarget('t-kill');
    await addJob('killed', 't-kill', ['--throttle', '20']);
    const runId = await startRun('killed');
    await waitFor('80 MB landed', () => (lastStats(ws, runId)?.transferred ?? 0) > 80 * MB, 60_000);
    const pid = (await jobStatus(ws, 'killed')).run.pid;
    process.kill(pid, 'SIGKILL');
    await waitFor('the process gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const landed = lastStats(ws, runId)!.transferred;
    const status = await jobStatus(ws, 'killed');
    assert.equal(status.state, 'idle');
    assert.equal(status.last.result, 'interrupted');
    const first = (await history(ws, 'killed')).at(-1);
    assert.equal(first.summary.result, 'interrupted');
    assert.equal(first.runId, runId);
    assert.ok(first.summary.transferredBytes > 0);
    assert.equal((await ws.run(['verify', '--repo', 't-kill'])).code, 0, 'the target verifies');
    await ws.run(['job', 'edit', 'killed', '--throttle', 'off']);
    const second = await startRun('killed');
    const viewer = await ws.run(['attach', second]);
    assert.equal(viewer.code, 0, viewer.stderr);
    const next = (await history(ws, 'killed')).at(-1);
    assert.equal(next.summary.result, 'success');
    const total = 220 * MB;
    assert.ok(
      next.summary.transferredBytes < total - landed + 40 * MB,
      `the second run sent ${next.summary.transferredBytes} B, not again the ${landed} B that landed`,
    );
    assert.equal((await ws.run(['verify', '--repo', 't-kill'])).code, 0);
  });

  test('a run started from a terminal survives the terminal: kill the tmux session, the run finishes', async () => {
    await addTarget('t-tmux');
    await addJob('survivor', 't-tmux', ['--throttle', '40']);
    let runId = '';
    await withTmux({command: inShell('job', 'run', 'survivor'), env: xdg()}, async tmux => {
      const screen = await tmux.waitFor(/Started run (\S+)/, {timeoutMs: 20_000});
      runId = /Started run (\S+)/.exec(screen)![1]!;
      await tmux.kill();
    });
    assert.equal((await jobStatus(ws, 'survivor')).state, 'running', 'still running once its terminal is gone');
    await sleep(1000);
    await waitFor('the run to end', async () => (await jobStatus(ws, 'survivor')).state === 'idle', 120_000, 500);
    const last = (await history(ws, 'survivor')).at(-1);
    assert.equal(last.runId, runId);
    assert.equal(last.summary.result, 'success');
    assert.equal((await ws.run(['verify', '--repo', 't-tmux'])).code, 0);
  });

  test('attach in a terminal shows the bars; Ctrl-C leaves the viewer and the run goes on', async () => {
    await addTarget('t-viewer');
    await addJob('watched', 't-viewer', ['--throttle', '20']);
    const runId = await startRun('watched');
    // The shell ignores the Ctrl-C (as an interactive one does) and says how the viewer exited.
    const viewer = [
      '/bin/sh',
      '-c',
      `trap '' INT; '${process.execPath}' '${ws.cli}' attach watched; echo "viewer exited $?"; sleep 600`,
    ];
    await withTmux({command: viewer, env: xdg(), columns: 100, rows: 30}, async tmux => {
      await tmux.waitFor(/overall\s+\|[█░]+\|\s+\d+%/, {timeoutMs: 20_000});
      await tmux.press('C-c');
      await tmux.waitFor(`Left the viewer; run ${runId} goes on`, {timeoutMs: 10_000});
      await tmux.waitFor('viewer exited 0', {timeoutMs: 10_000});
    });
    const status = await jobStatus(ws, 'watched');
    assert.equal(status.state, 'running', 'the run goes on');
    assert.equal(status.run.runId, runId);
    assert.equal((await ws.run(['job', 'stop', 'watched'])).code, 0);
    assert.equal((await ws.run(['attach', runId])).code, 130, 'a stopped run ends cancelled');
  });

  test('copy --detach from a tmux session: the copy outlives the session and is in the history', async () => {
    await addTarget('t-detach');
    let runId = '';
    await withTmux(
      {
        command: inShell('copy', '--from', 'demo-primary', '--to', 't-detach', '--points', 'all', '--detach'),
        env: xdg(),
      },
      async tmux => {
        const screen = await tmux.waitFor(/Started run (\S+)/, {timeoutMs: 20_000});
        runId = /Started run (\S+)/.exec(screen)![1]!;
        await tmux.kill();
      },
    );
    const viewer = await ws.run(['attach', runId]);
    assert.equal(viewer.code, 0, viewer.stderr);
    assert.match(viewer.stdout, /ended: success/);
    assert.equal((await ws.run(['verify', '--repo', 't-detach'])).code, 0);
  });
});
