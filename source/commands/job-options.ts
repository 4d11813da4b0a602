/**
 * The options of `backhaul job add` and `job edit` (declared once, so both
 * parse and document them the same way), and how the values given become
 * changes to a saved job: text kept as typed (validate.ts checks it),
 * "none" / "off" / "" clearing what may be cleared. Retention options
 * change the job's retention one value at a time (`--no-retention` clears
 * it); validate.ts checks the policy as `forget` does.
 */
import {usageError} from '../engine/errors.js';
import {mergeRetention, type JobDefinition, type JobRetention} from '../engine/jobs/index.js';
import {MIN_KEEP_LAST} from '../engine/operations/retention.js';
import {flag, num, str, strs, type Values} from './command.js';
import {option, type OptionDecl} from './options.js';
import {throttleOf} from '../engine/jobs/throttle.js';

const WHAT = 'What it copies';
const WHEN = 'When';
const HOW = 'How';
const KEEP = 'Retention on the target (after each successful run)';
const MANY = 1_000_000;

export const jobOptions: OptionDecl[] = [
  option.text('from', 'SOURCE', 'the source repository (a registered name)', {section: WHAT}),
  option.text('to', 'TARGET', 'the target repository (a registered name)', {section: WHAT}),
  option.texts(
    'machine',
    'PATTERN',
    "backups whose machine or cluster matches (shell pattern, e.g. 'ws-*'; repeatable)",
    {section: WHAT},
  ),
  option.texts('job', 'PATTERN', 'backups whose agent job matches (repeatable)', {section: WHAT}),
  option.text('nodes', 'a,b', 'only these nodes of a cluster', {section: WHAT}),
  option.text(
    'points',
    'SPEC',
    "latest | latest:N | all | since:DATE: what a periodic run copies, and an immediate job's first run",
    {section: WHAT, default: 'latest'},
  ),
  option.oneOf(
    'mode',
    'MODE',
    ['immediate', 'periodic'],
    'immediate: copy every new restore point as it appears; periodic: on a schedule',
    {section: WHEN},
  ),
  option.text('every', 'INTERVAL', "periodic: run every INTERVAL (30m, 1h, 1d), counted from the last run's start", {
    section: WHEN,
  }),
  option.text('cron', 'EXPR', 'periodic: run at the times of a cron expression (local time, e.g. "0 2 * * *")', {
    section: WHEN,
  }),
  option.texts(
    'window',
    'RULE',
    'prohibited hours: "DAYS FROM-TO", e.g. "mon-fri 08:00-18:00", "daily 22:00-06:00" (repeatable; "none" clears)',
    {section: WHEN},
  ),
  option.text(
    'health',
    'WHEN',
    'health check: daily | weekly | monthly (05:00, last Sunday) | a cron expression | off',
    {section: WHEN},
  ),
  option.text('throttle', 'MB/s', 'bandwidth limit on what is sent to the target, in MB/s ("off" clears)', {
    section: HOW,
  }),
  option.text(
    'rpo',
    'DURATION',
    'warn when a new restore point is not on the target this long after it was made (24h; "off" clears)',
    {section: HOW},
  ),
  option.text('pre', 'COMMAND', 'a shell command run before each copy; if it fails the run stops ("" clears)', {
    section: HOW,
  }),
  option.text('post', 'COMMAND', 'a shell command run after each copy ("" clears)', {section: HOW}),
  option.text('script-timeout', 'DURATION', 'a script still running after this long is killed', {
    section: HOW,
    default: '10m',
  }),
  option.flag('disabled', 'save it disabled (no run starts until `backhaul job enable`)', {section: HOW}),
  option.integer(
    'keep-last',
    'N',
    {min: 0, max: MANY},
    `keep the newest N points of each backup (at least ${MIN_KEEP_LAST})`,
    {
      section: KEEP,
    },
  ),
  option.integer('keep-weekly', 'W', {min: 0, max: MANY}, 'and the newest point of each of the newest W weeks', {
    section: KEEP,
  }),
  option.integer('keep-monthly', 'M', {min: 0, max: MANY}, 'and of each of the newest M months', {section: KEEP}),
  option.integer('keep-yearly', 'Y', {min: 0, max: MANY}, 'and of each of the newest Y years', {section: KEEP}),
  option.integer('weekly-day', 'DAY', {min: 0, max: 6}, 'the day a week starts: 0 = Sunday … 6 = Saturday (UTC)', {
    section: KEEP,
    default: '1',
  }),
  option.integer('monthly-day', 'DAY', {min: 1, max: 28}, 'the day of the month a month starts', {
    section: KEEP,
    default: '1',
  }),
  option.integer('yearly-month', 'MONTH', {min: 1, max: 12}, 'the month a year starts', {section: KEEP, default: '1'}),
  option.text('prune-every', 'DURATION', 'prune the target when the last prune is this old', {
    section: KEEP,
    default: '7d',
  }),
  option.text('prune-cron', 'EXPR', 'prune the target at the times of a cron expression instead', {section: KEEP}),
  option.flag('no-retention', 'clear the retention policy (the target keeps every point)', {section: KEEP}),
];

const RETENTION_NUMBERS: readonly [string, keyof JobRetention][] = [
  ['keep-last', 'keepLast'],
  ['keep-weekly', 'keepWeekly'],
  ['keep-monthly', 'keepMonthly'],
  ['keep-yearly', 'keepYearly'],
  ['weekly-day', 'weeklyDay'],
  ['monthly-day', 'monthlyDay'],
  ['yearly-month', 'yearlyMonth'],
];

/** The retention values given (only those), null for --no-retention, undefined for none. */
function retentionChanges(values: Values): Partial<JobRetention> | null | undefined {
  const given: Record<string, unknown> = {};
  for (const [name, key] of RETENTION_NUMBERS) if (num(values, name) !== undefined) given[key] = num(values, name);
  const every = str(values, 'prune-every');
  const cron = str(values, 'prune-cron');
  if (every !== undefined) given.pruneEvery = every;
  if (cron !== undefined) given.pruneCron = cron;
  if (!flag(values, 'no-retention'))
    return Object.keys(given).length > 0 ? (given as Partial<JobRetention>) : undefined;
  if (Object.keys(given).length > 0)
    throw usageError(
      '--no-retention clears the retention policy: it takes no --keep-* or --prune-* option with it.',
      'Give --no-retention alone, or the policy without it.',
    );
  return null;
}

const CLEAR = new Set(['none', 'off', '']);

/** The options given, as changes to a job (undefined: not given; null: cleared). */
export function changesFrom(values: Values): Partial<Record<keyof JobDefinition, unknown>> {
  const c: Partial<Record<keyof JobDefinition, unknown>> = {};
  const text = (name: string, key: keyof JobDefinition, clearable = false) => {
    const v = str(values, name);
    if (v !== undefined) c[key] = clearable && CLEAR.has(v) ? null : v;
  };
  text('from', 'source');
  text('to', 'target');
  if (strs(values, 'machine').length > 0) c.machines = strs(values, 'machine');
  if (strs(values, 'job').length > 0) c.agentJobs = strs(values, 'job');
  const nodes = str(values, 'nodes');
  if (nodes !== undefined)
    c.nodes = nodes
      .split(',')
      .map(s => s.trim())
      .filter(Boolean);
  text('points', 'points');
  text('mode', 'mode');
  text('every', 'every', true);
  text('cron', 'cron', true);
  const windows = strs(values, 'window');
  if (windows.length > 0) c.windows = windows.length === 1 && CLEAR.has(windows[0]!) ? [] : windows;
  text('health', 'health', true);
  const throttle = str(values, 'throttle');
  if (throttle !== undefined) c.throttle = throttleOf(throttle) ?? null;
  text('rpo', 'rpo', true);
  text('pre', 'pre', true);
  text('post', 'post', true);
  text('script-timeout', 'scriptTimeout');
  const retention = retentionChanges(values);
  if (retention !== undefined) c.retention = retention;
  return c;
}

export function applyChanges(
  job: JobDefinition,
  changes: Partial<Record<keyof JobDefinition, unknown>>,
): JobDefinition {
  const next: Record<string, unknown> = {...job};
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
    else if (key === 'retention') next[key] = mergeRetention(job.retention, value as Partial<JobRetention>);
    else next[key] = value;
  }
  // A mode changed to immediate drops the schedule it no longer uses; --every and --cron replace each other.
  if (changes.mode === 'immediate') {
    delete next.every;
    delete next.cron;
  }
  if (changes.every !== undefined && changes.every !== null) delete next.cron;
  if (changes.cron !== undefined && changes.cron !== null) delete next.every;
  return next as unknown as JobDefinition;
}
