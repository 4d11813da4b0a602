// The copy window's syntax and arithmetic: rules add up, a range may wrap the
// week and a time range may run past midnight, the state says when it
// changes, and a window that never opens is refused.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {BackhaulError} from '../../../source/engine/errors.js';
import {describeWindow, parseWindow, windowState} from '../../../source/engine/jobs/window.js';

// 2026-11-30 is a Monday; times are local, as the window's are.
const at = (day: number, h: number, m = 0) => new Date(2026, 10, 30 + day, h, m);

test('office hours: closed inside, open outside, and when that changes', () => {
  const w = parseWindow(['mon-fri 08:00-18:00']);
  assert.deepEqual(windowState(w, at(0, 9)), {open: false, changesAt: at(0, 18)});
  assert.deepEqual(windowState(w, at(0, 7)), {open: true, changesAt: at(0, 8)});
  assert.deepEqual(
    windowState(w, at(4, 19)),
    {open: true, changesAt: at(7, 8)},
    'Friday evening: open until Monday 08:00',
  );
  assert.equal(windowState(w, at(5, 12)).open, true, 'Saturday');
});

test('a time range past midnight, and Sunday night into Monday', () => {
  const w = parseWindow(['sun 22:00-06:00']);
  assert.equal(windowState(w, at(6, 23)).open, false);
  assert.deepEqual(windowState(w, at(7, 1)), {open: false, changesAt: at(7, 6)}, 'Monday 01:00 is still inside');
  assert.equal(windowState(w, at(7, 7)).open, true);
  const merged = parseWindow(['daily 22:00-24:00', 'daily 00:00-06:00']);
  assert.deepEqual(windowState(merged, at(2, 23)), {open: false, changesAt: at(3, 6)}, 'adjacent rules merge');
});

test('no rules: always open; bad rules and a window that never opens are refused', () => {
  assert.deepEqual(windowState(parseWindow([]), at(0, 12)), {open: true});
  assert.equal(describeWindow(parseWindow([])), 'none (any time)');
  for (const [rule, pattern] of [
    ['someday 08:00-09:00', /names no day "someday"/],
    ['mon 8-9', /bad time "8"|is not "DAYS FROM-TO"/],
    ['mon 25:00-26:00', /bad time/],
    ['mon 08:00-08:00', /starts and ends at the same time/],
    ['mon', /is not "DAYS FROM-TO"/],
  ] as const) {
    assert.throws(
      () => parseWindow([rule]),
      (e: unknown) => e instanceof BackhaulError && e.code === 'usage' && pattern.test(e.message) && e.hint !== '',
      rule,
    );
  }
  assert.throws(() => parseWindow(['daily 00:00-24:00']), /never opens/);
  assert.throws(() => parseWindow(['weekdays 00:00-24:00', 'weekends 00:00-24:00']), /never opens/);
  assert.throws(() => parseWindow(['daily 12:00-12:00:01', 'daily 12:00:01-12:00']), /never opens/);
});
