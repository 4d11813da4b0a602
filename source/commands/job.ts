/**
 * `backhaul job add|edit|rm|list|show|enable|disable`: saved backup copy
 * jobs (engine/jobs). Every value is checked before anything is written
 * (engine/jobs/validate.ts): a bad one is a usage error (exit 2) naming the
 * option and the value, with a hint, and the jobs file is left as it was.
 */
import {usageError} from '../engine/errors.js';
import {
  addJob,
  checkJobName,
  checkRepositories,
  describeJob,
  getJob,
  listJobs,
  mergeRetention,
  removeJob,
  updateJob,
  withDefaults,
  type JobDefinition,
  type JobInput,
  type JobRetention,
} from '../engine/jobs/index.js';
import {defineCommand, flag, type Command, type CommandContext} from './command.js';
import {applyChanges, changesFrom, jobOptions} from './job-options.js';
import {option} from './options.js';
import {printJson, safeText, table} from './render/output.js';

function jobName(positionals: string[], command: string): string {
  if (positionals.length !== 1)
    throw usageError(`\`backhaul ${command}\` takes one job name.`, `Example: backhaul ${command} nightly`);
  return checkJobName(positionals[0]!);
}

function printJob(ctx: CommandContext, job: JobDefinition, json: boolean): void {
  if (json) printJson(ctx, job);
  else
    ctx.out.write(
      describeJob(job)
        .map(l => safeText(l))
        .join('\n') + '\n',
    );
}

export const jobAdd: Command = defineCommand({
  name: 'job add',
  summary: 'save a backup copy job (immediate or periodic, with window, throttle, RPO, scripts)',
  usage: `Usage: backhaul job add NAME --from SRC --to DST --mode immediate|periodic [--every 1h | --cron EXPR]
                    [--machine P ...] [--job P ...] [--nodes a,b] [--points latest|latest:N|all|since:DATE]
                    [--window RULE ...] [--throttle MB/s] [--rpo 24h] [--pre CMD] [--post CMD]
                    [--script-timeout 10m] [--health monthly|CRON] [--disabled]
                    [--keep-last N [--keep-weekly W] [--keep-monthly M] [--keep-yearly Y]
                     [--weekly-day D] [--monthly-day D] [--yearly-month M] [--prune-every 7d | --prune-cron EXPR]]
                    [--json]`,
  description: `Saves a job in the configuration (jobs.json beside config.json). The service
(\`backhaul service\`) runs it: an immediate job copies every new restore point of
the source as soon as it is committed; a periodic one copies on its schedule.
\`backhaul job run NAME\` runs it now, detached. With --keep-last (and GFS
--keep-weekly/--keep-monthly/--keep-yearly), after each successful run the job
forgets, on the target and only for the backups it copies, the points the policy
does not keep (as \`backhaul forget\`), and prunes the target when the last prune
is older than --prune-every (7d) or --prune-cron says so. Every value is checked
first: a bad one is refused (exit 2) and nothing is saved.`,
  arguments: [{name: 'NAME', description: 'the job\'s name (letters, digits, ".", "_", "-")'}],
  options: [...jobOptions, option.flag('json', 'print the saved job as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const name = jobName(positionals, 'job add');
    const c = changesFrom(values);
    if (c.source === undefined || c.target === undefined)
      throw usageError(
        'Pass --from SOURCE and --to TARGET.',
        'Example: backhaul job add nightly --from primary --to offsite --mode periodic --every 1d',
      );
    if (c.mode === undefined)
      throw usageError(
        'Pass --mode immediate or --mode periodic.',
        'immediate copies every new restore point as it appears; periodic runs on --every or --cron.',
      );
    if (c.retention) c.retention = mergeRetention(undefined, c.retention as Partial<JobRetention>);
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
--window, --throttle, --rpo, --pre, --post, --health; --no-retention clears the
retention policy (a --keep-* or --prune-* option changes only that value of it). A run under way keeps the
settings it started with. A bad value is refused (exit 2) and nothing changes.`,
  arguments: [{name: 'NAME', description: 'the job'}],
  options: [...jobOptions.filter(o => o.name !== 'disabled'), option.flag('json', 'print the job as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const name = jobName(positionals, 'job edit');
    const c = changesFrom(values);
    if (Object.keys(c).length === 0)
      throw usageError(
        'Nothing to change.',
        'Pass the options to change, e.g. --throttle 50 or --window "mon-fri 08:00-18:00".',
      );
    const job = await updateJob(name, old => {
      const next = applyChanges(old, c);
      if (c.source !== undefined || c.target !== undefined) checkRepositories(next);
      return next;
    });
    if (!flag(values, 'json')) ctx.out.write(`Changed job ${name}.\n`);
    printJob(ctx, job, flag(values, 'json'));
    return 0;
  },
});

function simple(
  name: string,
  summary: string,
  description: string,
  act: (ctx: CommandContext, job: string, json: boolean) => Promise<number>,
): Command {
  return defineCommand({
    name,
    summary,
    usage: `Usage: backhaul ${name} NAME [--json]`,
    description,
    arguments: [{name: 'NAME', description: 'the job'}],
    options: [option.flag('json', 'print the result as JSON')],
    positionals: true,
    run: (ctx, values, positionals) => act(ctx, jobName(positionals, name), flag(values, 'json')),
  });
}

export const jobShow = simple(
  'job show',
  'print a saved job',
  'Prints every setting of the job, its copy window spelled out.',
  async (ctx, name, json) => {
    printJob(ctx, getJob(name), json);
    return 0;
  },
);

export const jobRemove = simple(
  'job rm',
  'remove a saved job (its history stays)',
  'Forgets the job. Its history and run logs stay; a run under way goes on to its end.',
  async (ctx, name, json) => {
    const job = await removeJob(name);
    if (json) printJson(ctx, job);
    else ctx.out.write(`Removed job ${name}.\n`);
    return 0;
  },
);

const enabling = (enabled: boolean) => async (ctx: CommandContext, name: string, json: boolean) => {
  const job = await updateJob(name, old => ({...old, enabled}));
  if (json) printJson(ctx, job);
  else ctx.out.write(`Job ${name} is ${enabled ? 'enabled' : 'disabled'}.\n`);
  return 0;
};

export const jobEnable = simple(
  'job enable',
  'let the service run a job again',
  'The service starts its runs again (immediate: at once, catching up).',
  enabling(true),
);
export const jobDisable = simple(
  'job disable',
  'keep the service from running a job',
  'No new run starts (a run under way goes on: `backhaul job stop` ends it). `job run` still runs it.',
  enabling(false),
);

export const jobList: Command = defineCommand({
  name: 'job list',
  summary: 'list the saved jobs',
  usage: 'Usage: backhaul job list [--json]',
  description:
    'One line per job: name, mode and schedule, source → target, enabled. `backhaul job status` says how each is doing.',
  options: [option.flag('json', 'print the jobs as JSON')],
  async run(ctx, values) {
    const jobs = listJobs();
    if (flag(values, 'json')) {
      printJson(ctx, jobs);
      return 0;
    }
    if (jobs.length === 0) {
      ctx.out.write(
        'No jobs yet: add one with `backhaul job add NAME --from SRC --to DST --mode immediate|periodic`.\n',
      );
      return 0;
    }
    const rows = jobs.map(j => [
      j.name,
      j.mode === 'immediate'
        ? 'immediate'
        : `periodic (${j.every !== undefined ? `every ${j.every}` : `cron ${j.cron}`})`,
      `${j.source} → ${j.target}`,
      j.enabled ? 'yes' : 'no',
    ]);
    ctx.out.write(
      table(
        rows.map(r => r.map(c => safeText(c))),
        ['NAME', 'MODE', 'FROM → TO', 'ENABLED'],
      ),
    );
    return 0;
  },
});
