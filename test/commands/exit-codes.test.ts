/**
 * The scripting contract of the built CLI: every command answers --help with
 * its usage and exit 0; mistakes exit with their documented codes (2 usage,
 * 10 no repository, 13 not found) and one clear sentence plus a hint on
 * stderr, never a stack trace.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {commands} from '../../source/commands/index.js';
import {EXIT} from '../../source/engine/errors.js';
import {mapLimit} from '../../source/engine/util/concurrency.js';
import {runCli, type CliResult} from '../helpers/cli.js';

let work: string;
let home: string;
let repo: string;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-exit-'));
  home = join(work, 'home');
  repo = join(work, 'repo');
  const r = await runCli(home, ['repo', 'add', 'main', repo]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

function assertCleanError(r: CliResult, code: number, what: string): void {
  assert.equal(r.code, code, `${what}: exit ${r.code}, expected ${code}\n${r.stderr}`);
  assert.match(r.stderr, /^backhaul: \S.*\n/, `${what}: one sentence on stderr`);
  assert.match(r.stderr, /\nhint: \S/, `${what}: a hint`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: no internal error or stack trace`);
  assert.equal(r.stdout, '', `${what}: nothing on stdout`);
}

test('--help of every command (and of backhaul itself) exits 0 with its usage', async () => {
  const runs = [[], ...commands.map(c => c.name.split(' '))];
  const results = await mapLimit(runs, 3, async words => ({words, r: await runCli(home, [...words, '--help'])}));
  for (const {words, r} of results) {
    const name = ['backhaul', ...words].join(' ');
    assert.equal(r.code, 0, `${name} --help: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stdout, /Usage/, `${name} --help prints a usage`);
    if (words.length > 0)
      assert.match(r.stdout, new RegExp(`backhaul ${words.join(' ')}`), `${name} --help names the command`);
  }
  const short = await runCli(home, ['list', '-h']);
  assert.equal(short.code, 0);
  assert.match(short.stdout, /Usage/);
});

test('unknown commands and options exit 2', async () => {
  assertCleanError(await runCli(home, ['frobnicate']), EXIT.usage, 'unknown command');
  assertCleanError(await runCli(home, ['repo', 'explode']), EXIT.usage, 'unknown sub-command');
  assertCleanError(await runCli(home, ['list', '--repo', repo, '--no-such-option']), EXIT.usage, 'unknown option');
  assertCleanError(await runCli(home, ['list', '--repo', repo, 'extra']), EXIT.usage, 'unexpected argument');
  assertCleanError(await runCli(home, ['restore', '--repo', repo]), EXIT.usage, 'missing --backup');
  assertCleanError(
    await runCli(home, [
      'agent',
      'backup',
      '--repo',
      repo,
      '--job',
      'j',
      '--machine',
      'm',
      '--kind',
      'laptop',
      '--path',
      work,
    ]),
    EXIT.usage,
    'bad --kind',
  );
});

test('a missing repository exits 10', async () => {
  assertCleanError(
    await runCli(home, ['list', '--repo', join(work, 'nothing-here')]),
    EXIT.noRepository,
    'missing path',
  );
  assertCleanError(await runCli(home, ['list', '--repo', 'not-registered']), EXIT.noRepository, 'unregistered name');
  assertCleanError(
    await runCli(home, ['verify', '--repo', join(work, 'nothing-here')]),
    EXIT.noRepository,
    'verify of a missing path',
  );
  assertCleanError(
    await runCli(home, ['points', 'b000000000000', '--repo', join(work, 'nothing-here')]),
    EXIT.noRepository,
    'points in a missing repository',
  );
});

test('an unknown backup or restore point exits 13', async () => {
  assertCleanError(
    await runCli(home, ['points', 'bnosuchbackup', '--repo', 'main']),
    EXIT.notFound,
    'points of an unknown backup',
  );
  assertCleanError(
    await runCli(home, ['points', '../../etc', '--repo', 'main']),
    EXIT.notFound,
    'points of a path-like id',
  );
  assertCleanError(
    await runCli(home, ['restore', '--repo', 'main', '--backup', 'bnosuchbackup', '--to', join(work, 'out')]),
    EXIT.notFound,
    'restore of an unknown backup',
  );
  // A real backup with an unknown point.
  const src = join(work, 'src');
  await fs.mkdir(src);
  await fs.writeFile(join(src, 'a.txt'), 'a\n');
  const b = await runCli(home, [
    'agent',
    'backup',
    '--repo',
    'main',
    '--job',
    'j',
    '--machine',
    'm1',
    '--kind',
    'workstation',
    '--path',
    src,
    '--json',
  ]);
  assert.equal(b.code, 0, b.stderr);
  const {backupId} = JSON.parse(b.stdout) as {backupId: string};
  assertCleanError(
    await runCli(home, [
      'restore',
      '--repo',
      'main',
      '--backup',
      backupId,
      '--point',
      'pnosuchpoint',
      '--to',
      join(work, 'out'),
    ]),
    EXIT.notFound,
    'restore of an unknown point',
  );
  await assert.rejects(fs.stat(join(work, 'out')), 'nothing was created for a failed restore');
  // A --path that matches nothing is "not found", not a restore of nothing with exit 0.
  const nothing = await runCli(home, [
    'restore',
    '--repo',
    'main',
    '--backup',
    backupId,
    '--path',
    'src/no-such-file',
    '--to',
    join(work, 'out'),
  ]);
  assertCleanError(nothing, EXIT.notFound, 'restore of a --path that matches nothing');
  assert.match(nothing.stderr, /matches --path "src\/no-such-file"/);
  await assert.rejects(fs.stat(join(work, 'out')), 'nothing was created for a restore of nothing');
});
