/**
 * The options of `backhaul job add` and `job edit` (declared once, so both
 * parse and document them the same way), and how the values given become
 * changes to a saved job: text kept as typed (validate.ts checks it),
 * "none" / "off" / "" clearing what may be cleared.
 */
import {usageError} from '../engine/errors.js';
import type {JobDefinition} from '../engine/jobs/index.js';
import {str, strs, type Values} from './command.js';
import {option, type OptionDecl} from './options.js';

const WHAT = 'What it copies';
const WHEN = 'When';
const HOW = 'How';

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
];

const CLEAR = new Set(['none', 'off', '']);

function throttleOf(text: string): number | undefined {
  if (CLEAR.has(text)) return undefined;
  const n = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n > 0))
    throw usageError(
      `--throttle must be a number of MB/s above 0, not ${JSON.stringify(text.slice(0, 40))}.`,
      'For example --throttle 50 (50 MB/s), or --throttle 0.5.',
    );
  return n;
}

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
  return c;
}

export function applyChanges(
  job: JobDefinition,
  changes: Partial<Record<keyof JobDefinition, unknown>>,
): JobDefinition {
  const next: Record<string, unknown> = {...job};
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) delete next[key];
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
