// Every screen is registered once, and no screen binds one key to two of its actions.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {conflicts, GLOBAL_ACTIONS, SCREEN_KEYS} from '../../../source/ui/keymap.js';
import {createRegistry, SCREENS} from '../../../source/ui/screens/registry.js';

test('the registry holds every screen of the issue, each id once', () => {
  const registry = createRegistry(SCREENS);
  for (const id of [
    'backups',
    'points',
    'nodes',
    'plan',
    'progress',
    'history',
    'session',
    'repos',
    'jobs',
    'job-form',
  ])
    assert.ok(registry.has(id), id);
  assert.equal(registry.size, SCREENS.length);
});

test('no screen binds a key to two of its actions', () => {
  for (const screen of SCREENS) assert.deepEqual(conflicts(screen.actions), [], screen.id);
});

test("the screen keys and the global keys clash with no screen's own keys (they work from every screen)", () => {
  for (const screen of SCREENS) {
    const own = screen.actions.filter(a => !SCREEN_KEYS.includes(a) && !GLOBAL_ACTIONS.includes(a));
    assert.deepEqual(conflicts([...own, ...GLOBAL_ACTIONS, ...SCREEN_KEYS]), [], screen.id);
  }
});

test('each screen key opens exactly one screen, and every screen it opens says so', () => {
  for (const action of SCREEN_KEYS) {
    const opening = SCREENS.filter(s => s.jump?.action === action).map(s => s.id);
    assert.equal(opening.length, 1, `${action}: ${opening.join(', ')}`);
  }
  assert.deepEqual(
    SCREENS.filter(s => s.jump)
      .map(s => s.id)
      .sort(),
    ['audit', 'history', 'jobs', 'repos', 'restore'],
  );
});

test('breadcrumbs make the trail repo › machine › step', () => {
  const registry = createRegistry(SCREENS);
  assert.equal(registry.get('backups')!.breadcrumb({repo: 'demo-primary'}), 'demo-primary');
  assert.equal(registry.get('points')!.breadcrumb({machine: 'db01'}), 'db01');
  assert.equal(registry.get('nodes')!.breadcrumb({machine: 'sql-cluster'}), 'sql-cluster nodes');
  assert.equal(registry.get('plan')!.breadcrumb({}), 'copy plan');
});
