/**
 * Checks a job definition before it is saved, and again whenever the jobs
 * file is read: every value parses (interval, cron expression, copy window,
 * durations, the points form), the mode and its schedule agree, and the
 * window opens at some time. A problem is a usage error (exit 2): one
 * sentence naming the option and the value, and a hint. Whether the named
 * repositories are registered is checked when a job is added or edited
 * (`checkRepositories`), not on every read: a name unregistered later makes
 * the job's runs fail, saying so, rather than the whole file unreadable.
 */
import {BackhaulError, quoted, usageError} from '../errors.js';
import {explicitPointIds, parsePointSpec} from '../copy/selection.js';
import {registeredEntry} from '../workspace/registry.js';
import {HEALTH_PRESETS, JOB_NAME, type JobDefinition} from './job.js';
import {checkRetention} from './job-retention.js';
import {MIN_EVERY_MS, parseCron, parseInterval} from './schedule.js';
import {parseWindow} from './window.js';

const NAME = new RegExp(JOB_NAME, 'u');

export function checkJobName(name: string): string {
  if (!NAME.test(name))
    throw usageError(
      `${quoted(name)} is not a valid job name.`,
      'Use letters, digits, ".", "_" and "-" (up to 64), starting with a letter or digit.',
    );
  return name;
}

function checkSchedule(job: JobDefinition): void {
  if (job.mode === 'immediate') {
    if (job.every !== undefined || job.cron !== undefined) {
      throw usageError(
        `An immediate job copies every new restore point as it appears: --${job.every !== undefined ? 'every' : 'cron'} does not apply.`,
        'Use --mode periodic for a schedule, or drop the option.',
      );
    }
    return;
  }
  if ((job.every === undefined) === (job.cron === undefined)) {
    throw usageError(
      'A periodic job needs one schedule: --every INTERVAL or --cron EXPRESSION.',
      'For example --every 1h, or --cron "0 2 * * *" for 02:00 every day.',
    );
  }
  if (job.every !== undefined) parseInterval(job.every, '--every', MIN_EVERY_MS);
  if (job.cron !== undefined) parseCron(job.cron);
}

function checkPoints(points: string): void {
  parsePointSpec(points);
  if (explicitPointIds(points) !== undefined) {
    throw usageError(
      `--points ${quoted(points)} names restore points by id; a job runs again and again, so it takes a rule.`,
      'Use latest, latest:N, all or since:DATE.',
    );
  }
}

function checkHealth(health: string): void {
  if (health === 'off' || Object.hasOwn(HEALTH_PRESETS, health)) return;
  parseCron(health, '--health');
}

/** Every self-contained check (see the header); returns the definition. */
export function checkJob(job: JobDefinition): JobDefinition {
  checkJobName(job.name);
  if (job.source === job.target)
    throw usageError(`The job copies ${quoted(job.source)} onto itself.`, 'Pass a different repository with --to.');
  checkSchedule(job);
  checkPoints(job.points);
  parseWindow(job.windows);
  if (job.throttle !== undefined && !(job.throttle > 0 && Number.isFinite(job.throttle))) {
    throw usageError(
      `--throttle must be a number of MB/s above 0, not ${quoted(String(job.throttle))}.`,
      'For example --throttle 50 (50 MB/s), or --throttle 0.5.',
    );
  }
  if (job.rpo !== undefined) parseInterval(job.rpo, '--rpo', 1000);
  parseInterval(job.scriptTimeout, '--script-timeout', 1000);
  if (job.health !== undefined) checkHealth(job.health);
  if (job.retention !== undefined) checkRetention(job.retention);
  for (const [what, text] of [
    ['--pre', job.pre],
    ['--post', job.post],
  ] as const) {
    if (text !== undefined && text.trim() === '')
      throw usageError(`${what} is empty.`, `Give the command to run, e.g. ${what} "/usr/local/bin/snapshot.sh".`);
  }
  return job;
}

/** The job's repositories are registered names (exit 10 otherwise). */
export function checkRepositories(job: JobDefinition): void {
  for (const [what, name] of [
    ['--from', job.source],
    ['--to', job.target],
  ] as const) {
    if (!registeredEntry(name)) {
      throw new BackhaulError(
        'no-repository',
        `No repository is registered as ${quoted(name)} (${what}).`,
        'A job names its repositories by registered name: run `backhaul repo list`, or `backhaul repo add NAME LOCATION` first.',
      );
    }
  }
}
