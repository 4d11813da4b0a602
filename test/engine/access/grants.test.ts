import assert from 'node:assert/strict';
import {test} from 'node:test';
import {readAudit, verifyAudit} from '../../../source/engine/access/audit.js';
import {accessContext, filterVisible, getVisibleBackup} from '../../../source/engine/access/authorize.js';
import {grantAccess, parsePrincipal, revokeAccess} from '../../../source/engine/access/grants.js';
import {BackhaulError, EXIT} from '../../../source/engine/errors.js';
import type {BackupId} from '../../../source/engine/ids.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {alice, backup, bob, carol, dave, tempStorage} from './fixtures.js';

const COPY = 'bcopy00000001' as BackupId;

async function setup() {
  const t = await tempStorage();
  const repo = await Repository.create(t.storage);
  await repo.putBackup(backup(COPY, null));
  return {...t, repo};
}

test('an admin re-grants a copy to a user, who then sees it; revoking makes it admin-only again', async () => {
  const {repo, storage, cleanup} = await setup();
  try {
    const admin = await accessContext(storage, carol);
    const asAlice = await accessContext(storage, alice);
    assert.deepEqual(filterVisible(alice, asAlice.role, await repo.listBackups()), []);

    const granted = await grantAccess(repo, admin, COPY, parsePrincipal('user:alice'), 'restore at secondary site');
    assert.equal(granted.changed, true);
    assert.deepEqual((await repo.getBackup(COPY)).access, ['user:alice']);
    assert.equal((await getVisibleBackup(repo, asAlice, COPY)).id, COPY);
    await assert.rejects(
      getVisibleBackup(repo, await accessContext(storage, bob), COPY),
      (e: unknown) => e instanceof BackhaulError && e.code === 'not-found',
    );

    await grantAccess(repo, admin, COPY, parsePrincipal('group:finance'));
    assert.deepEqual((await repo.getBackup(COPY)).access, ['user:alice', 'group:finance']);
    const again = await grantAccess(repo, admin, COPY, parsePrincipal('user:alice'));
    assert.equal(again.changed, false);

    await revokeAccess(repo, admin, COPY, parsePrincipal('group:finance'));
    const revoked = await revokeAccess(repo, admin, COPY, parsePrincipal('user:alice'));
    assert.equal(revoked.changed, true);
    assert.equal((await repo.getBackup(COPY)).access, null);
    await assert.rejects(
      getVisibleBackup(repo, asAlice, COPY),
      (e: unknown) => e instanceof BackhaulError && e.code === 'not-found',
    );

    const entries = await readAudit(storage);
    assert.deepEqual(
      entries.map(e => [e.action, e.principal, e.result]),
      [
        ['access.grant', 'user:alice', 'ok'],
        ['access.grant', 'group:finance', 'ok'],
        ['access.grant', 'user:alice', 'unchanged'],
        ['access.revoke', 'group:finance', 'ok'],
        ['access.revoke', 'user:alice', 'ok'],
      ],
    );
    assert.equal(entries[0]!.forUser, 'alice');
    assert.equal(entries[0]!.backupId, COPY);
    assert.equal(entries[0]!.reason, 'restore at secondary site');
    assert.equal(entries[1]!.forUser, undefined);
    assert.equal((await verifyAudit(storage)).ok, true);
  } finally {
    await cleanup();
  }
});

test('operators and users cannot grant; nothing is written or audited', async () => {
  const {repo, storage, cleanup} = await setup();
  try {
    await storage.put(
      'access/policy.json',
      Buffer.from(
        JSON.stringify({
          format: 1,
          admins: {users: [], groups: ['backhaul-admins']},
          operators: {users: ['dave'], groups: []},
        }),
      ),
    );
    for (const actor of [dave, alice]) {
      const who = await accessContext(storage, actor);
      await assert.rejects(
        grantAccess(repo, who, COPY, parsePrincipal(`user:${actor.user}`)),
        (e: unknown) => e instanceof BackhaulError && e.exitCode === EXIT.denied && /may not grant/.test(e.message),
      );
      // Denied before the id is looked at: a missing id gives the same denial.
      await assert.rejects(
        grantAccess(repo, who, 'bnothere00001' as BackupId, parsePrincipal(`user:${actor.user}`)),
        (e: unknown) => e instanceof BackhaulError && e.exitCode === EXIT.denied,
      );
    }
    assert.equal((await repo.getBackup(COPY)).access, null);
    assert.deepEqual(await readAudit(storage), []);
  } finally {
    await cleanup();
  }
});

test('granting on a missing backup is not-found; malformed principals are usage errors', async () => {
  const {repo, storage, cleanup} = await setup();
  try {
    const admin = await accessContext(storage, carol);
    await assert.rejects(
      grantAccess(repo, admin, 'bnothere00001' as BackupId, parsePrincipal('user:alice')),
      (e: unknown) => e instanceof BackhaulError && e.code === 'not-found',
    );
    for (const bad of ['alice', 'user:', 'user:../x', 'role:admin', 'user:a b']) {
      assert.throws(
        () => parsePrincipal(bad),
        (e: unknown) => e instanceof BackhaulError && e.code === 'usage',
        bad,
      );
    }
  } finally {
    await cleanup();
  }
});
