/**
 * The copy window: hours of the week in which a job must not copy (the
 * reference system calls them prohibited hours; the default is none). Each
 * rule is one line, "DAYS FROM-TO": DAYS is daily, weekdays, weekends, a day
 * (mon … sun), a range (mon-fri, fri-mon) or a list (mon,wed,fri); FROM and
 * TO are HH:MM or HH:MM:SS local time, TO may be 24:00, and a TO before FROM
 * runs past midnight into the next day ("daily 22:00-06:00"). Rules add up.
 *
 * Guarantees: a rule that does not parse, or rules that prohibit the whole
 * week (a window that never opens), are refused with a usage error naming
 * the rule; `windowState` says whether copying may happen now and when that
 * changes. Times are local (the service's time zone); across a daylight
 * saving change a boundary may move by the change.
 */
import {quoted, usageError} from '../errors.js';

const DAY = 86_400;
export const WEEK = 7 * DAY;
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const LONG = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
const NAMED: Readonly<Record<string, readonly number[]>> = {
  daily: [0, 1, 2, 3, 4, 5, 6],
  weekdays: [0, 1, 2, 3, 4],
  weekends: [5, 6],
};

export interface CopyWindow {
  /** The rules as given. */
  readonly rules: readonly string[];
  /** Prohibited seconds of the week (0: Monday 00:00 local), merged and sorted, each [from, to) within [0, WEEK]. */
  readonly closed: readonly (readonly [number, number])[];
}

const HINT = 'Write DAYS FROM-TO, e.g. "mon-fri 08:00-18:00", "daily 22:00-06:00" or "sat,sun 00:00-24:00".';

function dayIndex(word: string, rule: string): number {
  const w = word.toLowerCase();
  const i = DAYS.indexOf(w as (typeof DAYS)[number]);
  const j = i >= 0 ? i : LONG.indexOf(w);
  if (j < 0)
    throw usageError(
      `The copy window ${quoted(rule)} names no day ${quoted(word)}.`,
      `Days are mon, tue, wed, thu, fri, sat, sun, daily, weekdays or weekends. ${HINT}`,
    );
  return j;
}

function parseDays(spec: string, rule: string): number[] {
  const named = NAMED[spec.toLowerCase()];
  if (named) return [...named];
  const days = new Set<number>();
  for (const part of spec.split(',')) {
    const [a, b, extra] = part.split('-');
    if (extra !== undefined || !a)
      throw usageError(`The copy window ${quoted(rule)} has a bad day range ${quoted(part)}.`, HINT);
    const from = dayIndex(a, rule);
    const to = b === undefined ? from : dayIndex(b, rule);
    for (let d = from; ; d = (d + 1) % 7) {
      days.add(d);
      if (d === to) break;
    }
  }
  return [...days].sort();
}

function parseTime(text: string, rule: string): number {
  const m = /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(text);
  const [h, min, s] = m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : [NaN, NaN, NaN];
  const seconds = h * 3600 + min * 60 + s;
  if (!m || min > 59 || s > 59 || seconds > DAY)
    throw usageError(
      `The copy window ${quoted(rule)} has a bad time ${quoted(text)}.`,
      `Times are HH:MM or HH:MM:SS, from 00:00 to 24:00. ${HINT}`,
    );
  return seconds;
}

/** The prohibited [from, to) seconds of the week one rule makes (before merging). */
function ruleIntervals(rule: string): [number, number][] {
  const m = /^\s*(\S+)\s+(\S+?)-(\S+)\s*$/.exec(rule);
  if (!m) throw usageError(`The copy window ${quoted(rule)} is not "DAYS FROM-TO".`, HINT);
  const days = parseDays(m[1]!, rule);
  const from = parseTime(m[2]!, rule);
  const to = parseTime(m[3]!, rule);
  if (from === to)
    throw usageError(
      `The copy window ${quoted(rule)} starts and ends at the same time.`,
      `For a whole day write 00:00-24:00. ${HINT}`,
    );
  const length = to > from ? to - from : DAY - from + to;
  const out: [number, number][] = [];
  for (const d of days) {
    const start = d * DAY + from;
    const end = start + length;
    if (end <= WEEK) out.push([start, end]);
    else out.push([start, WEEK], [0, end - WEEK]); // Sunday night into Monday
  }
  return out;
}

function merge(intervals: [number, number][]): [number, number][] {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** Parses the rules; refuses a bad rule or a window that never opens. */
export function parseWindow(rules: readonly string[]): CopyWindow {
  const closed = merge(rules.flatMap(ruleIntervals));
  if (closed.length === 1 && closed[0]![0] === 0 && closed[0]![1] === WEEK) {
    throw usageError(
      `The copy window never opens: ${rules.map(r => quoted(r)).join(', ')} prohibit every hour of the week.`,
      'Leave some hours allowed, e.g. --window "mon-fri 08:00-18:00" keeps copies out of office hours only.',
    );
  }
  return {rules: [...rules], closed};
}

/** Seconds since Monday 00:00 local time. */
export function secondOfWeek(at: Date): number {
  return (
    ((at.getDay() + 6) % 7) * DAY +
    at.getHours() * 3600 +
    at.getMinutes() * 60 +
    at.getSeconds() +
    at.getMilliseconds() / 1000
  );
}

export interface WindowState {
  /** Whether copying may happen now. */
  readonly open: boolean;
  /** When that changes: open → the next prohibited period starts; closed → it ends. Undefined: never (no rules). */
  readonly changesAt?: Date;
}

/** Whether `window` allows copying at `now`, and until when. */
export function windowState(window: CopyWindow, now: Date = new Date()): WindowState {
  if (window.closed.length === 0) return {open: true};
  const t = secondOfWeek(now);
  const at = (s: number) => new Date(now.getTime() + (s - t) * 1000);
  // The end of a period reaching the week's end continues into Monday's first one.
  const endOf = (i: number): number => {
    const [, b] = window.closed[i]!;
    const first = window.closed[0]!;
    return b === WEEK && first[0] === 0 ? WEEK + first[1] : b;
  };
  for (let i = 0; i < window.closed.length; i++) {
    const [a, b] = window.closed[i]!;
    if (t >= a && t < b) return {open: false, changesAt: at(endOf(i))};
    if (t < a) return {open: true, changesAt: at(a)};
  }
  return {open: true, changesAt: at(WEEK + window.closed[0]![0])};
}

/** The rules, one line each, as `job show` prints them. */
export function describeWindow(window: CopyWindow): string {
  return window.rules.length === 0
    ? 'none (any time)'
    : window.rules.map(r => r.trim().replace(/\s+/g, ' ')).join('; ');
}
