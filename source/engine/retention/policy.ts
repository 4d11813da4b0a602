/**
 * Which restore points of one backup a retention policy keeps, and why: a
 * pure function of the points and the policy. No clock is read: periods are
 * counted back from the newest point, so a test's simulated clock is simply
 * the times of the points it makes.
 *
 * Guarantees: the newest `keepLast` points are always kept (`short-term`);
 * `keepLast` is at least MIN_KEEP_LAST, so a chain never shrinks below it.
 * GFS: of each of the newest `keepWeekly` weeks (`keepMonthly` months,
 * `keepYearly` years) that hold points, the newest point of that period is
 * kept. A point kept for several reasons lists each. Every point of this
 * format is self-contained (its manifest names every chunk it needs), so
 * removing any point never breaks another: no parent is kept for a child.
 * Periods are in UTC. A week starts on `weeklyDay` (0 = Sunday … 6 =
 * Saturday, default 1 = Monday); a month on day `monthlyDay` (1–28, default
 * 1); a year on the first day of month `yearlyMonth` (1–12, default 1).
 */
import {usageError} from '../errors.js';

export const MIN_KEEP_LAST = 3;

export type KeptFor = 'short-term' | 'weekly' | 'monthly' | 'yearly';

export interface RetentionPolicy {
  keepLast: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  /** The day a week starts on: 0 = Sunday … 6 = Saturday (default 1, Monday). */
  weeklyDay?: number;
  /** The day of the month a month starts on, 1–28 (default 1). */
  monthlyDay?: number;
  /** The month a year starts on, 1–12 (default 1, January). */
  yearlyMonth?: number;
}

export interface PolicyPoint {
  id: string;
  time: string;
}

export interface Selection<P extends PolicyPoint> {
  /** Oldest first, each with why it is kept. */
  kept: {point: P; keptFor: KeptFor[]}[];
  /** Oldest first. */
  removed: P[];
}

/** Refuses a policy that could leave a backup with too short a chain (`usage`, exit 2). */
export function checkPolicy(policy: RetentionPolicy): void {
  if (!Number.isSafeInteger(policy.keepLast) || policy.keepLast < MIN_KEEP_LAST)
    throw usageError(
      `--keep-last must be at least ${MIN_KEEP_LAST}, not ${policy.keepLast}: a backup keeps a short-term chain of at least ${MIN_KEEP_LAST} restore points.`,
      `Pass --keep-last ${MIN_KEEP_LAST} or more.`,
    );
  for (const [name, v] of [
    ['keep-weekly', policy.keepWeekly],
    ['keep-monthly', policy.keepMonthly],
    ['keep-yearly', policy.keepYearly],
  ] as const) {
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0))
      throw usageError(`--${name} must be a whole number of 0 or more, not ${v}.`, `Pass --${name} 0 or more.`);
  }
  checkRange('weekly-day', policy.weeklyDay, 0, 6);
  checkRange('monthly-day', policy.monthlyDay, 1, 28);
  checkRange('yearly-month', policy.yearlyMonth, 1, 12);
}

function checkRange(name: string, v: number | undefined, min: number, max: number): void {
  if (v !== undefined && (!Number.isSafeInteger(v) || v < min || v > max))
    throw usageError(`--${name} must be a whole number from ${min} to ${max}, not ${v}.`, `Pass --${name} ${min}.`);
}

const DAY = 86_400_000;

/** The period a time falls in, as a sortable key, for each GFS rule. */
export function weekOf(ms: number, weeklyDay = 1): number {
  const day = Math.floor(ms / DAY);
  const weekday = (day + 4) % 7; // 1970-01-01 was a Thursday
  return day - ((weekday - weeklyDay + 7) % 7);
}

export function monthOf(ms: number, monthlyDay = 1): number {
  const d = new Date(ms);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  if (d.getUTCDate() < monthlyDay) [y, m] = m === 0 ? [y - 1, 11] : [y, m - 1];
  return y * 12 + m;
}

export function yearOf(ms: number, yearlyMonth = 1): number {
  const d = new Date(ms);
  return d.getUTCMonth() + 1 < yearlyMonth ? d.getUTCFullYear() - 1 : d.getUTCFullYear();
}

/** The points `policy` keeps and removes; `points` in any order. */
export function selectPoints<P extends PolicyPoint>(points: readonly P[], policy: RetentionPolicy): Selection<P> {
  checkPolicy(policy);
  const newestFirst = [...points].sort((a, b) => b.time.localeCompare(a.time) || b.id.localeCompare(a.id));
  const reasons = new Map<string, KeptFor[]>();
  const mark = (p: P, why: KeptFor) => {
    const list = reasons.get(p.id) ?? [];
    if (!list.includes(why)) list.push(why);
    reasons.set(p.id, list);
  };
  newestFirst.slice(0, policy.keepLast).forEach(p => mark(p, 'short-term'));
  const gfs: [KeptFor, number | undefined, (ms: number) => number][] = [
    ['weekly', policy.keepWeekly, ms => weekOf(ms, policy.weeklyDay)],
    ['monthly', policy.keepMonthly, ms => monthOf(ms, policy.monthlyDay)],
    ['yearly', policy.keepYearly, ms => yearOf(ms, policy.yearlyMonth)],
  ];
  for (const [why, count, periodOf] of gfs) {
    if (!count) continue;
    const seen = new Set<number>();
    for (const p of newestFirst) {
      const period = periodOf(Date.parse(p.time));
      if (seen.has(period)) continue; // the newest point of a period comes first
      if (seen.size >= count) break;
      seen.add(period);
      mark(p, why);
    }
  }
  const order: KeptFor[] = ['short-term', 'weekly', 'monthly', 'yearly'];
  const oldestFirst = newestFirst.reverse();
  return {
    kept: oldestFirst
      .filter(p => reasons.has(p.id))
      .map(p => ({point: p, keptFor: reasons.get(p.id)!.sort((a, b) => order.indexOf(a) - order.indexOf(b))})),
    removed: oldestFirst.filter(p => !reasons.has(p.id)),
  };
}
