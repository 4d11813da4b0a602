/**
 * Where the state directory is (audit anchors, refusals): root's is fixed, and
 * a sudo caller can never move it; other users follow XDG_STATE_HOME.
 */
import assert from 'node:assert/strict';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {test} from 'node:test';
import {ROOT_STATE_DIR, stateDir} from '../../../source/engine/workspace/dirs.js';

test('root keeps its state in /var/lib/backhaul; BACKHAUL_STATE_DIR moves it only without sudo', () => {
  assert.equal(ROOT_STATE_DIR, '/var/lib/backhaul');
  assert.equal(stateDir({uid: 0, env: {}}), '/var/lib/backhaul');
  assert.equal(stateDir({uid: 0, env: {XDG_STATE_HOME: '/tmp/x'}}), '/var/lib/backhaul', 'root ignores XDG');
  assert.equal(stateDir({uid: 0, env: {BACKHAUL_STATE_DIR: '/tmp/test-state'}}), '/tmp/test-state');
  assert.equal(stateDir({uid: 0, env: {BACKHAUL_STATE_DIR: 'relative'}}), '/var/lib/backhaul');
  assert.equal(
    stateDir({
      uid: 0,
      env: {SUDO_UID: '1001', BACKHAUL_STATE_DIR: '/home/alice/evil', XDG_STATE_HOME: '/home/alice/.state'},
    }),
    '/var/lib/backhaul',
  );
  assert.equal(stateDir({uid: 0, env: {SUDO_UID: '0', BACKHAUL_STATE_DIR: '/tmp/x'}}), '/var/lib/backhaul');
});

test('other users keep theirs in $XDG_STATE_HOME/backhaul, by default ~/.local/state/backhaul', () => {
  assert.equal(stateDir({uid: 1001, env: {XDG_STATE_HOME: '/home/alice/.st'}}), '/home/alice/.st/backhaul');
  assert.equal(stateDir({uid: 1001, env: {}}), join(homedir(), '.local', 'state', 'backhaul'));
  assert.equal(
    stateDir({uid: 1001, env: {XDG_STATE_HOME: 'not/absolute'}}),
    join(homedir(), '.local', 'state', 'backhaul'),
  );
  assert.equal(
    stateDir({uid: 1001, env: {BACKHAUL_STATE_DIR: '/tmp/x'}}),
    join(homedir(), '.local', 'state', 'backhaul'),
  );
});
