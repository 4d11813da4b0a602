// Saved backup copy jobs on the command line: add / edit / show / list /
// enable / disable / rm, the values kept as typed, and bad input — an
// unknown job, a bad cron expression, a window that never opens, an RPO of
// "abc" — refused with one sentence and a hint, exit 2, the jobs file
// unchanged (byte for byte); a corrupt jobs file moved aside, said.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {demoWorkspace, type Workspace} from '../helpers/demo-cache.js';

describe('backhaul job add|edit|show|list|enable|disable|rm', () => {
  let ws: Workspace;
  let jobsFile: string;
  const read = () => (existsSync(jobsFile) ? readFileSync(jobsFile, 'utf8') : '');

  before(async () => {
    ws = await demoWorkspace('job-cli');
    jobsFile = join(ws.dir, 'config', 'backhaul', 'jobs.json');
  });
  after(async () => ws?.cleanup());

  test('add saves a job with its values as typed; show and list print it', async () => {
    const r = await ws.run([
      'job',
      'add',
      'nightly',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--mode',
      'periodic',
      '--every',
      '1h',
      '--machine',
      'alice-*',
      '--machine',
      'web-*',
      '--window',
      'mon-fri 08:00-18:00',
      '--throttle',
      '50',
      '--rpo',
      '24h',
      '--pre',
      'echo pre',
      '--health',
      'monthly',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const job = await ws.json(['job', 'show', 'nightly', '--json']);
    assert.equal(job.mode, 'periodic');
    assert.equal(job.every, '1h');
    assert.deepEqual(job.machines, ['alice-*', 'web-*']);
    assert.deepEqual(job.windows, ['mon-fri 08:00-18:00']);
    assert.equal(job.throttle, 50);
    assert.equal(job.rpo, '24h');
    assert.equal(job.enabled, true);
    const show = await ws.run(['job', 'show', 'nightly']);
    assert.match(show.stdout, /copy window \(prohibited hours\): mon-fri 08:00-18:00/);
    assert.match(show.stdout, /throttle: 50 MB\/s/);
    const list = await ws.run(['job', 'list']);
    assert.match(list.stdout, /nightly\s+periodic \(every 1h\)\s+demo-primary → demo-secondary\s+yes/);
  });

  test('edit changes only what it is given; disable / enable; clearing with "none"', async () => {
    assert.equal((await ws.run(['job', 'edit', 'nightly', '--cron', '0 2 * * *', '--throttle', 'off'])).code, 0);
    let job = await ws.json(['job', 'show', 'nightly', '--json']);
    assert.equal(job.cron, '0 2 * * *');
    assert.equal(job.every, undefined, '--cron replaces --every');
    assert.equal(job.throttle, undefined);
    assert.equal(job.rpo, '24h', 'kept');
    assert.equal((await ws.run(['job', 'disable', 'nightly'])).code, 0);
    assert.equal((await ws.json(['job', 'show', 'nightly', '--json'])).enabled, false);
    assert.equal((await ws.run(['job', 'enable', 'nightly'])).code, 0);
    assert.equal((await ws.run(['job', 'edit', 'nightly', '--window', 'none'])).code, 0);
    job = await ws.json(['job', 'show', 'nightly', '--json']);
    assert.deepEqual(job.windows, []);
    assert.equal(job.enabled, true);
  });

  test('bad input: one sentence and a hint, exit 2, nothing changed', async () => {
    const before = read();
    const cases: [string[], RegExp][] = [
      [['job', 'show', 'nope'], /No job is named "nope"/],
      [['job', 'edit', 'nope', '--rpo', '1h'], /No job is named "nope"/],
      [['job', 'run', 'nope'], /No job is named "nope"/],
      [['job', 'edit', 'nightly', '--cron', '61 * * * *'], /--cron "61 \* \* \* \*" is not a cron expression/],
      [
        [
          'job',
          'add',
          'x',
          '--from',
          'demo-primary',
          '--to',
          'demo-secondary',
          '--mode',
          'periodic',
          '--cron',
          'every day',
        ],
        /is not a cron expression/,
      ],
      [['job', 'edit', 'nightly', '--window', 'daily 00:00-24:00'], /The copy window never opens/],
      [
        [
          'job',
          'add',
          'y',
          '--from',
          'demo-primary',
          '--to',
          'demo-secondary',
          '--mode',
          'immediate',
          '--window',
          'mon-sun 00:00-24:00',
        ],
        /never opens/,
      ],
      [['job', 'edit', 'nightly', '--rpo', 'abc'], /--rpo must be a duration .*not "abc"/],
      [
        ['job', 'add', 'z', '--from', 'demo-primary', '--to', 'demo-secondary', '--mode', 'immediate', '--rpo', 'abc'],
        /--rpo must be a duration/,
      ],
      [
        ['job', 'add', 'w', '--from', 'demo-primary', '--to', 'demo-secondary', '--mode', 'periodic'],
        /needs one schedule/,
      ],
      [
        ['job', 'add', 'v', '--from', 'demo-primary', '--to', 'demo-secondary', '--mode', 'immediate', '--every', '1h'],
        /does not apply/,
      ],
      [['job', 'edit', 'nightly', '--window', 'mon-fri 8-18'], /bad time|is not "DAYS FROM-TO"/],
      [['job', 'edit', 'nightly', '--throttle', 'fast'], /--throttle must be a number/],
      [
        ['job', 'add', 'nightly', '--from', 'demo-primary', '--to', 'demo-secondary', '--mode', 'immediate'],
        /already exists/,
      ],
    ];
    for (const [args, pattern] of cases) {
      const r = await ws.run(args);
      const code = /already exists/.test(String(pattern)) ? 16 : 2;
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.match(r.stderr, /hint: /, `${args.join(' ')} gives a hint`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(read(), before, `${args.join(' ')} changed nothing`);
    }
    const unknownRepo = await ws.run([
      'job',
      'add',
      'u',
      '--from',
      'nowhere',
      '--to',
      'demo-secondary',
      '--mode',
      'immediate',
    ]);
    assert.equal(unknownRepo.code, 10);
    assert.equal(read(), before);
  });

  test('a corrupt jobs file is moved aside and said, never silently replaced', async () => {
    const good = read();
    writeFileSync(jobsFile, '{"jobs": {"broken": {"source": 1}}}');
    const r = await ws.run(['job', 'list']);
    assert.equal(r.code, 17, r.stderr);
    assert.match(r.stderr, /does not match its schema.*moved to .*jobs\.json\.corrupt-/);
    const aside = readdirSync(join(ws.dir, 'config', 'backhaul')).filter(n => n.startsWith('jobs.json.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(
      readFileSync(join(ws.dir, 'config', 'backhaul', aside[0]!), 'utf8'),
      '{"jobs": {"broken": {"source": 1}}}',
    );
    writeFileSync(jobsFile, good);
    assert.equal((await ws.run(['job', 'rm', 'nightly'])).code, 0);
    assert.match((await ws.run(['job', 'list'])).stdout, /No jobs yet/);
  });
});
