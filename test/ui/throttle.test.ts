import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createThrottle, type Scheduler} from '../../source/ui/throttle.js';

/** A manual clock: time moves only when the test says so. */
function manualClock() {
  let now = 0;
  const timers: Array<{at: number; fn: () => void; id: number}> = [];
  let nextId = 1;
  const clock: Scheduler = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = nextId++;
      timers.push({at: now + ms, fn, id});
      return id;
    },
    clearTimeout: id => {
      const i = timers.findIndex(t => t.id === id);
      if (i >= 0) timers.splice(i, 1);
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.filter(t => t.at <= now)) {
      timers.splice(timers.indexOf(t), 1);
      t.fn();
    }
  };
  return {clock, advance};
}

test('1,000 progress events in one second give at most ~15 renders, and the last one always renders', () => {
  const {clock, advance} = manualClock();
  let renders = 0;
  const t = createThrottle(() => renders++, 66, clock);
  for (let i = 0; i < 1000; i++) {
    t.request();
    advance(1);
  }
  advance(100);
  // 1.1 s of simulated time at one render per 66 ms: 17 at most (first at once, trailing at the end).
  assert.ok(renders <= Math.ceil(1100 / 66) + 1, `${renders} renders`);
  assert.ok(renders >= 15, `${renders} renders`);
  advance(100);
  const before = renders;
  t.request();
  assert.equal(renders, before + 1, 'after a quiet spell a request renders at once');
});

test('flush renders a pending update now; cancel drops it', () => {
  const {clock, advance} = manualClock();
  let renders = 0;
  const t = createThrottle(() => renders++, 66, clock);
  t.request();
  t.request();
  assert.equal(renders, 1);
  t.flush();
  assert.equal(renders, 2);
  t.request();
  t.cancel();
  advance(1000);
  assert.equal(renders, 2);
});
