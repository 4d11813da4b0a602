// `backhaul service`, a child process of the test with its own XDG dirs:
// immediate mode puts a new agent restore point on the target within 10 s
// of its commit; periodic mode runs on its interval; inside a copy window
// nothing starts; a second service is refused naming the first. And a run
// that meets its window's start pauses there and completes after it;
// `service install` writes the unit.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import type {ChildProcess} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {demoWorkspace, type Workspace} from '../helpers/demo-cache.js';
import {history, jobStatus, killRuns, runLog, waitFor, addIncompressibleBackup} from '../helpers/jobs.js';
import {randomBuffer} from '../helpers/cli.js';

const MB = 1_000_000;
const pad = (n: number) => String(n).padStart(2, '0');
const clock = (d: Date) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
/** A copy window (prohibited hours) from `fromMs` to `toMs` from now, local time. */
const windowFromNow = (fromMs: number, toMs: number) =>
  `daily ${clock(new Date(Date.now() + fromMs))}-${clock(new Date(Date.now() + toMs))}`;

describe('backhaul service', () => {
  let ws: Workspace;
  let service: ChildProcess | undefined;
  let serviceOut = '';

  const stopService = async () => {
    if (!service || service.exitCode !== null) return;
    const done = new Promise(r => service!.once('close', r));
    service.kill('SIGTERM');
    const timer = setTimeout(() => service?.kill('SIGKILL'), 10_000);
    await done;
    clearTimeout(timer);
  };

  before(async () => {
    ws = await demoWorkspace('job-service');
    await addIncompressibleBackup(ws, 104);
  });
  after(async () => {
    await stopService();
    if (ws) killRuns(ws);
    await ws?.cleanup();
  });

  const add = async (args: string[]) => {
    const r = await ws.run(['job', 'add', ...args]);
    assert.equal(r.code, 0, r.stderr);
  };

  test('immediate: a new agent restore point is on the target within 10 s of its commit; a second service is refused', async () => {
    assert.equal((await ws.run(['repo', 'add', 'imm-target', join(ws.dir, 'imm-target')])).code, 0);
    await add(['imm', '--from', 'demo-primary', '--to', 'imm-target', '--mode', 'immediate', '--machine', 'newbox']);
    await add([
      'every',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--mode',
      'periodic',
      '--every',
      '3s',
      '--machine',
      'alice-laptop',
    ]);
    await add([
      'closed',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--mode',
      'periodic',
      '--every',
      '2s',
      '--window',
      windowFromNow(-60_000, 3_600_000),
    ]);
    service = ws.spawn(['service']);
    service.stdout!.setEncoding('utf8').on('data', (d: string) => (serviceOut += d));
    service.stderr!.setEncoding('utf8').on('data', (d: string) => (serviceOut += d));
    await waitFor('the service to start', () => /service started/.test(serviceOut), 20_000);

    const second = await ws.run(['service']);
    assert.equal(second.code, 11, second.stderr);
    assert.match(second.stderr, new RegExp(`already runs for this configuration \\(pid ${service.pid}, since `));

    // The first run catches up (nothing of newbox yet): wait for it to end before committing points.
    await waitFor('the first immediate run', async () => (await history(ws, 'imm')).length >= 1, 30_000, 500);
    const source = join(ws.dir, 'files');
    for (let i = 0; i < 2; i++) {
      mkdirSync(source, {recursive: true});
      writeFileSync(join(source, `f${i}.bin`), randomBuffer(2 * MB, 100 + i));
      const made = await ws.run([
        'agent',
        'backup',
        '--repo',
        'demo-primary',
        '--job',
        'nightly',
        '--machine',
        'newbox',
        '--kind',
        'workstation',
        '--path',
        source,
        '--json',
      ]);
      assert.equal(made.code, 0, made.stderr);
      const point = JSON.parse(made.stdout);
      const committed = statSync(
        join(ws.primary, 'backups', point.backupId, 'points', `${point.pointId}.json`),
      ).mtimeMs;
      const onTarget = join(ws.dir, 'imm-target', 'backups', point.backupId, 'points', `${point.pointId}.json`);
      await waitFor(`point ${point.pointId} on the target`, () => existsSync(onTarget), 30_000, 100);
      const delay = (statSync(onTarget).mtimeMs - committed) / 1000;
      assert.ok(delay < 10, `copied ${delay.toFixed(1)} s after its commit`);
    }
    assert.equal((await ws.run(['verify', '--repo', 'imm-target'])).code, 0);
  });

  test('periodic: runs on its interval; inside its copy window nothing starts', async () => {
    await waitFor(
      'two scheduled runs',
      async () => (await history(ws, 'every')).filter(s => s.trigger === 'schedule').length >= 2,
      30_000,
      500,
    );
    const runs = (await history(ws, 'every')).filter(s => s.trigger === 'schedule');
    assert.ok(
      runs.every(s => s.summary.result === 'success'),
      JSON.stringify(runs.map(s => s.summary.result)),
    );
    const gap = (Date.parse(runs[1].summary.startedAt) - Date.parse(runs[0].summary.startedAt)) / 1000;
    // The interval counts from the start the service recorded; the run's own start comes a few hundred ms after.
    assert.ok(gap >= 2.5, `about 3 s apart at least (${gap})`);
    assert.deepEqual(await history(ws, 'closed'), [], 'nothing started inside the window');
    const closed = await jobStatus(ws, 'closed');
    assert.equal(closed.state, 'waiting for window');
    assert.equal(closed.window.open, false);
    await stopService();
    assert.match(serviceOut, /service stopped/);
  });

  test("a running copy pauses at the window's start and completes after it, losing nothing", async () => {
    await stopService();
    assert.equal((await ws.run(['repo', 'add', 'pause-target', join(ws.dir, 'pause-target')])).code, 0);
    await add([
      'paused',
      '--from',
      'demo-primary',
      '--to',
      'pause-target',
      '--mode',
      'periodic',
      '--every',
      '1d',
      '--points',
      'all',
      '--throttle',
      '20',
      '--window',
      windowFromNow(6_000, 12_000),
    ]);
    const r = await ws.run(['job', 'run', 'paused', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const runId = JSON.parse(r.stdout).runId;
    const status = await waitFor(
      'the run to wait for its window',
      async () => {
        const s = await jobStatus(ws, 'paused');
        return s.state === 'waiting for window' ? s : undefined;
      },
      20_000,
      250,
    );
    assert.equal(status.run.runId, runId);
    const viewer = await ws.run(['attach', runId], {timeoutMs: 120_000});
    assert.equal(viewer.code, 0, viewer.stderr);
    const log = runLog(ws, runId);
    const waiting = log.find(e => e.type === 'run.phase' && e.phase === 'waiting for window');
    const resumed = log.find(e => e.type === 'run.phase' && e.phase === 'copying' && e.t > waiting.t);
    assert.ok(waiting && resumed, 'waited, then went on');
    assert.ok(resumed.t - waiting.t >= 2000, `paused ${resumed.t - waiting.t} ms`);
    // Once the packs in flight at the window's start have landed, nothing more is sent until it ends.
    const sent = (from: number, to: number) =>
      log
        .filter(e => e.type === 'copy' && e.event.type === 'copy.stats' && e.t >= from && e.t < to)
        .map(e => e.event.stats.transferredBytes);
    const during = sent(waiting.t + 1500, resumed.t);
    if (during.length > 1) assert.equal(during.at(-1), during[0], 'no bytes sent inside the window');
    const end = log.at(-1);
    assert.equal(end.type, 'run.end');
    assert.equal(end.result, 'success');
    assert.ok(end.summary.transferredBytes >= 200 * MB);
    assert.equal((await ws.run(['verify', '--repo', 'pause-target'])).code, 0);
  });

  test('service install writes the unit with absolute paths, the XDG dirs and Restart=on-failure', async () => {
    const path = join(ws.dir, 'backhaul.service');
    const r = await ws.run(['service', 'install', '--output', path]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /systemctl daemon-reload && systemctl enable --now backhaul/);
    const unit = readFileSync(path, 'utf8');
    assert.match(
      unit,
      new RegExp(`^ExecStart=${process.execPath.replace(/[/.]/g, '\\$&')} /\\S+cli\\.js service$`, 'm'),
    );
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, new RegExp(`^Environment=XDG_CONFIG_HOME=${join(ws.dir, 'config')}$`, 'm'));
    assert.match(unit, new RegExp(`^Environment=XDG_DATA_HOME=${join(ws.dir, 'data')}$`, 'm'));
    assert.match(unit, /^User=root$/m);
    const bad = await ws.run(['service', 'install', '--user', 'no-such-user-here', '--output', path]);
    assert.equal(bad.code, 13);
  });
});
