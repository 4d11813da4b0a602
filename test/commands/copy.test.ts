// The CLI face of `backhaul copy` and `backhaul verify`: usage mistakes and
// their exit codes, the plan and summary on a pipe (plain lines on stderr,
// the result on stdout), --json printing one object and nothing else.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {demoWorkspace, type Workspace} from '../helpers/demo-cache.js';

describe('backhaul copy / verify on the command line', () => {
  let ws: Workspace;
  let alice: string;

  before(async () => {
    ws = await demoWorkspace('copy-cli');
    const listed: any[] = await ws.json(['list', '--repo', 'demo-primary', '--json']);
    alice = listed.find(b => b.machine === 'alice-laptop').id;
  });
  after(async () => ws?.cleanup());

  test('--help documents the selection and the exit codes', async () => {
    const r = await ws.run(['copy', '--help']);
    assert.equal(r.code, 0);
    for (const word of [
      '--from',
      '--to',
      '--points',
      'latest:N',
      'since:DATE',
      '--nodes',
      '--dry-run',
      '--wait',
      '14',
      '11',
    ])
      assert.ok(r.stdout.includes(word), word);
    const v = await ws.run(['verify', '--help']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /--repair-from/);
  });

  test('usage mistakes exit 2 (or 10 for an unknown repository) with one sentence and a hint', async () => {
    const cases: [string[], number, RegExp][] = [
      [['copy', '--to', 'demo-secondary'], 2, /--from SOURCE and --to TARGET/],
      [['copy', '--from', 'demo-primary'], 2, /--from SOURCE and --to TARGET/],
      [['copy', '--from', 'demo-primary', '--to', 'demo-primary'], 2, /same repository/],
      [['copy', '--from', 'demo-primary', '--to', 'nowhere'], 10, /nowhere/],
      [['copy', '--from', 'demo-primary', '--to', 'demo-secondary', '--points', 'latest:0'], 2, /latest:N/],
      [['copy', '--from', 'demo-primary', '--to', 'demo-secondary', '--points', 'since:someday'], 2, /someday/],
      [['copy', '--from', 'demo-primary', '--to', 'demo-secondary', '--bogus'], 2, /bogus/],
      [['verify', '--repo', 'nowhere'], 10, /nowhere/],
    ];
    for (const [args, code, pattern] of cases) {
      const r = await ws.run(args);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, pattern, args.join(' '));
      assert.match(r.stderr, /hint: /, `${args.join(' ')} gives a hint`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('on a pipe: the plan and progress go to stderr as plain lines, the summary to stdout', async () => {
    const r = await ws.run(['copy', '--from', 'demo-primary', '--to', 'demo-secondary', alice, '--points', 'latest:2']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Copy plan: .*primary → .*secondary$/m);
    assert.match(r.stderr, /alice-laptop \(workstation, .*\): 2 point\(s\) to copy/);
    assert.match(r.stderr, /2 point\(s\) not selected/);
    assert.doesNotMatch(r.stderr, /\x1b\[/, 'no terminal control sequences on a pipe');
    assert.match(r.stdout, /^Copy success: 2 point\(s\) copied, 0 skipped, 0 failed/);
    assert.match(
      r.stdout,
      /processed .*, read .*, transferred .*, stored .*bottleneck: (source read|hashing|target write)/,
    );
  });

  test('--json prints one object on stdout; the plan says what is already there', async () => {
    const plan = await ws.json([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      alice,
      '--points',
      'all',
      '--dry-run',
      '--json',
    ]);
    const skipped = plan.backups[0].points.filter((p: any) => p.action === 'skip');
    assert.equal(skipped.length, 2);
    for (const p of skipped) assert.equal(p.reason, 'already on target');
    assert.equal(plan.pointsToCopy, 2);
    const r = await ws.run([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      alice,
      '--points',
      'all',
      '--json',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.pointsCopied, 2);
    assert.equal(summary.pointsSkipped, 2);
    assert.equal(r.stderr, '', '--json keeps stderr quiet');
  });

  test('verify prints OK and exits 0 on a healthy repository', async () => {
    const r = await ws.run(['verify', '--repo', 'demo-secondary']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^OK: .*secondary: \d+ packs, \d+ chunks, .* 4 restore points checked/);
    const empty = await ws.run(['repo', 'add', 'empty', join(ws.dir, 'empty')]);
    assert.equal(empty.code, 0);
    const e = await ws.json(['verify', '--repo', 'empty', '--json']);
    assert.equal(e.ok, true);
    assert.equal(e.points, 0);
  });
});
