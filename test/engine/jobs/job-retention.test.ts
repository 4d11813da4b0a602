/**
 * A job's retention apart from running it (jobs/job-retention.ts): the
 * prune schedule (never pruned: due; --prune-every counted from the last
 * prune, default 7 days; --prune-cron's occurrences), what the history says
 * the last retention did and when it last pruned, and the checks a job's
 * retention gets (the policy's, and one prune schedule).
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {SessionRecord} from '../../../source/engine/jobs/history.js';
import {emptySummary} from '../../../source/engine/jobs/history.js';
import {
  checkRetention,
  describeRetention,
  lastPruneOf,
  pruneDue,
  retentionStatus,
} from '../../../source/engine/jobs/job-retention.js';

const CREATED = '2026-03-01T00:00:00.000Z';
const at = (iso: string) => new Date(iso);

test('prune is due when it never ran, and again once --prune-every (default 7d) has passed since the last', () => {
  const r = {keepLast: 3};
  assert.equal(pruneDue(r, CREATED, undefined, at('2026-03-01T01:00:00Z')), true);
  const last = at('2026-03-02T00:00:00Z');
  assert.equal(pruneDue(r, CREATED, last, at('2026-03-08T23:59:59Z')), false);
  assert.equal(pruneDue(r, CREATED, last, at('2026-03-09T00:00:00Z')), true);
  const hourly = {keepLast: 3, pruneEvery: '1h'};
  assert.equal(pruneDue(hourly, CREATED, last, at('2026-03-02T00:59:00Z')), false);
  assert.equal(pruneDue(hourly, CREATED, last, at('2026-03-02T01:00:00Z')), true);
});

test('--prune-cron: due once an occurrence has come since the last prune (or since the job was made)', () => {
  // 03:00 on Sundays (local time: the test compares across a whole week, so the zone does not matter).
  const r = {keepLast: 3, pruneCron: '0 3 * * SUN'};
  assert.equal(pruneDue(r, CREATED, undefined, at('2026-03-01T00:00:01Z')), false, 'made just now: not yet');
  assert.equal(pruneDue(r, CREATED, undefined, at('2026-03-09T12:00:00Z')), true, 'a Sunday 03:00 has passed');
  assert.equal(pruneDue(r, CREATED, at('2026-03-09T11:00:00Z'), at('2026-03-09T12:00:00Z')), false);
  assert.equal(pruneDue(r, CREATED, at('2026-03-09T11:00:00Z'), at('2026-03-17T12:00:00Z')), true);
});

function record(job: string, endedAt: string, retention?: SessionRecord['retention']): SessionRecord {
  const summary = emptySummary('success', endedAt, endedAt);
  return {kind: 'copy', source: 's', target: 't', job, summary, ...(retention ? {retention} : {})};
}

test("the status is the job's last retention, with its last prune; other jobs' and runs without retention are passed over", () => {
  const history = [
    record('a', '2026-03-01T00:00:00.000Z', {kept: 3, removed: 0, bytesFreed: 500, pruned: true}),
    record('a', '2026-03-02T00:00:00.000Z', {kept: 3, removed: 1, bytesFreed: 0, pruned: false}),
    record('b', '2026-03-03T00:00:00.000Z', {kept: 9, removed: 9, bytesFreed: 9, pruned: true}),
    record('a', '2026-03-04T00:00:00.000Z'),
  ];
  assert.deepEqual(retentionStatus(history, 'a'), {
    kept: 3,
    removed: 1,
    bytesFreed: 0,
    at: '2026-03-02T00:00:00.000Z',
    lastPrune: '2026-03-01T00:00:00.000Z',
  });
  assert.equal(lastPruneOf(history, 'a')?.toISOString(), '2026-03-01T00:00:00.000Z');
  assert.equal(retentionStatus(history, 'c'), undefined);
  const postponed = [
    ...history,
    record('a', '2026-03-05T00:00:00.000Z', {kept: 0, removed: 0, bytesFreed: 0, pruned: false, postponed: 'forget'}),
  ];
  assert.equal(retentionStatus(postponed, 'a')?.postponed, 'forget');
});

test('checks: the policy as forget checks it (keep-last at least 3), one prune schedule, each parses', () => {
  const usage = (f: () => void, re: RegExp) =>
    assert.throws(f, (e: unknown) => e instanceof BackhaulError && e.exitCode === 2 && re.test(e.message));
  usage(() => checkRetention({keepLast: 2}), /^--keep-last must be at least 3, not 2: /);
  usage(() => checkRetention({keepLast: 3, pruneEvery: '1d', pruneCron: '0 3 * * *'}), /one schedule/);
  usage(() => checkRetention({keepLast: 3, pruneEvery: 'often'}), /--prune-every/);
  usage(() => checkRetention({keepLast: 3, pruneCron: 'not cron'}), /--prune-cron/);
  usage(() => checkRetention({keepLast: 3, weeklyDay: 7}), /--weekly-day/);
  checkRetention({keepLast: 3, keepWeekly: 2, pruneCron: '0 3 * * SUN'});
  assert.equal(describeRetention(undefined), 'none (the target keeps every point)');
  assert.equal(
    describeRetention({keepLast: 3, keepWeekly: 2, keepYearly: 1}),
    'keep last 3 + 2 weekly, 1 yearly; prune every 7d',
  );
});
