/**
 * The job form's state as a pure reducer, and the two translations around
 * it: a job to the form's text fields, and the fields back to a job
 * definition that the engine then checks (engine/jobs `checkJob`,
 * `checkRepositories`: the same rules and the same sentences as `backhaul
 * job add`). An error is placed at the field it names (by the CLI option
 * the engine's sentence mentions), or above the fields when it names none.
 */
import {usageError} from '../../engine/errors.js';
import {
  DEFAULT_PRUNE_EVERY,
  mergeRetention,
  withDefaults,
  type JobDefinition,
  type JobInput,
  type JobMode,
  type JobRetention,
} from '../../engine/jobs/index.js';
import {MIN_KEEP_LAST} from '../../engine/operations/retention.js';
import {
  initialTextInput,
  textInputReducer,
  type TextInputAction,
  type TextInputState,
} from '../components/text-input.js';
import {throttleOf} from '../../engine/jobs/throttle.js';

export const FIELD_IDS = [
  'name',
  'source',
  'target',
  'machines',
  'nodes',
  'points',
  'mode',
  'every',
  'cron',
  'windows',
  'throttle',
  'rpo',
  'pre',
  'post',
  'keepLast',
  'keepWeekly',
  'keepMonthly',
  'keepYearly',
  'weeklyDay',
  'monthlyDay',
  'yearlyMonth',
  'pruneEvery',
  'pruneCron',
  'enabled',
] as const;
export type FieldId = (typeof FIELD_IDS)[number];

export interface Field {
  readonly id: FieldId;
  readonly label: string;
  /** Shown under the form while the field has the cursor. */
  readonly help: string;
  readonly choices?: readonly string[];
  /** The CLI option the engine's messages name for this field. */
  readonly option?: string;
}

export const FIELDS: readonly Field[] = [
  {id: 'name', label: 'Name', help: 'Letters, digits, ".", "_" and "-". A saved job keeps its name.'},
  {
    id: 'source',
    label: 'From',
    option: 'from',
    help: 'The source repository, by registered name (`backhaul repo list`).',
  },
  {id: 'target', label: 'To', option: 'to', help: 'The target repository, by registered name.'},
  {
    id: 'machines',
    label: 'Machines',
    option: 'machine',
    help: 'Shell patterns of machine or cluster names, comma-separated (ws-*, sql-cluster); empty: every backup.',
  },
  {id: 'nodes', label: 'Nodes', option: 'nodes', help: 'Only these cluster nodes, comma-separated; empty: every node.'},
  {id: 'points', label: 'Points', option: 'points', help: 'latest | latest:N | all | since:DATE.'},
  {
    id: 'mode',
    label: 'Mode',
    option: 'mode',
    choices: ['immediate', 'periodic'],
    help: 'immediate: every new restore point as it appears; periodic: on a schedule. Space changes it.',
  },
  {
    id: 'every',
    label: 'Every',
    option: 'every',
    help: 'Periodic: an interval (30m, 1h, 1d); or leave it empty and give a cron expression.',
  },
  {
    id: 'cron',
    label: 'Cron',
    option: 'cron',
    help: 'Periodic: a cron expression, local time ("0 2 * * *" is 02:00 every day).',
  },
  {
    id: 'windows',
    label: 'Window',
    option: 'window',
    help: 'Prohibited hours, ";" between rules: mon-fri 08:00-18:00; daily 22:00-06:00. Empty: any time.',
  },
  {
    id: 'throttle',
    label: 'Throttle MB/s',
    option: 'throttle',
    help: 'A bandwidth limit on what is sent, in MB/s (50, 0.5); empty: none.',
  },
  {
    id: 'rpo',
    label: 'RPO',
    option: 'rpo',
    help: 'Warn when a new restore point is not on the target this long after it was made (24h); empty: none.',
  },
  {
    id: 'pre',
    label: 'Pre-script',
    option: 'pre',
    help: 'A shell command run before each copy; if it fails the run stops. Empty: none.',
  },
  {id: 'post', label: 'Post-script', option: 'post', help: 'A shell command run after each copy. Empty: none.'},
  {
    id: 'keepLast',
    label: 'Keep last',
    option: 'keep-last',
    help: `Retention on the target: the newest N points of each backup (${MIN_KEEP_LAST} or more). Every keep empty: none.`,
  },
  {
    id: 'keepWeekly',
    label: 'Keep weekly',
    option: 'keep-weekly',
    help: 'And the newest point of each of the newest W weeks. Empty: none.',
  },
  {id: 'keepMonthly', label: 'Keep monthly', option: 'keep-monthly', help: 'And of each of the newest M months.'},
  {id: 'keepYearly', label: 'Keep yearly', option: 'keep-yearly', help: 'And of each of the newest Y years.'},
  {
    id: 'weeklyDay',
    label: 'Week starts',
    option: 'weekly-day',
    help: 'The day a week starts: 0 = Sunday … 6 = Saturday (UTC). Empty: 1, Monday.',
  },
  {
    id: 'monthlyDay',
    label: 'Month starts',
    option: 'monthly-day',
    help: 'The day of the month a month starts, 1–28. Empty: 1.',
  },
  {
    id: 'yearlyMonth',
    label: 'Year starts',
    option: 'yearly-month',
    help: 'The month a year starts, 1–12. Empty: 1, January.',
  },
  {
    id: 'pruneEvery',
    label: 'Prune every',
    option: 'prune-every',
    help: `Prune the target when the last prune is this old (7d); or leave it empty and give a cron. Empty: ${DEFAULT_PRUNE_EVERY}.`,
  },
  {
    id: 'pruneCron',
    label: 'Prune cron',
    option: 'prune-cron',
    help: 'Prune the target at the times of a cron expression instead (local time). Empty: none.',
  },
  {
    id: 'enabled',
    label: 'Enabled',
    choices: ['yes', 'no'],
    help: 'A disabled job is never started by the service. Space changes it.',
  },
];

export type FormValues = Readonly<Record<FieldId, TextInputState>>;
export interface FormError {
  readonly field?: FieldId;
  readonly message: string;
  readonly hint?: string;
}
export interface FormState {
  readonly values: FormValues;
  readonly at: number;
  /** Editing a saved job: its name is fixed. */
  readonly editing: boolean;
  readonly error?: FormError;
}

export type FormAction =
  | {readonly type: 'move'; readonly by: number}
  | {readonly type: 'change'; readonly by: number}
  | {readonly type: 'text'; readonly action: TextInputAction}
  | {readonly type: 'error'; readonly error: FormError | undefined};

/** The retention fields, by the policy's own keys (FieldId and JobRetention share them). */
const RETENTION_NUMBERS = [
  'keepLast',
  'keepWeekly',
  'keepMonthly',
  'keepYearly',
  'weeklyDay',
  'monthlyDay',
  'yearlyMonth',
] as const;
const KEEPS = ['keepLast', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;

function retentionText(
  r: JobRetention | undefined,
): Record<(typeof RETENTION_NUMBERS)[number] | 'pruneEvery' | 'pruneCron', string> {
  const n = (v: number | undefined) => (v === undefined ? '' : String(v));
  return {
    keepLast: n(r?.keepLast),
    keepWeekly: n(r?.keepWeekly),
    keepMonthly: n(r?.keepMonthly),
    keepYearly: n(r?.keepYearly),
    weeklyDay: n(r?.weeklyDay),
    monthlyDay: n(r?.monthlyDay),
    yearlyMonth: n(r?.yearlyMonth),
    pruneEvery: r?.pruneEvery ?? '',
    pruneCron: r?.pruneCron ?? '',
  };
}

/** The form's fields for a job (or empty ones for a new job). */
export function formFor(job: JobDefinition | undefined): FormState {
  const text: Record<FieldId, string> = {
    name: job?.name ?? '',
    source: job?.source ?? '',
    target: job?.target ?? '',
    machines: job?.machines.join(', ') ?? '',
    nodes: job?.nodes.join(', ') ?? '',
    points: job?.points ?? 'latest',
    mode: job?.mode ?? 'periodic',
    every: job ? (job.every ?? '') : '1d',
    cron: job?.cron ?? '',
    windows: job?.windows.join('; ') ?? '',
    throttle: job?.throttle !== undefined ? String(job.throttle) : '',
    rpo: job?.rpo ?? '',
    pre: job?.pre ?? '',
    post: job?.post ?? '',
    ...retentionText(job?.retention),
    enabled: job && !job.enabled ? 'no' : 'yes',
  };
  const values = Object.fromEntries(FIELD_IDS.map(id => [id, initialTextInput(text[id])])) as Record<
    FieldId,
    TextInputState
  >;
  return {values, at: job ? 1 : 0, editing: job !== undefined};
}

export const fieldAt = (s: FormState): Field => FIELDS[s.at]!;

export function formReducer(s: FormState, a: FormAction): FormState {
  switch (a.type) {
    case 'move':
      return {...s, at: (s.at + a.by + FIELDS.length) % FIELDS.length};
    case 'change': {
      const f = fieldAt(s);
      if (!f.choices) return s;
      const i = f.choices.indexOf(s.values[f.id].value);
      const next = f.choices[(i + a.by + f.choices.length) % f.choices.length]!;
      return {...s, values: {...s.values, [f.id]: initialTextInput(next)}};
    }
    case 'text': {
      const f = fieldAt(s);
      if (f.choices || (f.id === 'name' && s.editing)) return s;
      return {...s, values: {...s.values, [f.id]: textInputReducer(s.values[f.id], a.action)}};
    }
    case 'error':
      return {...s, error: a.error};
  }
}

const listOf = (v: string, sep: string) =>
  v
    .split(sep)
    .map(x => x.trim())
    .filter(Boolean);
const optional = (v: string) => (v.trim() === '' ? undefined : v.trim());

/**
 * A retention field's number. Text that is no number at all is refused
 * here, in the words the CLI uses for it; every rule on the number itself
 * (keep-last at least MIN_KEEP_LAST, the day ranges) is the engine's
 * (checkJob → checkRetention), so the form and the CLI say the same.
 */
function numberOf(id: FieldId, text: string): number | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  if (!/^-?\d+(\.\d+)?$/.test(t)) {
    const option = FIELDS.find(f => f.id === id)!.option!;
    throw usageError(
      `--${option} must be a whole number, not ${JSON.stringify(t.slice(0, 40))}.`,
      `For example --${option} ${MIN_KEEP_LAST}.`,
    );
  }
  return Number(t);
}

/**
 * The policy the retention fields describe; undefined (no retention) when
 * every keep field is empty, whatever the other retention fields say, so
 * clearing the keeps removes the policy. Keep-last empty beside another
 * keep is the minimum, as `forget` and `job add` take it.
 */
function retentionOf(v: (id: FieldId) => string): JobRetention | undefined {
  const numbers = Object.fromEntries(RETENTION_NUMBERS.map(id => [id, numberOf(id, v(id))]));
  if (KEEPS.every(k => numbers[k] === undefined)) return undefined;
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(numbers)) if (value !== undefined) given[key] = value;
  const every = optional(v('pruneEvery'));
  const cron = optional(v('pruneCron'));
  if (every !== undefined) given.pruneEvery = every;
  if (cron !== undefined) given.pruneCron = cron;
  return mergeRetention(undefined, given as Partial<JobRetention>);
}

/** The job the fields describe: a new one with the engine's defaults, or `old` changed (what the form does not show is kept). */
export function jobFromForm(s: FormState, old: JobDefinition | undefined): JobDefinition {
  const v = (id: FieldId) => s.values[id].value;
  const fields: Record<string, unknown> = {
    name: old?.name ?? v('name').trim(),
    source: v('source').trim(),
    target: v('target').trim(),
    machines: listOf(v('machines'), ','),
    nodes: listOf(v('nodes'), ','),
    points: optional(v('points')) ?? 'latest',
    mode: v('mode') as JobMode,
    every: optional(v('every')),
    cron: optional(v('cron')),
    windows: listOf(v('windows'), ';'),
    throttle: throttleOf(v('throttle')),
    rpo: optional(v('rpo')),
    pre: optional(v('pre')),
    post: optional(v('post')),
    retention: retentionOf(v),
    enabled: v('enabled') === 'yes',
  };
  if (!old) return withDefaults(fields as unknown as JobInput);
  const next: Record<string, unknown> = {...old};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) delete next[key];
    else next[key] = value;
  }
  return next as unknown as JobDefinition;
}

/** Which field an engine sentence is about (see the header). */
export function fieldOf(message: string, hint = ''): FieldId | undefined {
  for (const text of [message, hint]) {
    if (/copy window/i.test(text)) return 'windows';
    if (/job name|job named/i.test(text)) return 'name';
    if (/onto itself/.test(text)) return 'target';
    const m = /--([a-z][a-z-]*)/.exec(text);
    const f = m && FIELDS.find(x => x.option === m[1]);
    if (f) return f.id;
  }
  return undefined;
}
