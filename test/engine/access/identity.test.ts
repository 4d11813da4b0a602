import assert from 'node:assert/strict';
import {test} from 'node:test';
import {
  currentActor,
  fileUserDb,
  lookupGroup,
  lookupUser,
  parseGroup,
  parsePasswd,
  resolveActor,
  systemUserDb,
} from '../../../source/engine/access/identity.js';
import {defaultPolicy, roleOf} from '../../../source/engine/access/policy.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {db, GROUP, PASSWD} from './fixtures.js';

test('the actor is the process user, with primary and supplementary groups', () => {
  const actor = resolveActor({uid: 1001, gid: 1001, env: {}}, db);
  assert.deepEqual(actor, {uid: 1001, gid: 1001, user: 'alice', groups: ['alice', 'finance'], viaSudo: false});
});

test('SUDO_UID is ignored unless the real uid is 0', () => {
  const actor = resolveActor({uid: 1002, gid: 1002, env: {SUDO_UID: '0', SUDO_GID: '0'}}, db);
  assert.equal(actor.user, 'bob');
  assert.equal(actor.uid, 1002);
  assert.equal(actor.viaSudo, false);
  assert.equal(roleOf(actor, defaultPolicy()), 'user');
});

test("as root with SUDO_UID, the actor is the sudo caller with the caller's rights, not root's", () => {
  const actor = resolveActor({uid: 0, gid: 0, env: {SUDO_UID: '1001', SUDO_GID: '1001', SUDO_USER: 'mallory'}}, db);
  assert.deepEqual(actor, {uid: 1001, gid: 1001, user: 'alice', groups: ['alice', 'finance'], viaSudo: true});
  assert.equal(roleOf(actor, defaultPolicy(), 0), 'user');
});

test('a sudo caller in the admin group is an admin', () => {
  const actor = resolveActor({uid: 0, gid: 0, env: {SUDO_UID: '1003', SUDO_GID: '1003'}}, db);
  assert.equal(actor.user, 'carol');
  assert.ok(actor.groups.includes('backhaul-admins'));
  assert.equal(roleOf(actor, defaultPolicy(), 0), 'admin');
});

test('root without SUDO_UID (or with an empty one) is root', () => {
  for (const env of [{}, {SUDO_UID: ''}]) {
    const actor = resolveActor({uid: 0, gid: 0, env}, db);
    assert.equal(actor.user, 'root');
    assert.equal(actor.viaSudo, false);
    assert.equal(roleOf(actor, defaultPolicy()), 'admin');
  }
});

test('a malformed SUDO_UID as root fails closed instead of falling back to root', () => {
  for (const bad of ['abc', '-1', '1001 ', '0x10', '99999999999']) {
    assert.throws(
      () => resolveActor({uid: 0, gid: 0, env: {SUDO_UID: bad}}, db),
      (e: unknown) => e instanceof BackhaulError && e.code === 'denied',
    );
  }
});

test("SUDO_GID defaults to the caller's primary group when absent", () => {
  const actor = resolveActor({uid: 0, gid: 0, env: {SUDO_UID: '1002'}}, db);
  assert.equal(actor.gid, 1002);
  assert.deepEqual(actor.groups, ['bob']);
});

test('an unknown uid gets a placeholder name that no access list can name', () => {
  const actor = resolveActor({uid: 4242, gid: 4242, env: {}}, db);
  assert.equal(actor.user, '#4242');
  assert.deepEqual(actor.groups, []);
});

test('passwd and group parsing skips comments and malformed lines', () => {
  assert.equal(parsePasswd(PASSWD + 'broken line\nx:y:notanumber:1::/:/bin/sh\n').length, 5);
  const groups = parseGroup(GROUP);
  assert.deepEqual(groups.find(g => g.name === 'finance')?.members, ['alice', 'carol']);
});

test('lookupUser finds users and gives a clear not-found error', () => {
  assert.deepEqual(lookupUser('bob', db), {name: 'bob', uid: 1002, gid: 1002});
  assert.throws(
    () => lookupUser('nobody-here', db),
    (e: unknown) =>
      e instanceof BackhaulError && e.code === 'not-found' && /nobody-here/.test(e.message) && e.hint !== '',
  );
});

test('the fallback resolves users the files do not list', () => {
  const withFallback = fileUserDb('', '', {
    userByName: name => (name === 'ldapuser' ? {name, uid: 5000, gid: 5000} : undefined),
    groupsOf: () => ['ldapgroup'],
  });
  assert.equal(lookupUser('ldapuser', withFallback).uid, 5000);
  assert.deepEqual(withFallback.groupsOf({name: 'ldapuser', uid: 5000, gid: 5000}), ['ldapgroup']);
});

test("the real system database and process resolve this process's user", () => {
  const uid = process.getuid!();
  const actor = currentActor();
  if (uid === 0 && process.env['SUDO_UID']) {
    assert.equal(actor.viaSudo, true);
  } else {
    assert.equal(actor.uid, uid);
    assert.equal(actor.viaSudo, false);
  }
  assert.equal(lookupUser('root', systemUserDb()).uid, 0);
  assert.throws(
    () => lookupUser('no-such-user-xyz', systemUserDb()),
    (e: unknown) => e instanceof BackhaulError && e.code === 'not-found',
  );
});

test('a group the files do not list is looked up through NSS (getent, run by execa)', () => {
  assert.equal(lookupGroup('root', ''), 'root', "getent knows root's group");
  assert.throws(
    () => lookupGroup('no-such-group-xyz', ''),
    (e: unknown) => e instanceof BackhaulError && e.code === 'not-found',
  );
});
