// When a job runs next, and the bandwidth limit's arithmetic (with an
// injected clock: no timed assertion).
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {Throttle} from '../../../source/engine/copy/gate.js';
import {withDefaults} from '../../../source/engine/jobs/job.js';
import {nextHealth, nextPeriodic, parseCron, parseInterval} from '../../../source/engine/jobs/schedule.js';

const created = new Date(2026, 11, 1, 12, 0).toISOString();

test('periodic: an interval counts from the last start (at once when never run); cron from the last start', () => {
  const every = withDefaults({name: 'a', source: 's', target: 't', mode: 'periodic', every: '1h', created});
  const now = new Date(2026, 11, 3, 10, 0);
  assert.deepEqual(nextPeriodic(every, undefined, now), now);
  assert.deepEqual(nextPeriodic(every, new Date(2026, 11, 3, 9, 30), now), new Date(2026, 11, 3, 10, 30));
  const cron = withDefaults({name: 'b', source: 's', target: 't', mode: 'periodic', cron: '0 2 * * *', created});
  assert.deepEqual(nextPeriodic(cron, new Date(2026, 11, 3, 2, 0), now), new Date(2026, 11, 4, 2, 0));
  const immediate = withDefaults({name: 'c', source: 's', target: 't', mode: 'immediate', created});
  assert.equal(nextPeriodic(immediate, undefined, now), undefined);
});

test('health: presets and cron expressions; monthly is 05:00 on the last Sunday', () => {
  const job = withDefaults({name: 'h', source: 's', target: 't', mode: 'immediate', health: 'monthly', created});
  assert.deepEqual(nextHealth(job, undefined), new Date(2026, 11, 27, 5, 0));
  assert.equal(nextHealth({...job, health: undefined}, undefined), undefined);
});

test('bad cron expressions and durations are usage errors naming them', () => {
  assert.throws(() => parseCron('61 * * * *'), /--cron "61 \* \* \* \*" is not a cron expression/);
  assert.throws(() => parseInterval('abc', '--rpo', 1000), /--rpo must be a duration of at least 1s, not "abc"/);
  assert.throws(() => parseInterval('10', '--every', 1000), /--every must be a duration/, 'a unit is required');
  assert.equal(parseInterval('1.5h', '--rpo'), 5_400_000);
});

test('the throttle lets through at most rate × time, and slow periods earn no burst', async () => {
  let now = 0;
  const waited: number[] = [];
  const throttle = new Throttle(
    1_000_000,
    () => now,
    async ms => {
      waited.push(ms);
    },
  );
  for (let i = 0; i < 5; i++) await throttle.pass(500_000);
  assert.deepEqual(waited, [500, 1000, 1500, 2000, 2500], 'each waits for the end of its slot');
  now = 10_000; // idle for a while
  waited.length = 0;
  await throttle.pass(1_000_000);
  await throttle.pass(1_000_000);
  assert.deepEqual(waited, [1000, 2000], 'no credit for the idle time');
});
