import assert from 'node:assert/strict';
import {chown} from 'node:fs/promises';
import {test} from 'node:test';
import {readAudit} from '../../../source/engine/access/audit.js';
import {accessContext} from '../../../source/engine/access/authorize.js';
import {applyPolicyChange, changePolicy} from '../../../source/engine/access/policy-change.js';
import {
  defaultPolicy,
  hasPrivilege,
  loadPolicy,
  parsePolicy,
  POLICY_KEY,
  PRIVILEGES,
  repositoryOwnerUid,
  roleOf,
  ROLE_PRIVILEGES,
  savePolicy,
} from '../../../source/engine/access/policy.js';
import {BackhaulError, EXIT} from '../../../source/engine/errors.js';
import {S3Storage} from '../../../source/engine/storage/s3.js';
import {alice, bob, carol, dave, root, tempStorage} from './fixtures.js';

const isCode = (code: string) => (e: unknown) => e instanceof BackhaulError && e.code === code;

test('roles are nested sets of privileges: admin ⊇ operator ⊇ user', () => {
  for (const p of ROLE_PRIVILEGES.user) assert.ok(ROLE_PRIVILEGES.operator.has(p), p);
  for (const p of ROLE_PRIVILEGES.operator) assert.ok(ROLE_PRIVILEGES.admin.has(p), p);
  assert.equal(ROLE_PRIVILEGES.admin.size, PRIVILEGES.length);
  assert.ok(hasPrivilege('operator', 'restore.delegated'));
  assert.ok(hasPrivilege('operator', 'audit.read'));
  assert.ok(!hasPrivilege('operator', 'policy.change'));
  assert.ok(!hasPrivilege('operator', 'access.grant'));
  assert.ok(!hasPrivilege('user', 'copy.read'));
});

test('default policy: root and the backhaul-admins group are admins, everyone else a user', () => {
  const policy = defaultPolicy();
  assert.equal(roleOf(root, policy), 'admin');
  assert.equal(roleOf(carol, policy), 'admin'); // member of backhaul-admins
  assert.equal(roleOf(alice, policy), 'user');
  assert.equal(roleOf(dave, policy), 'user');
});

test('the repository owner is an admin of that repository only', () => {
  assert.equal(roleOf(bob, defaultPolicy(), 1002), 'admin');
  assert.equal(roleOf(bob, defaultPolicy(), 1001), 'user');
});

test('policy users and groups make admins and operators', () => {
  const policy = {
    format: 1 as const,
    admins: {users: ['bob'], groups: []},
    operators: {users: [], groups: ['helpdesk']},
  };
  assert.equal(roleOf(bob, policy), 'admin');
  assert.equal(roleOf(dave, policy), 'operator');
  assert.equal(roleOf(carol, policy), 'user'); // backhaul-admins is no longer named
  assert.equal(roleOf(root, policy), 'admin');
});

test('malformed policies are refused, not guessed at', () => {
  assert.throws(() => parsePolicy(null), isCode('corrupt'));
  assert.throws(
    () => parsePolicy({format: 2, admins: {users: [], groups: []}, operators: {users: [], groups: []}}),
    isCode('corrupt'),
  );
  assert.throws(
    () => parsePolicy({format: 1, admins: {users: 'bob', groups: []}, operators: {users: [], groups: []}}),
    isCode('corrupt'),
  );
  assert.throws(() => parsePolicy({format: 1, admins: {users: [], groups: []}}), isCode('corrupt'));
});

test('the policy is stored in the repository; absent means the default', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    assert.deepEqual(await loadPolicy(storage), defaultPolicy());
    const policy = applyPolicyChange(defaultPolicy(), 'add-operator', 'user:dave');
    await savePolicy(storage, policy);
    assert.deepEqual(await loadPolicy(storage), policy);
    await storage.put(POLICY_KEY, Buffer.from('{not json'));
    await assert.rejects(loadPolicy(storage), isCode('corrupt'));
  } finally {
    await cleanup();
  }
});

test('repositoryOwnerUid is the uid owning the repository directory', async t => {
  const {storage, dir, cleanup} = await tempStorage();
  try {
    assert.equal(await repositoryOwnerUid(storage), process.getuid!());
    if (process.getuid!() !== 0) return t.skip('changing the owner needs root');
    await chown(dir, 1002, 1002);
    assert.equal(await repositoryOwnerUid(storage), 1002);
    assert.equal((await accessContext(storage, bob)).role, 'admin');
    assert.equal((await accessContext(storage, alice)).role, 'user');
  } finally {
    await cleanup();
  }
});

test('object storage has no owner: only root and the policy make admins there', async () => {
  const s3 = new S3Storage('s3://owners/p', {endpoint: 'http://127.0.0.1:1'});
  try {
    assert.equal(await repositoryOwnerUid(s3), undefined);
  } finally {
    await s3.close();
  }
});

test('admins change the policy, audited; others are denied with exit code 15', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    const admin = await accessContext(storage, carol);
    const result = await changePolicy(storage, admin, {
      op: 'add-operator',
      principal: 'user:dave',
      reason: 'helpdesk rota',
    });
    assert.equal(result.changed, true);
    assert.deepEqual((await loadPolicy(storage)).operators.users, ['dave']);
    const operator = await accessContext(storage, dave);
    assert.equal(operator.role, 'operator');
    for (const who of [operator, await accessContext(storage, alice)]) {
      await assert.rejects(
        changePolicy(storage, who, {op: 'add-admin', principal: `user:${who.actor.user}`}),
        (e: unknown) => {
          assert.ok(e instanceof BackhaulError);
          assert.equal(e.exitCode, EXIT.denied);
          assert.match(e.message, /may not change the access policy/);
          assert.notEqual(e.hint, '');
          return true;
        },
      );
    }
    const again = await changePolicy(storage, admin, {op: 'add-operator', principal: 'user:dave'});
    assert.equal(again.changed, false);
    const entries = await readAudit(storage);
    assert.deepEqual(
      entries.map(e => [e.action, e.change, e.principal, e.result, e.actor.user]),
      [
        ['policy.change', 'add-operator', 'user:dave', 'ok', 'carol'],
        ['policy.change', 'add-operator', 'user:dave', 'unchanged', 'carol'],
      ],
    );
    assert.equal(entries[0]!.reason, 'helpdesk rota');
  } finally {
    await cleanup();
  }
});

test('an admin cannot remove their own admin rights by accident', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    const admin = await accessContext(storage, carol);
    await assert.rejects(
      changePolicy(storage, admin, {op: 'remove-admin', principal: 'group:backhaul-admins'}),
      isCode('denied'),
    );
    assert.deepEqual(await loadPolicy(storage), defaultPolicy());
    await changePolicy(storage, admin, {
      op: 'remove-admin',
      principal: 'group:backhaul-admins',
      allowSelfDemotion: true,
    });
    assert.equal((await accessContext(storage, carol)).role, process.getuid!() === 1003 ? 'admin' : 'user');
  } finally {
    await cleanup();
  }
});

test('policy changes reject malformed principals', () => {
  assert.throws(() => applyPolicyChange(defaultPolicy(), 'add-admin', 'user:../x'), isCode('usage'));
  assert.throws(() => applyPolicyChange(defaultPolicy(), 'add-admin', 'bob'), isCode('usage'));
  assert.throws(() => applyPolicyChange(defaultPolicy(), 'add-admin', 'user:a\nb'), isCode('usage'));
});
