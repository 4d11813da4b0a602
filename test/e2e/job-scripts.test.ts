// A job's pre/post scripts, RPO and health check, through real runs:
// a failing pre-script stops the run with its output in the log; a hanging
// one is killed at its timeout (its whole process group); a failing
// post-script makes the run a warning; `job status --json` shows an RPO
// warning for a job whose source has a newer point than its RPO allows;
// the health check repairs a damaged target from the source and is in the
// history.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {join} from 'node:path';
import type {BackupId} from '../../source/engine/ids.js';
import {pointChunks} from '../../source/engine/repository/verify.js';
import {Repository} from '../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../source/engine/storage/filesystem.js';
import {flipChunkByte} from '../helpers/damage.js';
import {demoWorkspace, type Workspace} from '../helpers/demo-cache.js';
import {history, jobStatus, killRuns, runLog} from '../helpers/jobs.js';

describe('job scripts, RPO and health check', () => {
  let ws: Workspace;

  before(async () => {
    ws = await demoWorkspace('job-scripts');
  });
  after(async () => {
    if (ws) killRuns(ws);
    await ws?.cleanup();
  });

  const add = async (name: string, extra: string[]) => {
    const r = await ws.run([
      'job',
      'add',
      name,
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
      ...extra,
    ]);
    assert.equal(r.code, 0, r.stderr);
  };
  /** Runs the job now and waits for its end (attach); returns the attach result and the run's log. */
  const runNow = async (name: string, extra: string[] = []) => {
    const r = await ws.run(['job', 'run', name, '--json', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    const runId = JSON.parse(r.stdout).runId;
    const viewer = await ws.run(['attach', runId], {timeoutMs: 120_000});
    return {viewer, runId, log: runLog(ws, runId)};
  };
  const texts = (log: any[]) => log.filter(e => e.type === 'run.log').map(e => e.text);

  test('a failing pre-script stops the run, its output in the log and the history', async () => {
    await add('pre-fails', ['--pre', 'echo preparing the snapshot; echo no space >&2; exit 3']);
    const {viewer, log} = await runNow('pre-fails');
    assert.equal(viewer.code, 1, viewer.stdout);
    assert.match(viewer.stderr, /pre-script: preparing the snapshot/);
    assert.ok(texts(log).includes('pre-script: no space'));
    assert.ok(texts(log).includes('The pre-script failed with exit code 3.'));
    assert.ok(!log.some(e => e.type === 'copy'), 'nothing was copied');
    const last = (await history(ws, 'pre-fails')).at(-1);
    assert.equal(last.summary.result, 'failed');
    assert.ok(last.log.some((l: string) => l.endsWith('pre-script: preparing the snapshot')));
  });

  test('a hanging pre-script is killed at its timeout, with what it started', async () => {
    await add('pre-hangs', [
      '--pre',
      'echo waiting for the database; sleep 61.25 & sleep 61.5',
      '--script-timeout',
      '2s',
    ]);
    const {viewer, log} = await runNow('pre-hangs');
    assert.equal(viewer.code, 1);
    assert.ok(texts(log).includes('pre-script: waiting for the database'));
    assert.ok(texts(log).includes('The pre-script was killed at its timeout (2 s).'), texts(log).join('\n'));
    const left = execFileSync('ps', ['-eo', 'args'])
      .toString()
      .split('\n')
      .filter(l => /^sleep 61\.(25|5)$/.test(l.trim()));
    assert.deepEqual(left, [], 'the script and its children are gone');
  });

  test('a failing post-script makes a successful copy a warning; scripts see the job and the result', async () => {
    await add('post-fails', [
      '--pre',
      'echo "job=$BACKHAUL_JOB phase=$BACKHAUL_PHASE"',
      '--post',
      'echo "result=$BACKHAUL_RESULT"; exit 1',
    ]);
    const {viewer, log} = await runNow('post-fails');
    assert.equal(viewer.code, 0);
    assert.ok(texts(log).includes('pre-script: job=post-fails phase=pre'));
    assert.ok(texts(log).includes('post-script: result=success'));
    const last = (await history(ws, 'post-fails')).at(-1);
    assert.equal(last.summary.result, 'warning');
    assert.ok(last.warnings.includes('The post-script failed with exit code 1.'));
  });

  test('RPO: a newer source point than the RPO allows is a warning in job status --json; within it, ok', async () => {
    // The demo's points are minutes to days old; the whole-of-demo job's target lacks its newest ones.
    assert.equal((await ws.run(['repo', 'add', 'rpo-target', join(ws.dir, 'rpo-target')])).code, 0);
    const r = await ws.run([
      'job',
      'add',
      'late',
      '--from',
      'demo-primary',
      '--to',
      'rpo-target',
      '--mode',
      'immediate',
      '--rpo',
      '1s',
    ]);
    assert.equal(r.code, 0, r.stderr);
    await ws.run([
      'job',
      'add',
      'relaxed',
      '--from',
      'demo-primary',
      '--to',
      'rpo-target',
      '--mode',
      'immediate',
      '--rpo',
      '36500d',
    ]);
    const late = await jobStatus(ws, 'late');
    assert.equal(late.rpo.status, 'warning');
    assert.ok(late.rpo.behind.ageSeconds > 1);
    assert.match(late.rpo.behind.pointId, /^[a-z0-9]+$/);
    assert.equal((await jobStatus(ws, 'relaxed')).rpo.status, 'ok');
    const table = await ws.run(['job', 'status']);
    assert.match(table.stdout, /late .*WARNING: .* behind \(RPO 1s\)/);
    // Once the newest points are on the target, the same job is ok.
    const {viewer} = await runNow('late', ['--latest']);
    assert.equal(viewer.code, 0, viewer.stderr);
    assert.equal((await jobStatus(ws, 'late')).rpo.status, 'ok');
  });

  test('the health check repairs a damaged target from the source and is recorded', async () => {
    await add('healthy', ['--health', 'monthly', '--points', 'all']);
    assert.equal((await runNow('healthy')).viewer.code, 0);
    const target = await Repository.open(new FilesystemStorage(ws.secondary));
    const alice = (await target.listBackups()).find(b => b.machine === 'alice-laptop')!;
    const [point] = await target.listPoints(alice.id as BackupId);
    const victim = [...(await pointChunks(target, point!))][0]!;
    await flipChunkByte(ws.secondary, target, victim);
    assert.notEqual((await ws.run(['verify', '--repo', 'demo-secondary'])).code, 0, 'damaged');
    const {viewer} = await runNow('healthy', ['--health-check']);
    assert.equal(viewer.code, 0, viewer.stdout + viewer.stderr);
    const check = (await history(ws, 'healthy')).at(-1);
    assert.equal(check.kind, 'health');
    assert.ok(check.health.ok);
    assert.ok(check.health.chunksRepaired >= 1);
    assert.equal((await ws.run(['verify', '--repo', 'demo-secondary'])).code, 0, 'repaired');
    assert.ok((await jobStatus(ws, 'healthy')).nextHealthCheck, 'the next check is scheduled');
  });
});
