/**
 * `backhaul forget` and `backhaul prune`: retention on a repository
 * (engine/retention). forget removes the restore points a policy does not
 * keep; prune removes the data no point references. Both take the
 * exclusive lock, both have --dry-run and --json.
 */
import {usageError} from '../engine/errors.js';
import {
  checkPolicy,
  DEFAULT_REPACK_THRESHOLD,
  forget as forgetPoints,
  MIN_KEEP_LAST,
  prune as prunePacks,
  type ForgetResult,
  type PruneResult,
  type RetentionPolicy,
} from '../engine/operations/retention.js';
import {defineCommand, flag, num, str, type Command, type CommandContext} from './command.js';
import {option} from './options.js';
import {passwordOptions} from './password.js';
import {formatBytes, printJson} from './render/output.js';
import {sayOnStderr} from './render/notices.js';
import {openRepoArg} from './repo-arg.js';

const MANY = 1_000_000;

export const forget: Command = defineCommand({
  name: 'forget',
  summary: 'remove the restore points a retention policy does not keep',
  usage:
    'Usage: backhaul forget --repo NAME [--backup ID] [--keep-last N] [--keep-weekly W] [--keep-monthly M] [--keep-yearly Y] [--dry-run] [--json]',
  description: `Applies a retention policy to every backup of the repository NAME (or one, with
--backup): keeps the newest N restore points (short-term; N is at least ${MIN_KEEP_LAST}, the
default when only GFS counts are given), plus the newest point of each of the newest W
weeks, M months and Y years that have points (GFS), and removes the other points.
A point kept for several reasons lists them all. Periods are in UTC: a week starts on
--weekly-day (0 = Sunday … 6 = Saturday; default 1, Monday), a month on day
--monthly-day (1–28; default 1), a year on the first day of month --yearly-month
(1–12; default 1). Every restore point is self-contained, so removing one never
breaks another. The data stays until \`backhaul prune\`. Only the repository named is
changed (never the source of a copy). Takes the exclusive lock.`,
  options: [
    passwordOptions.file,
    option.text('repo', 'NAME', 'repository name, path or s3:// URL'),
    option.text('backup', 'ID', 'only this backup'),
    option.integer('keep-last', 'N', {min: 0, max: MANY}, `keep the newest N points (at least ${MIN_KEEP_LAST})`),
    option.integer('keep-weekly', 'W', {min: 0, max: MANY}, 'keep the newest point of each of the newest W weeks'),
    option.integer('keep-monthly', 'M', {min: 0, max: MANY}, 'keep the newest point of each of the newest M months'),
    option.integer('keep-yearly', 'Y', {min: 0, max: MANY}, 'keep the newest point of each of the newest Y years'),
    option.integer('weekly-day', 'DAY', {min: 0, max: 6}, 'the day a week starts: 0 = Sunday … 6 = Saturday', {
      default: '1',
    }),
    option.integer('monthly-day', 'DAY', {min: 1, max: 28}, 'the day of the month a month starts', {default: '1'}),
    option.integer('yearly-month', 'MONTH', {min: 1, max: 12}, 'the month a year starts', {default: '1'}),
    option.flag('dry-run', 'say what would be kept and removed; change nothing'),
    option.flag('json', 'print the result as JSON (kept with keptFor, removed)'),
  ],
  async run(ctx, values) {
    const policy = policyOf(values);
    checkPolicy(policy); // before the repository is opened: a bad policy needs no password
    const repo = await openRepoArg(str(values, 'repo'));
    const say = sayOnStderr(ctx);
    const result = await forgetPoints(repo, policy, {
      backup: str(values, 'backup'),
      dryRun: flag(values, 'dry-run'),
      onNotice: n => say(n.message),
    });
    if (flag(values, 'json')) printJson(ctx, result);
    else printForget(ctx, result);
    return 0;
  },
});

function policyOf(values: Parameters<Command['run']>[1]): RetentionPolicy {
  const keep = ['keep-last', 'keep-weekly', 'keep-monthly', 'keep-yearly'].map(n => num(values, n));
  if (keep.every(v => v === undefined))
    throw usageError(
      'forget needs a policy: give --keep-last N and, if you like, --keep-weekly, --keep-monthly or --keep-yearly.',
      `For example: backhaul forget --repo NAME --keep-last ${MIN_KEEP_LAST} --keep-weekly 4.`,
    );
  const [keepLast, keepWeekly, keepMonthly, keepYearly] = keep;
  return {
    keepLast: keepLast ?? MIN_KEEP_LAST,
    keepWeekly,
    keepMonthly,
    keepYearly,
    weeklyDay: num(values, 'weekly-day'),
    monthlyDay: num(values, 'monthly-day'),
    yearlyMonth: num(values, 'yearly-month'),
  };
}

function printForget(ctx: CommandContext, result: ForgetResult): void {
  const verb = result.dryRun ? 'would remove' : 'removed';
  for (const b of result.backups) {
    ctx.out.write(`${b.backupId} ${b.machine} (job ${b.job}): kept ${b.kept.length}, ${verb} ${b.removed.length}\n`);
    for (const k of b.kept) ctx.out.write(`  keep   ${k.id}  ${k.time}  ${k.keptFor.join(', ')}\n`);
    for (const r of b.removed) ctx.out.write(`  ${result.dryRun ? 'would remove' : 'remove'} ${r.id}  ${r.time}\n`);
    if (b.backupRemoved) ctx.out.write(`  the backup had no restore point left: ${verb} its record\n`);
  }
  if (result.backups.length === 0) ctx.out.write('No backups; nothing to do.\n');
  else if (!result.dryRun && result.backups.some(b => b.removed.length > 0))
    ctx.out.write('Run `backhaul prune` to free the space the removed points held alone.\n');
}

export const prune: Command = defineCommand({
  name: 'prune',
  summary: 'remove the data no restore point references',
  usage: 'Usage: backhaul prune --repo NAME [--repack-threshold PERCENT] [--dry-run] [--json]',
  description: `Reads every restore point of the repository NAME and removes the packs that hold
only data no point references. A pack whose unused share of bytes reaches
--repack-threshold percent (default ${DEFAULT_REPACK_THRESHOLD * 100}) has its used data copied into new packs, then
goes. New packs and a new index are durable before anything is deleted: killed at
any moment, the repository opens and verifies, and a restore running meanwhile
completes. Takes the exclusive lock. Only the repository named is changed.`,
  options: [
    passwordOptions.file,
    option.text('repo', 'NAME', 'repository name, path or s3:// URL'),
    option.integer('repack-threshold', 'PERCENT', {min: 1, max: 100}, 'repack a pack once this share of it is unused', {
      default: String(DEFAULT_REPACK_THRESHOLD * 100),
    }),
    option.flag('dry-run', 'say what would be freed; change nothing'),
    option.flag('json', 'print the result as JSON'),
  ],
  async run(ctx, values) {
    const repo = await openRepoArg(str(values, 'repo'));
    const say = sayOnStderr(ctx);
    const threshold = num(values, 'repack-threshold');
    const result = await prunePacks(repo, {
      dryRun: flag(values, 'dry-run'),
      repackThreshold: threshold === undefined ? undefined : threshold / 100,
      onNotice: n => say(n.message),
    });
    if (flag(values, 'json')) printJson(ctx, result);
    else printPrune(ctx, result);
    return 0;
  },
});

function printPrune(ctx: CommandContext, r: PruneResult): void {
  const would = r.dryRun ? 'Would delete' : 'Deleted';
  ctx.out.write(
    `${would} ${r.packsDeleted} pack(s), repack ${r.packsRepacked} (${r.packsWritten} new); ` +
      `${formatBytes(r.bytesBefore)} before, ${formatBytes(r.bytesAfter)} after, ${formatBytes(r.bytesFreed)} freed.\n`,
  );
}
