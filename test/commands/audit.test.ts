/**
 * `backhaul audit --verify` against this host's anchors, in-process on a
 * directory repository: each way of tampering that keeps the chain
 * consistent passes without anchors (as before anchors existed) and exits 12
 * with them, naming what is wrong; the output and the JSON report say where
 * the anchors are kept.
 */
import assert from 'node:assert/strict';
import {mkdir} from 'node:fs/promises';
import {join} from 'node:path';
import {Writable} from 'node:stream';
import {after, before, test} from 'node:test';
import {audit} from '../../source/commands/audit.js';
import type {CommandContext} from '../../source/commands/command.js';
import {anchorFile} from '../../source/engine/access/anchors.js';
import {appendAudit, type AuditInput} from '../../source/engine/access/audit.js';
import {BackhaulError, EXIT} from '../../source/engine/errors.js';
import {Repository} from '../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../source/engine/storage/filesystem.js';
import {carol} from '../engine/access/fixtures.js';
import {
  appendForged,
  deleteAll,
  fakeLogger,
  privateState,
  rewriteForward,
  truncateAfter,
  withPath,
} from '../engine/access/tamper.js';

let state: Awaited<ReturnType<typeof privateState>>;
let n = 0;

before(async () => {
  delete process.env['SUDO_UID'];
  state = await privateState();
  process.env['XDG_CONFIG_HOME'] = join(state.dir, 'config');
  process.env['PATH'] = `${(await fakeLogger(join(state.dir, 'bin'))).bin}:${process.env['PATH']}`;
});
after(() => state.cleanup());

const grant = (i: number): AuditInput => ({
  action: 'access.grant',
  actor: carol,
  result: 'ok',
  principal: 'user:alice',
  backupId: 'bcopy00000001',
  reason: `ticket ${i}`,
});

async function repoWith(count: number): Promise<{dir: string; storage: FilesystemStorage; id: string}> {
  const dir = join(state.dir, `repo-${++n}`);
  const storage = new FilesystemStorage(dir);
  const repo = await Repository.create(storage);
  for (let i = 1; i <= count; i++) await appendAudit(storage, grant(i));
  return {dir, storage, id: repo.id};
}

async function verify(dir: string, extra: Record<string, boolean> = {}): Promise<{code: number; out: string}> {
  let out = '';
  const sink = new Writable({
    write(chunk, _enc, done) {
      out += chunk;
      done();
    },
  });
  const ctx: CommandContext = {out: sink, err: sink, signal: new AbortController().signal};
  const code = await audit.run(ctx, {repo: dir, verify: true, ...extra}, []);
  return {code, out};
}

/** As the code before anchors saw it: no anchors, every entry accepted. */
async function verifyWithoutAnchors(dir: string) {
  const saved = process.env['BACKHAUL_STATE_DIR'];
  process.env['BACKHAUL_STATE_DIR'] = join(state.dir, 'nothing-anchored');
  const savedXdg = process.env['XDG_STATE_HOME'];
  process.env['XDG_STATE_HOME'] = join(state.dir, 'nothing-anchored');
  try {
    return await verify(dir, {'allow-unanchored': true});
  } finally {
    process.env['BACKHAUL_STATE_DIR'] = saved;
    process.env['XDG_STATE_HOME'] = savedXdg;
  }
}

const classes: Array<[string, (s: FilesystemStorage) => Promise<unknown>, RegExp]> = [
  [
    '(a) an edit rewritten forward',
    s => rewriteForward(s, 7, {principal: 'user:mallory'}),
    /\n {2}entry 7 \(audit\/000000000007\.json\): differs from the anchored hash recorded at \S+ in \S+\.jsonl: it was edited or replaced, and the chain rewritten after it\n {2}entry 8 .*: differs from its anchor too, as does entry 9\n/,
  ],
  [
    '(b) a truncated tail',
    s => truncateAfter(s, 5),
    /\n {2}entry 9 \(audit\/000000000009\.json\): missing: the log ends at entry 5, but entry 9 was anchored at \S+ in \S+ \(entries 6 to 9 were deleted\)\n/,
  ],
  [
    '(c) every entry deleted',
    s => deleteAll(s),
    /\n {2}entry 9 \(audit\/000000000009\.json\): missing: the log is empty, but entry 9 was anchored at \S+ in \S+ \(every entry was deleted\)\n/,
  ],
  [
    '(d) a correctly hashed forged entry',
    s => appendForged(s, {...grant(10), principal: 'user:mallory'}),
    /\n {2}entry 10 \(audit\/000000000010\.json\): not written by Backhaul on this host: the newest entry anchored in \S+ is 9\. Forged/,
  ],
];

for (const [name, tamper, message] of classes) {
  test(`${name}: passes without anchors, exits 12 against them, naming what is wrong`, async () => {
    const {dir, storage, id} = await repoWith(9);
    assert.equal((await verify(dir)).code, EXIT.ok);
    await tamper(storage);
    const before = await verifyWithoutAnchors(dir);
    assert.equal(before.code, EXIT.ok, before.out);
    const after = await verify(dir);
    assert.equal(after.code, EXIT.corrupt);
    assert.match(after.out, /^Audit log damaged: \d problem\(s\)/);
    assert.match(after.out, message);
    assert.ok(after.out.includes(`Anchors: ${anchorFile(id)}: newest anchored entry #9 (`), after.out);
  });
}

test('an intact log: the output and the JSON report say where the anchors are and what they hold', async () => {
  const {dir, id} = await repoWith(3);
  const text = await verify(dir);
  assert.equal(text.code, EXIT.ok);
  assert.match(
    text.out,
    /^Audit log intact: 3 entries, hash chain unbroken and matching this host's anchors\. Newest entry #3, hash [0-9a-f]{64}\.\n/,
  );
  assert.match(
    text.out,
    new RegExp(`\\nAnchors: ${anchorFile(id)}: newest anchored entry #3 \\(\\S+\\), hash [0-9a-f]{64}\\.\\n$`),
  );
  const json = JSON.parse((await verify(dir, {json: true})).out);
  assert.equal(json.ok, true);
  assert.deepEqual(
    {...json.anchor, head: {...json.anchor.head, time: typeof json.anchor.head.time}},
    {
      repositoryId: id,
      file: anchorFile(id),
      head: {seq: 3, hash: json.head.hash, time: 'string'},
      count: 3,
      fromOtherLocations: false,
      unanchored: null,
      allowUnanchored: false,
      syslog: {failed: 0, error: null},
      badLines: 0,
    },
  );
});

test('--allow-unanchored: entries after the newest anchor are counted, not failed; without --verify it is a usage error', async () => {
  const {dir, storage} = await repoWith(2);
  await appendForged(storage, grant(3));
  await appendForged(storage, grant(4));
  assert.equal((await verify(dir)).code, EXIT.corrupt);
  const shared = await verify(dir, {'allow-unanchored': true});
  assert.equal(shared.code, EXIT.ok);
  assert.match(
    shared.out,
    /\nAccepted without an anchor of this host \(--allow-unanchored\): 2 entries \(3 to 4\)\.\n/,
  );
  await assert.rejects(
    audit.run(
      {out: process.stdout, err: process.stderr, signal: new AbortController().signal},
      {repo: dir, 'allow-unanchored': true},
      [],
    ),
    (e: unknown) => e instanceof BackhaulError && e.code === 'usage',
  );
});

test('a missing logger is said once, however many anchors it missed', async () => {
  const {dir, storage} = await repoWith(0);
  const empty = join(state.dir, 'empty-path');
  await mkdir(empty, {recursive: true});
  await withPath(empty, async () => {
    for (let i = 1; i <= 3; i++) await appendAudit(storage, grant(i));
  });
  const r = await verify(dir);
  assert.equal(r.code, EXIT.ok);
  assert.equal(r.out.split('\n').filter(l => /system log/.test(l)).length, 1);
  assert.match(
    r.out,
    /\nThe system log did not receive 3 of the anchors \(logger not found\): the anchor file is the only copy outside the repository\.\n/,
  );
});

test('the help says what is anchored, where, what --verify detects and what it cannot', () => {
  assert.match(audit.help, /--allow-unanchored/);
  assert.match(audit.help, /\/var\/lib\/backhaul\/audit-anchors/);
  assert.match(audit.help, /\$XDG_STATE_HOME\/backhaul/);
  assert.match(audit.help, /system log/);
  assert.match(audit.help, /cannot detect what root on this host does/);
  assert.match(audit.help, /refusals\.jsonl/);
});
