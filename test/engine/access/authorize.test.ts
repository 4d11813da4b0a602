import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  accessContext,
  canSeeBackup,
  filterVisible,
  getVisibleBackup,
  getVisiblePoint,
  requirePrivilege,
  type AccessContext,
} from '../../../source/engine/access/authorize.js';
import {defaultPolicy, roleOf, type Policy} from '../../../source/engine/access/policy.js';
import type {Actor} from '../../../source/engine/access/identity.js';
import {BackhaulError, EXIT} from '../../../source/engine/errors.js';
import type {BackupId, PointId} from '../../../source/engine/ids.js';
import type {PointManifest} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {alice, backup, bob, carol, dave, root, tempStorage} from './fixtures.js';

const policy: Policy = {...defaultPolicy(), operators: {users: [], groups: ['helpdesk']}};
const ctx = (actor: Actor): AccessContext => ({actor, policy, role: roleOf(actor, policy)});

const aliceOwn = backup('balice0000001', ['user:alice']);
const bobOwn = backup('bbob000000001', ['user:bob'], 'bob');
const financeShared = backup('bfinance00001', ['user:bob', 'group:finance'], 'bob');
const copy = backup('bcopy00000001', null);
const all = [aliceOwn, bobOwn, financeShared, copy];

test('admins see everything, including copies', () => {
  for (const actor of [root, carol]) assert.deepEqual(filterVisible(actor, ctx(actor).role, all), all);
});

test('a user sees only backups whose access list names them or a group of theirs', () => {
  assert.deepEqual(
    filterVisible(alice, 'user', all).map(b => b.id),
    ['balice0000001', 'bfinance00001'],
  );
  assert.deepEqual(
    filterVisible(bob, 'user', all).map(b => b.id),
    ['bbob000000001', 'bfinance00001'],
  );
});

test('copies are hidden from users, visible to operators (for delegated restore)', () => {
  assert.equal(canSeeBackup(alice, 'user', copy), false);
  assert.equal(canSeeBackup(dave, ctx(dave).role, copy), true);
  assert.equal(canSeeBackup(dave, ctx(dave).role, aliceOwn), false);
  // A copy an admin re-granted stays visible to operators and becomes visible to the grantee.
  const granted = {
    ...copy,
    access: ['user:alice' as const],
    origin: {repositoryId: 'r' as never, location: '/src', copiedAt: '2024-05-02T00:00:00Z'},
  };
  assert.equal(canSeeBackup(alice, 'user', granted), true);
  assert.equal(canSeeBackup(bob, 'user', granted), false);
  assert.equal(canSeeBackup(dave, 'operator', granted), true);
});

test('a group principal is not confused with a user of the same name', () => {
  const groupOnly = backup('bgroup0000001', ['group:alice']);
  const userNamedFinance = backup('bgroup0000002', ['user:finance']);
  assert.equal(canSeeBackup(alice, 'user', groupOnly), true); // alice's primary group is "alice"
  assert.equal(canSeeBackup(alice, 'user', userNamedFinance), false);
});

test('requirePrivilege denies with exit code 15, a clear message and a hint', () => {
  requirePrivilege(carol, 'admin', 'policy.change');
  requirePrivilege(dave, 'operator', 'restore.delegated');
  assert.throws(
    () => requirePrivilege(alice, 'user', 'restore.delegated'),
    (e: unknown) => {
      assert.ok(e instanceof BackhaulError);
      assert.equal(e.exitCode, EXIT.denied);
      assert.match(e.message, /alice may not restore on another user's behalf/);
      assert.match(e.hint, /administrator/);
      return true;
    },
  );
  assert.throws(() => requirePrivilege(dave, 'operator', 'access.grant'), /dave may not grant or revoke access/);
});

function point(backupId: string, id: string): PointManifest {
  return {
    format: 1,
    id: id as PointId,
    backupId: backupId as BackupId,
    time: '2024-05-01T10:00:00.000Z',
    type: 'full',
    nodes: [],
    logicalBytes: 0,
    storedBytes: 0,
  };
}

async function caught(p: Promise<unknown>): Promise<BackhaulError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof BackhaulError, String(e));
    return e;
  }
  assert.fail('expected an error');
}

const shape = (e: BackhaulError) => ({code: e.code, exitCode: e.exitCode, message: e.message, hint: e.hint});

test('a hidden backup or point gives exactly the error a missing one gives', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    const repo = await Repository.create(storage);
    for (const b of all) await repo.putBackup(b);
    await storage.put(
      `backups/${aliceOwn.id}/points/palice0000001.json`,
      Buffer.from(JSON.stringify(point(aliceOwn.id, 'palice0000001'))),
    );

    const asBob = await accessContext(storage, bob);
    assert.equal(asBob.role, 'user');
    const asAlice = await accessContext(storage, alice);

    assert.equal((await getVisibleBackup(repo, asAlice, aliceOwn.id)).id, aliceOwn.id);
    assert.equal((await getVisiblePoint(repo, asAlice, aliceOwn.id, 'palice0000001' as PointId)).id, 'palice0000001');

    // Backup ids: hidden (alice's, a copy) vs missing, with the same id length so even lengths match.
    const hidden = await caught(getVisibleBackup(repo, asBob, aliceOwn.id));
    const missing = await caught(getVisibleBackup(repo, asBob, 'bnothere00001' as BackupId));
    assert.equal(hidden.code, 'not-found');
    assert.deepEqual(shape(hidden), {
      ...shape(missing),
      message: missing.message.replace('bnothere00001', aliceOwn.id),
    });
    const hiddenCopy = await caught(getVisibleBackup(repo, asBob, copy.id));
    assert.deepEqual(shape(hiddenCopy), {
      ...shape(missing),
      message: missing.message.replace('bnothere00001', copy.id),
    });

    // Restore points by id: bob cannot read alice's, and learns nothing about whether they exist.
    const hiddenPoint = await caught(getVisiblePoint(repo, asBob, aliceOwn.id, 'palice0000001' as PointId));
    const missingPoint = await caught(
      getVisiblePoint(repo, asBob, 'bnothere00001' as BackupId, 'palice0000001' as PointId),
    );
    assert.deepEqual(shape(hiddenPoint), {
      ...shape(missingPoint),
      message: missingPoint.message.replace('bnothere00001', aliceOwn.id),
    });
    const aliceMissingPoint = await caught(getVisiblePoint(repo, asAlice, aliceOwn.id, 'pnothere00001' as PointId));
    assert.equal(aliceMissingPoint.code, 'not-found');

    // Malformed ids are just "not found" too.
    assert.equal((await caught(getVisibleBackup(repo, asBob, '../../etc' as BackupId))).code, 'not-found');
  } finally {
    await cleanup();
  }
});
