// Every screen is registered once, and no screen binds one key to two of its actions.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {conflicts} from '../../../source/ui/keymap.js';
import {createRegistry, SCREENS} from '../../../source/ui/screens/registry.js';

test('the registry holds every screen of the issue, each id once', () => {
  const registry = createRegistry(SCREENS);
  for (const id of ['backups', 'points', 'nodes', 'plan', 'progress', 'history', 'session', 'repos']) assert.ok(registry.has(id), id);
  assert.equal(registry.size, SCREENS.length);
});

test('no screen binds a key to two of its actions', () => {
  for (const screen of SCREENS) assert.deepEqual(conflicts(screen.actions), [], screen.id);
});

test('breadcrumbs make the trail repo › machine › step', () => {
  const registry = createRegistry(SCREENS);
  assert.equal(registry.get('backups')!.breadcrumb({repo: 'demo-primary'}), 'demo-primary');
  assert.equal(registry.get('points')!.breadcrumb({machine: 'db01'}), 'db01');
  assert.equal(registry.get('nodes')!.breadcrumb({machine: 'sql-cluster'}), 'sql-cluster nodes');
  assert.equal(registry.get('plan')!.breadcrumb({}), 'copy plan');
});
