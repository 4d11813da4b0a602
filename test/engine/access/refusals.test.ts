/**
 * The refusals log: attempts by actors without the privilege, kept in the
 * state directory (not in the repository) and sent to the system log; its
 * size is bounded by rotation.
 */
import assert from 'node:assert/strict';
import {lstat, readFile, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {MAX_REFUSALS_BYTES, recordRefusal, refusalsFile, type Refusal} from '../../../source/engine/access/refusals.js';
import {stateDir} from '../../../source/engine/workspace/dirs.js';
import {fakeLogger, privateState, withPath} from './tamper.js';

let state: Awaited<ReturnType<typeof privateState>>;
let logger: {bin: string; calls: string};
before(async () => {
  delete process.env['SUDO_UID'];
  state = await privateState();
  logger = await fakeLogger(join(state.dir, 'bin'));
});
after(() => state.cleanup());

const refusal = (extra: Partial<Refusal> = {}): Refusal => ({
  action: 'restore.delegated',
  actor: {user: 'nobody', uid: 65534, viaSudo: true},
  repository: {id: 'a'.repeat(32), location: '/srv/backups/copy'},
  forUser: 'alice',
  backupId: 'bcopy00000001',
  reason: 'just looking',
  error: "nobody (via sudo) may not restore on another user's behalf",
  ...extra,
});

test('a refusal is one JSON line in refusals.jsonl (0600, in a 0700 directory) and one auth.notice line in the system log', async () => {
  const outcome = await withPath(`${logger.bin}:${process.env['PATH']}`, () =>
    recordRefusal(refusal(), () => new Date('2026-11-25T12:00:00Z')),
  );
  const file = refusalsFile();
  assert.equal(file, join(stateDir(), 'refusals.jsonl'));
  assert.deepEqual(outcome, {file, syslog: {sent: true}});
  assert.deepEqual(JSON.parse(await readFile(file, 'utf8')), {time: '2026-11-25T12:00:00.000Z', ...refusal()});
  assert.equal((await lstat(file)).mode & 0o777, 0o600);
  assert.equal((await lstat(stateDir())).mode & 0o777, 0o700);
  const call = (await readFile(logger.calls, 'utf8')).trim();
  assert.match(
    call,
    /^\[-t\]\[backhaul\]\[--id=\d+\]\[-p\]\[auth\.notice\]\[--\]\[refused restore\.delegated actor="nobody \(sudo\)" uid=65534 for="alice" backup="bcopy00000001" location="\/srv\/backups\/copy"\]$/,
  );
});

test('caller-supplied text is cut, and a newline cannot forge a second system log line', async () => {
  const outcome = await withPath(`${logger.bin}:${process.env['PATH']}`, () =>
    recordRefusal(refusal({reason: 'r'.repeat(5000), forUser: 'x\nbackhaul: forged'})),
  );
  const last = JSON.parse((await readFile(outcome.file!, 'utf8')).trim().split('\n').at(-1)!);
  assert.equal(last.reason.length, 500);
  const calls = (await readFile(logger.calls, 'utf8')).trim().split('\n');
  assert.match(calls.at(-1)!, /^\[-t\].*for="x\\nbackhaul: forged"/, 'one line, the newline escaped');
});

test('the log is bounded: past the cap it is rotated to refusals.jsonl.1', async () => {
  const file = refusalsFile();
  await writeFile(file, 'x'.repeat(MAX_REFUSALS_BYTES - 10) + '\n');
  const outcome = await withPath('/nonexistent', () => recordRefusal(refusal()));
  assert.deepEqual(outcome.syslog, {sent: false, error: 'logger not found'});
  assert.equal((await lstat(`${file}.1`)).size, MAX_REFUSALS_BYTES - 9);
  assert.equal((await readFile(file, 'utf8')).trim().split('\n').length, 1);
});

test('an unusable state directory does not hide the refusal: it is still reported, with why it was not recorded', async () => {
  const saved = process.env['BACKHAUL_STATE_DIR'];
  const savedXdg = process.env['XDG_STATE_HOME'];
  const blocker = join(state.dir, 'a-file');
  await writeFile(blocker, '');
  process.env['BACKHAUL_STATE_DIR'] = join(blocker, 'state');
  process.env['XDG_STATE_HOME'] = blocker;
  try {
    const outcome = await withPath('/nonexistent', () => recordRefusal(refusal()));
    assert.equal(outcome.file, undefined);
    assert.match(outcome.fileError!, /a-file/);
  } finally {
    process.env['BACKHAUL_STATE_DIR'] = saved;
    process.env['XDG_STATE_HOME'] = savedXdg;
  }
});
