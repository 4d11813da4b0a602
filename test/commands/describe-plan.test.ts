// The copy plan as `backhaul copy` prints it (issue 18): the older points a
// default run leaves out are not said to be "filtered by --points" when no
// --points was given; the totals say how many points are already on the
// target and how many are not selected; the shared-disk note names the node
// each shared disk is sent with.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {describePlan, planJson} from '../../source/commands/copy.js';
import {planCopy} from '../../source/engine/copy/plan.js';
import {resolveRepository} from '../../source/engine/workspace/open.js';
import {makeWorld, type World} from '../ui/screens/world.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

test('not selected by default is not "filtered by --points"; --points is named only when given', async () => {
  const [source, target] = await Promise.all([resolveRepository('demo-primary'), resolveRepository('demo-secondary')]);
  const plan = await planCopy(source, target, {});
  const text = describePlan(plan);
  assert.doesNotMatch(text, /filtered by --points|--points latest\)/);
  assert.match(
    text,
    /alice-laptop .*\n(.*\n)*\s+2 point\(s\) not selected \(only the latest is copied by default; --points all copies every point\)/,
  );
  assert.match(text, /Total: 3 point\(s\) to copy, 0 already on target, 3 not selected;/);
  assert.match(text, /Note: sql-cluster: .*data with node2 \(its owner\)/);
  const given = describePlan(await planCopy(source, target, {points: 'latest:2'}), 'latest:2');
  assert.match(given, /1 point\(s\) not selected \(--points latest:2\)/);
  const json = planJson(plan);
  assert.equal(
    json.pointsSkipped,
    json.backups.flatMap(b => b.points).filter(p => p.action === 'skip').length,
    'the JSON counts what it lists',
  );
});
