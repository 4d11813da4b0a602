import {test} from 'node:test';
import assert from 'node:assert/strict';
import {canPop, initialNav, navReducer, topOf, type NavAction, type NavState} from '../../source/ui/navigation.js';
import {initialShell, shellReducer} from '../../source/ui/shell-state.js';

const run = (s: NavState, ...actions: NavAction[]) => actions.reduce(navReducer, s);

test('push, pop, replace, reset and popTo keep a stack with unique keys', () => {
  let s = initialNav('backups');
  s = run(s, {type: 'push', screen: 'points', params: {backup: 'b1'}}, {type: 'push', screen: 'plan'});
  assert.deepEqual(
    s.stack.map(e => e.screen),
    ['backups', 'points', 'plan'],
  );
  assert.equal(new Set(s.stack.map(e => e.key)).size, 3);
  assert.deepEqual(topOf(run(s, {type: 'pop'})).params, {backup: 'b1'});
  const replaced = run(s, {type: 'replace', screen: 'progress'});
  assert.deepEqual(
    replaced.stack.map(e => e.screen),
    ['backups', 'points', 'progress'],
  );
  assert.notEqual(topOf(replaced).key, topOf(s).key, 'a replaced screen starts fresh');
  assert.deepEqual(
    run(s, {type: 'popTo', screen: 'backups'}).stack.map(e => e.screen),
    ['backups'],
  );
  assert.equal(run(s, {type: 'popTo', screen: 'nowhere'}), s);
  assert.deepEqual(
    run(s, {type: 'reset', screen: 'history'}).stack.map(e => e.screen),
    ['history'],
  );
});

test('the root screen is never popped', () => {
  const s = initialNav('backups');
  assert.equal(canPop(s), false);
  assert.equal(navReducer(s, {type: 'pop'}), s);
});

test('the shell clears the status and closes help when the screen changes', () => {
  let s = initialShell('backups');
  s = shellReducer(s, {type: 'status', status: {kind: 'error', message: 'Locked.'}});
  s = shellReducer(s, {type: 'help', open: true});
  s = shellReducer(s, {type: 'nav', action: {type: 'push', screen: 'points'}});
  assert.equal(s.status, undefined);
  assert.equal(s.help, false);
  const same = shellReducer(s, {type: 'nav', action: {type: 'popTo', screen: 'points'}});
  assert.equal(same, s);
});
