/**
 * Crafted audit entries (hostile JSON in audit/): an entry whose actor is
 * null or missing, whose paths are not a list of strings, or whose shown
 * fields have other types is unreadable — `readAudit` refuses it (corrupt,
 * exit 12) and `verifyAudit` names it — never a TypeError in `backhaul audit`
 * or the Audit screen, which read `actor.user` and join `paths`.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  appendAudit,
  auditKey,
  GENESIS_HASH,
  hashEntry,
  readAudit,
  verifyAudit,
} from '../../../source/engine/access/audit.js';
import {describeEntry} from '../../../source/commands/audit.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {carol, tempStorage} from './fixtures.js';

const sound = {
  seq: 1,
  time: '2024-05-01T10:00:00.000Z',
  prevHash: GENESIS_HASH,
  action: 'restore.own',
  actor: {user: 'alice', uid: 1001, viaSudo: true},
  result: 'ok',
  paths: ['a'],
};

const crafted: Array<[string, Record<string, unknown>]> = [
  ['a null actor', {actor: null}],
  ['no actor', {actor: undefined}],
  ['an actor whose user is an object', {actor: {user: {}, uid: 0, viaSudo: false}}],
  ['paths as a string', {paths: 'docs'}],
  ['paths holding numbers', {paths: [1, 2]}],
  ['a result that is an object', {result: {}}],
  ['a reason that is a number', {reason: 5}],
  ['bytes as a string', {bytes: '5'}],
  ['no time', {time: undefined}],
];

test('crafted audit entries are unreadable (corrupt, named), never a TypeError', async () => {
  for (const [what, change] of crafted) {
    const {storage, cleanup} = await tempStorage();
    try {
      const body = {...sound, ...change};
      await storage.put(auditKey(1), Buffer.from(JSON.stringify({...body, hash: hashEntry(body as never)})));
      await assert.rejects(
        readAudit(storage),
        (e: unknown) =>
          e instanceof BackhaulError && e.code === 'corrupt' && /audit\/000000000001\.json/.test(e.message),
        what,
      );
      const report = await verifyAudit(storage);
      assert.equal(report.ok, false, what);
      assert.match(report.problems[0]!.reason, /not a readable audit entry/, what);
      // The log stays appendable: the next entry chains after the unreadable one.
      assert.equal((await appendAudit(storage, {action: 'restore.own', actor: carol, result: 'ok'})).seq, 2, what);
    } finally {
      await cleanup();
    }
  }
});

test('a sound entry still reads and is described', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    await storage.put(auditKey(1), Buffer.from(JSON.stringify({...sound, hash: hashEntry(sound as never)})));
    const [entry] = await readAudit(storage);
    assert.match(describeEntry(entry!), /alice \(sudo\)\s+restore\.own/);
    // Written by hand, so no anchor of this host vouches for it: only the chain is checked here.
    assert.equal((await verifyAudit(storage, {allowUnanchored: true})).ok, true);
  } finally {
    await cleanup();
  }
});
