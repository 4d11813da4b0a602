/**
 * When a job runs next: a periodic job on its interval (a run at once, then
 * that long after each start) or its cron expression (croner, local time;
 * an occurrence missed while no service ran is caught up once), an immediate
 * job whenever a new restore point appears (the service watches for it), and
 * the health check on its own schedule. Pure: every function takes the
 * times it needs, so the service and `job status` agree and tests need no clock.
 */
import {Cron} from 'croner';
import {quoted, usageError} from '../errors.js';
import {parseDuration} from '../util/duration.js';
import {HEALTH_PRESETS, type JobDefinition} from './job.js';

/** The shortest interval a periodic job may have. */
export const MIN_EVERY_MS = 1_000;

const CRON_HINT =
  'Write five fields (minute hour day-of-month month day-of-week), e.g. "0 2 * * *" for 02:00 every day, or six with seconds first.';

/** Parsed expressions, kept: the service asks every tick (a Cron made paused is never started, only asked for times). */
const parsed = new Map<string, Cron>();

/** A cron expression croner accepts (throws a usage error naming it otherwise). */
export function parseCron(expression: string, what = '--cron'): Cron {
  const known = parsed.get(expression);
  if (known) return known;
  try {
    const cron = new Cron(expression, {paused: true});
    if (parsed.size < 1000) parsed.set(expression, cron);
    return cron;
  } catch (e) {
    const why = e instanceof Error ? e.message.replace(/^CronPattern: /, '') : String(e);
    throw usageError(`${what} ${quoted(expression)} is not a cron expression: ${why.replace(/\.$/, '')}.`, CRON_HINT);
  }
}

/** Milliseconds of a duration the user gave for `what` (a unit is required: "1h", "30m"). */
export function parseInterval(text: string, what: string, min = 1): number {
  const ms = /[a-z]$/.test(text.trim()) ? parseDuration(text, 's') : undefined;
  if (ms === undefined || ms < min) {
    throw usageError(
      `${what} must be a duration of at least ${min >= 1000 ? `${min / 1000}s` : `${min}ms`}, not ${quoted(text)}.`,
      'Write a number with a unit: 30s, 10m, 2h, 1d.',
    );
  }
  return ms;
}

/** The cron expression of a health-check schedule (a preset's or its own); undefined for none. */
export function healthExpression(health: string | undefined): string | undefined {
  if (health === undefined || health === 'off') return undefined;
  return HEALTH_PRESETS[health] ?? health;
}

/**
 * When a periodic job is due: `lastStart` is its last run's start (from the
 * history); undefined when it never ran. An immediate job has no time: it
 * runs on a new restore point.
 */
export function nextPeriodic(job: JobDefinition, lastStart: Date | undefined, now: Date): Date | undefined {
  if (job.mode !== 'periodic') return undefined;
  if (job.every !== undefined)
    return lastStart ? new Date(lastStart.getTime() + parseInterval(job.every, '--every', MIN_EVERY_MS)) : now;
  if (job.cron !== undefined) return parseCron(job.cron).nextRun(lastStart ?? new Date(job.created)) ?? undefined;
  return undefined;
}

/** When the health check is due next: after the last one, or after the job was made. */
export function nextHealth(job: JobDefinition, lastCheck: Date | undefined): Date | undefined {
  const expression = healthExpression(job.health);
  if (expression === undefined) return undefined;
  return parseCron(expression, '--health').nextRun(lastCheck ?? new Date(job.created)) ?? undefined;
}
