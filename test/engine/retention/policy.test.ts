/**
 * The GFS selection (retention/policy.ts): short-term last N (never below
 * 3), the newest point of each of the newest W weeks / M months / Y years
 * that hold points, configurable period starts, several reasons listed.
 * The clock is the points' own times.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import {monthOf, selectPoints, weekOf, yearOf, type RetentionPolicy} from '../../../source/engine/retention/policy.js';

const at = (iso: string, i: number) => ({id: `p${String(i).padStart(3, '0')}`, time: new Date(iso).toISOString()});
/** `count` points `hours` apart from `start`. */
function every(start: string, hours: number, count: number) {
  return Array.from({length: count}, (_, i) =>
    at(new Date(Date.parse(start) + i * hours * 3_600_000).toISOString(), i),
  );
}
const kept = (points: {id: string; time: string}[], policy: RetentionPolicy) =>
  selectPoints(points, policy).kept.map(k => `${k.point.time.slice(0, 13)} ${k.keptFor.join('+')}`);

test('last 3 + weekly 2 + monthly 1 over 12 points 18 h apart: the exact points, with every reason', () => {
  const points = every('2026-01-01T00:00:00Z', 18, 12); // Thursday 1 January to Friday 9 January
  assert.deepEqual(kept(points, {keepLast: 3, keepWeekly: 2, keepMonthly: 1}), [
    '2026-01-04T18 weekly', // newest of the week starting Monday 29 December
    '2026-01-07T18 short-term',
    '2026-01-08T12 short-term',
    '2026-01-09T06 short-term+weekly+monthly',
  ]);
  const {removed} = selectPoints(points, {keepLast: 3, keepWeekly: 2, keepMonthly: 1});
  assert.equal(removed.length, 8);
  assert.deepEqual(
    removed.map(p => p.id),
    ['p000', 'p001', 'p002', 'p003', 'p004', 'p006', 'p007', 'p008'],
  );
});

test('the order points are given in does not matter; kept and removed come oldest first', () => {
  const points = every('2026-03-01T00:00:00Z', 30, 10);
  const shuffled = [...points].reverse();
  assert.deepEqual(selectPoints(shuffled, {keepLast: 4}), selectPoints(points, {keepLast: 4}));
  assert.deepEqual(
    selectPoints(points, {keepLast: 4}).kept.map(k => k.point.id),
    ['p006', 'p007', 'p008', 'p009'],
  );
});

test('periods with no point are skipped: W weeks means W weeks that have points', () => {
  const points = [
    at('2026-01-05T10:00:00Z', 0), // week of 5 January
    at('2026-01-06T10:00:00Z', 1),
    at('2026-02-02T10:00:00Z', 2), // a month later
    at('2026-03-02T10:00:00Z', 3),
    at('2026-03-03T10:00:00Z', 4),
    at('2026-03-04T10:00:00Z', 5),
  ];
  assert.deepEqual(kept(points, {keepLast: 3, keepWeekly: 3}), [
    '2026-01-06T10 weekly',
    '2026-02-02T10 weekly',
    '2026-03-02T10 short-term',
    '2026-03-03T10 short-term',
    '2026-03-04T10 short-term+weekly',
  ]);
});

test('yearly and monthly reach back as far as their counts; fewer points than N keeps all', () => {
  const points = every('2022-06-15T00:00:00Z', 24 * 100, 14); // about every 100 days, 3.5 years
  const result = selectPoints(points, {keepLast: 3, keepYearly: 3, keepMonthly: 5});
  const yearly = result.kept.filter(k => k.keptFor.includes('yearly')).map(k => k.point.time.slice(0, 4));
  assert.equal(points.at(-1)!.time.slice(0, 10), '2026-01-05');
  assert.deepEqual(yearly, ['2024', '2025', '2026']);
  assert.equal(result.kept.filter(k => k.keptFor.includes('monthly')).length, 5);
  assert.deepEqual(selectPoints(points.slice(0, 2), {keepLast: 3}).removed, []);
  assert.deepEqual(selectPoints([], {keepLast: 3}), {kept: [], removed: []});
});

test('the day a week, month and year start on is configurable', () => {
  const sunday = Date.parse('2026-01-04T12:00:00Z');
  const monday = Date.parse('2026-01-05T12:00:00Z');
  assert.notEqual(weekOf(sunday), weekOf(monday)); // weeks start on Monday by default
  assert.equal(weekOf(sunday, 0), weekOf(monday, 0)); // both in the week starting Sunday 4 January
  assert.equal(monthOf(Date.parse('2026-02-09T00:00:00Z'), 10), monthOf(Date.parse('2026-01-10T00:00:00Z'), 10));
  assert.notEqual(monthOf(Date.parse('2026-02-10T00:00:00Z'), 10), monthOf(Date.parse('2026-02-09T00:00:00Z'), 10));
  assert.equal(yearOf(Date.parse('2026-03-31T00:00:00Z'), 4), 2025); // a year starting in April
  assert.equal(yearOf(Date.parse('2026-04-01T00:00:00Z'), 4), 2026);
  // The newest point of the week starting Sunday is the Sunday one.
  const points = [
    at('2026-01-03T12:00:00Z', 10),
    at('2026-01-04T12:00:00Z', 11),
    ...every('2026-01-10T00:00:00Z', 1, 3),
  ];
  assert.deepEqual(
    selectPoints(points, {keepLast: 3, keepWeekly: 2, weeklyDay: 0}).kept.map(k => k.point.time.slice(0, 10)),
    ['2026-01-03', '2026-01-10', '2026-01-10', '2026-01-10'],
  );
});

test('--keep-last below 3 is refused with one sentence (usage: exit 2); bad GFS values too', () => {
  for (const keepLast of [0, 1, 2]) {
    assert.throws(
      () => selectPoints([], {keepLast}),
      (e: unknown) =>
        e instanceof BackhaulError &&
        e.code === 'usage' &&
        e.exitCode === 2 &&
        /^--keep-last must be at least 3, not \d: .*\.$/.test(e.message),
    );
  }
  assert.throws(() => selectPoints([], {keepLast: 3, keepWeekly: -1}), /--keep-weekly/);
  assert.throws(() => selectPoints([], {keepLast: 3, weeklyDay: 7}), /--weekly-day/);
  assert.throws(() => selectPoints([], {keepLast: 3, monthlyDay: 29}), /--monthly-day/);
});
