/**
 * `backhaul job add|edit|rm|list|show|enable|disable`: saved backup copy
 * jobs (engine/jobs). Every value is checked before anything is written
 * (engine/jobs/validate.ts): a bad one is a usage error (exit 2) naming the
 * option and the value, with a hint, and the jobs file is left as it was.
 */
import {usageError} from '../engine/errors.js';
import {
  addJob, checkJobName, checkRepositories, describeJob, getJob, listJobs, removeJob, updateJob, withDefaults, type JobDefinition, type JobInput,
} from '../engine/jobs/index.js';
import {defineCommand, flag, str, strs, type Command, type CommandContext, type Values} from './command.js';
import {option, type OptionDecl} from './options.js';
import {printJson, safeText, table} from './render/output.js';

const WHAT = 'What it copies';
const WHEN = 'When';
const HOW = 'How';

const jobOptions: OptionDecl[] = [
  option.text('from', 'SOURCE', 'the source repository (a registered name)', {section: WHAT}),
  option.text('to', 'TARGET', 'the target repository (a registered name)', {section: WHAT}),
  option.texts('machine', 'PATTERN', "backups whose machine or cluster matches (shell pattern, e.g. 'ws-*'; repeatable)", {section: WHAT}),
  option.texts('job', 'PATTERN', 'backups whose agent job matches (repeatable)', {section: WHAT}),
  option.text('nodes', 'a,b', 'only these nodes of a cluster', {section: WHAT}),
  option.text('points', 'SPEC', 'latest | latest:N | all | since:DATE: what a periodic run copies, and an immediate job\'s first run', {section: WHAT, default: 'latest'}),
  option.oneOf('mode', 'MODE', ['immediate', 'periodic'], 'immediate: copy every new restore point as it appears; periodic: on a schedule', {section: WHEN}),
  option.text('every', 'INTERVAL', 'periodic: run every INTERVAL (30m, 1h, 1d), counted from the last run\'s start', {section: WHEN}),
  option.text('cron', 'EXPR', 'periodic: run at the times of a cron expression (local time, e.g. "0 2 * * *")', {section: WHEN}),
  option.texts('window', 'RULE', 'prohibited hours: "DAYS FROM-TO", e.g. "mon-fri 08:00-18:00", "daily 22:00-06:00" (repeatable; "none" clears)', {section: WHEN}),
  option.text('health', 'WHEN', 'health check: daily | weekly | monthly (05:00, last Sunday) | a cron expression | off', {section: WHEN}),
  option.text('throttle', 'MB/s', 'bandwidth limit on what is sent to the target, in MB/s ("off" clears)', {section: HOW}),
  option.text('rpo', 'DURATION', 'warn when a new restore point is not on the target this long after it was made (24h; "off" clears)', {section: HOW}),
  option.text('pre', 'COMMAND', 'a shell command run before each copy; if it fails the run stops ("" clears)', {section: HOW}),
  option.text('post', 'COMMAND', 'a shell command run after each copy ("" clears)', {section: HOW}),
  option.text('script-timeout', 'DURATION', 'a script still running after this long is killed', {section: HOW, default: '10m'}),
  option.flag('disabled', 'save it disabled (no run starts until `backhaul job enable`)', {section: HOW}),
];

const CLEAR = new Set(['none', 'off', '']);

function throttleOf(text: string): number | undefined {
  if (CLEAR.has(text)) return undefined;
  const n = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : NaN;
  if (!(n > 0)) throw usageError(`--throttle must be a number of MB/s above 0, not ${JSON.stringify(text.slice(0, 40))}.`, 'For example --throttle 50 (50 MB/s), or --throttle 0.5.');
  return n;
}

/** The options given, as changes to a job (undefined: not given; null: cleared). */
function changesFrom(values: Values): Partial<Record<keyof JobDefinition, unknown>> {
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
  if (nodes !== undefined) c.nodes = nodes.split(',').map((s) => s.trim()).filter(Boolean);
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

function applyChanges(job: JobDefinition, changes: Partial<Record<keyof JobDefinition, unknown>>): JobDefinition {
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

function jobName(positionals: string[], command: string): string {
  if (positionals.length !== 1) throw usageError(`\`backhaul ${command}\` takes one job name.`, `Example: backhaul ${command} nightly`);
  return checkJobName(positionals[0]!);
}

function printJob(ctx: CommandContext, job: JobDefinition, json: boolean): void {
  if (json) printJson(ctx, job);
  else ctx.out.write(describeJob(job).map((l) => safeText(l)).join('\n') + '\n');
}

export const jobAdd: Command = defineCommand({
  name: 'job add',
  summary: 'save a backup copy job (immediate or periodic, with window, throttle, RPO, scripts)',
  usage: `Usage: backhaul job add NAME --from SRC --to DST --mode immediate|periodic [--every 1h | --cron EXPR]
                    [--machine P ...] [--job P ...] [--nodes a,b] [--points latest|latest:N|all|since:DATE]
                    [--window RULE ...] [--throttle MB/s] [--rpo 24h] [--pre CMD] [--post CMD]
                    [--script-timeout 10m] [--health monthly|CRON] [--disabled] [--json]`,
  description: `Saves a job in the configuration (jobs.json beside config.json). The service
(\`backhaul service\`) runs it: an immediate job copies every new restore point of
the source as soon as it is committed; a periodic one copies on its schedule.
\`backhaul job run NAME\` runs it now, detached. Every value is checked first:
a bad one is refused (exit 2) and nothing is saved.`,
  arguments: [{name: 'NAME', description: 'the job\'s name (letters, digits, ".", "_", "-")'}],
  options: [...jobOptions, option.flag('json', 'print the saved job as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const name = jobName(positionals, 'job add');
    const c = changesFrom(values);
    if (c.source === undefined || c.target === undefined) throw usageError('Pass --from SOURCE and --to TARGET.', 'Example: backhaul job add nightly --from primary --to offsite --mode periodic --every 1d');
    if (c.mode === undefined) throw usageError('Pass --mode immediate or --mode periodic.', 'immediate copies every new restore point as it appears; periodic runs on --every or --cron.');
    const input = Object.fromEntries(Object.entries(c).filter(([, v]) => v !== null)) as unknown as JobInput;
    const job = withDefaults({...input, name, enabled: !flag(values, 'disabled')});
    checkRepositories(job);
    await addJob(job);
    if (!flag(values, 'json')) ctx.out.write(`Saved job ${name}.\n`);
    printJob(ctx, job, flag(values, 'json'));
    return 0;
  },
});

export const jobEdit: Command = defineCommand({
  name: 'job edit',
  summary: 'change a saved job (only the options given change)',
  usage: 'Usage: backhaul job edit NAME [the options of `job add`] [--json]',
  description: `Changes the options given and keeps the others. "none", "off" or "" clear
--window, --throttle, --rpo, --pre, --post, --health. A run under way keeps the
settings it started with. A bad value is refused (exit 2) and nothing changes.`,
  arguments: [{name: 'NAME', description: 'the job'}],
  options: [...jobOptions.filter((o) => o.name !== 'disabled'), option.flag('json', 'print the job as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const name = jobName(positionals, 'job edit');
    const c = changesFrom(values);
    if (Object.keys(c).length === 0) throw usageError('Nothing to change.', 'Pass the options to change, e.g. --throttle 50 or --window "mon-fri 08:00-18:00".');
    const job = await updateJob(name, (old) => {
      const next = applyChanges(old, c);
      if (c.source !== undefined || c.target !== undefined) checkRepositories(next);
      return next;
    });
    if (!flag(values, 'json')) ctx.out.write(`Changed job ${name}.\n`);
    printJob(ctx, job, flag(values, 'json'));
    return 0;
  },
});

function simple(name: string, summary: string, description: string, act: (ctx: CommandContext, job: string, json: boolean) => Promise<number>): Command {
  return defineCommand({
    name, summary, usage: `Usage: backhaul ${name} NAME [--json]`, description,
    arguments: [{name: 'NAME', description: 'the job'}], options: [option.flag('json', 'print the result as JSON')], positionals: true,
    run: (ctx, values, positionals) => act(ctx, jobName(positionals, name), flag(values, 'json')),
  });
}

export const jobShow = simple('job show', 'print a saved job', 'Prints every setting of the job, its copy window spelled out.', async (ctx, name, json) => {
  printJob(ctx, getJob(name), json);
  return 0;
});

export const jobRemove = simple('job rm', 'remove a saved job (its history stays)', 'Forgets the job. Its history and run logs stay; a run under way goes on to its end.', async (ctx, name, json) => {
  const job = await removeJob(name);
  if (json) printJson(ctx, job);
  else ctx.out.write(`Removed job ${name}.\n`);
  return 0;
});

const enabling = (enabled: boolean) => async (ctx: CommandContext, name: string, json: boolean) => {
  const job = await updateJob(name, (old) => ({...old, enabled}));
  if (json) printJson(ctx, job);
  else ctx.out.write(`Job ${name} is ${enabled ? 'enabled' : 'disabled'}.\n`);
  return 0;
};

export const jobEnable = simple('job enable', 'let the service run a job again', 'The service starts its runs again (immediate: at once, catching up).', enabling(true));
export const jobDisable = simple('job disable', 'keep the service from running a job', 'No new run starts (a run under way goes on: `backhaul job stop` ends it). `job run` still runs it.', enabling(false));

export const jobList: Command = defineCommand({
  name: 'job list',
  summary: 'list the saved jobs',
  usage: 'Usage: backhaul job list [--json]',
  description: 'One line per job: name, mode and schedule, source → target, enabled. `backhaul job status` says how each is doing.',
  options: [option.flag('json', 'print the jobs as JSON')],
  async run(ctx, values) {
    const jobs = listJobs();
    if (flag(values, 'json')) {
      printJson(ctx, jobs);
      return 0;
    }
    if (jobs.length === 0) {
      ctx.out.write('No jobs yet: add one with `backhaul job add NAME --from SRC --to DST --mode immediate|periodic`.\n');
      return 0;
    }
    const rows = jobs.map((j) => [j.name, j.mode === 'immediate' ? 'immediate' : `periodic (${j.every !== undefined ? `every ${j.every}` : `cron ${j.cron}`})`,
      `${j.source} → ${j.target}`, j.enabled ? 'yes' : 'no']);
    ctx.out.write(table(rows.map((r) => r.map((c) => safeText(c))), ['NAME', 'MODE', 'FROM → TO', 'ENABLED']));
    return 0;
  },
});
