/**
 * A job's retention policy on the command line: `job add --keep-last 2` is
 * refused with one sentence and exit 2, the jobs file unchanged; a policy is
 * saved, shown by `job show` and `job list --json`; `job edit` changes one
 * value at a time (--prune-every and --prune-cron replace each other), and
 * --no-retention clears it; a jobs file written before retention existed
 * still loads.
 */
import assert from 'node:assert/strict';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {Repository} from '../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../source/engine/storage/filesystem.js';
import {emptyWorkspace, type Workspace} from '../helpers/demo-cache.js';

describe('backhaul job add|edit --keep-*', () => {
  let ws: Workspace;
  let jobsFile: string;
  const read = () => (existsSync(jobsFile) ? readFileSync(jobsFile, 'utf8') : '');
  const base = ['--from', 'src', '--to', 'dst', '--mode', 'periodic', '--every', '1d'];

  before(async () => {
    ws = await emptyWorkspace('job-retention-cli');
    jobsFile = join(ws.dir, 'config', 'backhaul', 'jobs.json');
    for (const name of ['src', 'dst']) {
      await Repository.create(new FilesystemStorage(join(ws.dir, name)));
      assert.equal((await ws.run(['repo', 'add', name, join(ws.dir, name)])).code, 0);
    }
  });
  after(async () => ws?.cleanup());

  test('--keep-last 2 is refused with one sentence and exit 2; nothing is saved', async () => {
    const before = read();
    const r = await ws.run(['job', 'add', 'short', ...base, '--keep-last', '2']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr.split('\n')[0]!, /--keep-last must be at least 3, not 2: [^.]*\.$/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.equal(read(), before);
    const bad = await ws.run([
      'job',
      'add',
      'x',
      ...base,
      '--keep-last',
      '3',
      '--prune-every',
      '1d',
      '--prune-cron',
      '0 3 * * *',
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /one schedule/);
    const only = await ws.run(['job', 'add', 'x', ...base, '--prune-every', '1d']);
    assert.equal(only.code, 2);
    assert.match(only.stderr, /needs --keep-last/);
    assert.equal(read(), before);
  });

  test('a policy is saved and shown; edit changes one value; --no-retention clears it', async () => {
    const add = await ws.run([
      'job',
      'add',
      'gfs',
      ...base,
      '--keep-last',
      '5',
      '--keep-weekly',
      '4',
      '--monthly-day',
      '15',
    ]);
    assert.equal(add.code, 0, add.stderr);
    const shown = await ws.json(['job', 'show', 'gfs', '--json']);
    assert.deepEqual(shown.retention, {keepLast: 5, keepWeekly: 4, monthlyDay: 15});
    const text = await ws.run(['job', 'show', 'gfs']);
    assert.match(text.stdout, /retention: keep last 5 \+ 4 weekly; prune every 7d/);
    const listed = await ws.json(['job', 'list', '--json']);
    assert.deepEqual(listed.find((j: any) => j.name === 'gfs').retention, shown.retention);

    await ws.json(['job', 'edit', 'gfs', '--keep-monthly', '12', '--prune-every', '3d', '--json']);
    const cron = await ws.json(['job', 'edit', 'gfs', '--prune-cron', '0 3 * * SUN', '--json']);
    assert.deepEqual(cron.retention, {
      keepLast: 5,
      keepWeekly: 4,
      keepMonthly: 12,
      monthlyDay: 15,
      pruneCron: '0 3 * * SUN',
    });
    const before = read();
    const low = await ws.run(['job', 'edit', 'gfs', '--keep-last', '1']);
    assert.equal(low.code, 2);
    assert.equal(read(), before);
    const both = await ws.run(['job', 'edit', 'gfs', '--no-retention', '--keep-last', '4']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--no-retention/);
    const cleared = await ws.json(['job', 'edit', 'gfs', '--no-retention', '--json']);
    assert.equal(cleared.retention, undefined);
    assert.match((await ws.run(['job', 'show', 'gfs'])).stdout, /retention: none/);
  });

  test('a jobs file without retention (older versions) still loads', async () => {
    const data = JSON.parse(read());
    for (const job of Object.values<any>(data.jobs)) delete job.retention;
    writeFileSync(jobsFile, JSON.stringify(data));
    const listed = await ws.json(['job', 'list', '--json']);
    assert.ok(listed.length > 0);
    assert.ok(listed.every((j: any) => j.retention === undefined));
    assert.equal(read(), JSON.stringify(data), 'not moved aside');
  });
});
