// What a user typed, as error messages show it (issue 18, "Messages"): a
// value with a quote in it is quoted with the quote escaped, never as an
// unbalanced `""p1"`; one with an escape sequence is shown, not obeyed by
// the terminal; `--points all,latest` says that `all` cannot be combined
// instead of calling "all" unknown, and --help says so.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {printError} from '../../source/commands/render/output.js';
import {copy} from '../../source/commands/copy.js';
import {parsePointSpec} from '../../source/engine/copy/selection.js';
import {BackhaulError, quoted, usageError} from '../../source/engine/errors.js';
import {runCli} from '../helpers/cli.js';

let home: string;
before(async () => {
  home = await mkdtemp(join(tmpdir(), 'backhaul-messages-'));
});
after(async () => rm(home, {recursive: true, force: true}));

/** Double quotes that are not escaped come in pairs. */
const balanced = (text: string) => (text.replace(/\\./g, '').match(/"/g) ?? []).length % 2 === 0;

function thrown(f: () => unknown): BackhaulError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BackhaulError, String(e));
    return e;
  }
  throw new Error('nothing was thrown');
}

test('quoted(): quotes, backslashes, control characters and bidi overrides are escaped; long values cut', () => {
  assert.equal(quoted('p1'), '"p1"');
  assert.equal(quoted('"p1'), '"\\"p1"');
  assert.equal(quoted('a\u001b[31m'), '"a\\u001b[31m"');
  assert.equal(quoted('x\u202Ey'), '"x\\u202ey"');
  assert.equal(quoted('x'.repeat(200)).length, 82);
});

test('--points: a form combined with others is refused as such; a stray quote stays balanced', () => {
  const combined = thrown(() => parsePointSpec('all,latest'));
  assert.equal(combined.exitCode, 2);
  assert.match(
    combined.message,
    /--points "all" cannot be combined with other terms \("all,latest"\): it already takes every restore point/,
  );
  assert.doesNotMatch(combined.message, /neither|unknown/);
  assert.match(thrown(() => parsePointSpec('p0123,latest')).message, /"latest" cannot be combined/);
  const quote = thrown(() => parsePointSpec('"p1'));
  assert.match(quote.message, /--points: "\\"p1" is neither a restore point id nor a known form/);
  assert.ok(balanced(quote.message), quote.message);
  assert.ok(balanced(thrown(() => parsePointSpec('since:x"y')).message));
  assert.match(copy.help.replace(/\s+/g, ' '), /a form cannot be combined: all already takes every point/);
});

test('printError shows an escape sequence instead of sending it to the terminal', () => {
  const err = new PassThrough();
  let text = '';
  err.on('data', d => (text += d));
  assert.equal(printError(err, usageError('Bad \u001b[2J value.', 'hint \u001b]0;x\u0007')), 2);
  assert.doesNotMatch(text, /\u001b|\u0007/);
  assert.match(text, /Bad \\u001b\[2J value/); // the one sanitiser (util/safe-text.ts) spells escapes \uXXXX
});

test('the CLI: values typed with a quote or an escape come back quoted and escaped', async () => {
  for (const args of [
    ['points', '"bNOSUCH', '--repo', '"demo'],
    ['list', '--repo', 'a\u001b[31m'],
    ['copy', '--from', '"a', '--to', 'b'],
  ]) {
    const r = await runCli(home, args);
    assert.equal(r.code, 10, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /\u001b/, r.stderr);
    const first = r.stderr.split('\n')[0]!;
    assert.ok(balanced(first), first);
    assert.match(first, /No repository named "(\\"demo|a\\u001b\[31m|\\"a)"/);
  }
});
