/**
 * A job's retention, apart from running it (operations/job-retention.ts):
 * its checks, its words, when its prune is due, and what the history says
 * its last retention did. Pure but for the history passed in: the run, the
 * service and `job status` agree, and tests need no clock.
 *
 * Prune schedule: due when the job never pruned, or when `pruneEvery`
 * (default 7d) has passed since the last prune, or when `pruneCron` has an
 * occurrence between the last prune (or the job's creation) and now.
 */
import {selectBackups} from '../copy/selection.js';
import {usageError} from '../errors.js';
import type {BackupRecord} from '../repository/model.js';
import {checkPolicy, MIN_KEEP_LAST, selectPoints, type KeptFor, type PolicyPoint} from '../retention/policy.js';
import {formatBytes} from '../util/format.js';
import {resolveLocation} from '../workspace/open.js';
import type {SessionRecord} from './history.js';
import {DEFAULT_PRUNE_EVERY, type JobDefinition, type JobRetention} from './job.js';
import {parseCron, parseInterval} from './schedule.js';

/** What one run's retention did, as the history keeps it. */
export interface RetentionOutcome {
  /** Restore points kept and removed on the target, over the backups the job copies. */
  kept: number;
  removed: number;
  /** Bytes the prune freed (0 when it did not prune). */
  bytesFreed: number;
  /** A prune ran (it was due and finished). */
  pruned: boolean;
  /** Another writer held the target: forget (`forget`) or only the prune (`prune`) was put off to the next run. */
  postponed?: 'forget' | 'prune';
}

/** A job's retention as `job status` and the Jobs screen show it. */
export interface RetentionStatus {
  kept: number;
  removed: number;
  bytesFreed: number;
  /** ISO time the last retention ran (its run's end). */
  at: string;
  postponed?: 'forget' | 'prune';
  /** ISO time of the last run that pruned. */
  lastPrune?: string;
}

/** The checks of validate.ts for a job's retention (usage errors naming the option). */
export function checkRetention(r: JobRetention): void {
  checkPolicy(r);
  if (r.pruneEvery !== undefined && r.pruneCron !== undefined)
    throw usageError(
      'A job prunes on one schedule: --prune-every or --prune-cron, not both.',
      'Drop one of them (without either, it prunes every 7 days).',
    );
  if (r.pruneEvery !== undefined) parseInterval(r.pruneEvery, '--prune-every', 1000);
  if (r.pruneCron !== undefined) parseCron(r.pruneCron, '--prune-cron');
}

/** Whether a run ending `now` prunes (see the header). */
export function pruneDue(r: JobRetention, created: string, lastPrune: Date | undefined, now: Date): boolean {
  if (r.pruneCron !== undefined) {
    const next = parseCron(r.pruneCron, '--prune-cron').nextRun(lastPrune ?? new Date(created));
    return next !== null && next.getTime() <= now.getTime();
  }
  if (!lastPrune) return true;
  const every = parseInterval(r.pruneEvery ?? DEFAULT_PRUNE_EVERY, '--prune-every', 1000);
  return now.getTime() - lastPrune.getTime() >= every;
}

/** When the job's retention last pruned, from the history (its run's end). */
export function lastPruneOf(history: readonly SessionRecord[], job: string): Date | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i]!;
    if (s.job === job && s.retention?.pruned) return new Date(s.summary.endedAt);
  }
  return undefined;
}

/** The job's last retention and last prune, from the history; undefined when it never ran one. */
export function retentionStatus(history: readonly SessionRecord[], job: string): RetentionStatus | undefined {
  for (let i = history.length - 1; i >= 0; i--) {
    const s = history[i]!;
    if (s.job !== job || !s.retention) continue;
    const lastPrune = lastPruneOf(history.slice(0, i + 1), job);
    return {
      kept: s.retention.kept,
      removed: s.retention.removed,
      bytesFreed: s.retention.bytesFreed,
      at: s.summary.endedAt,
      ...(s.retention.postponed ? {postponed: s.retention.postponed} : {}),
      ...(lastPrune ? {lastPrune: lastPrune.toISOString()} : {}),
    };
  }
  return undefined;
}

/** One line for `job show`. */
export function describeRetention(r: JobRetention | undefined): string {
  if (!r) return 'none (the target keeps every point)';
  const gfs = [
    r.keepWeekly ? `${r.keepWeekly} weekly` : '',
    r.keepMonthly ? `${r.keepMonthly} monthly` : '',
    r.keepYearly ? `${r.keepYearly} yearly` : '',
  ].filter(Boolean);
  const prune = r.pruneCron !== undefined ? `cron ${r.pruneCron}` : `every ${r.pruneEvery ?? DEFAULT_PRUNE_EVERY}`;
  return `keep last ${r.keepLast}${gfs.length > 0 ? ` + ${gfs.join(', ')}` : ''}; prune ${prune}`;
}

/** What a retention did, in words: "kept 4, removed 1, freed 1.2 MB" (and a postponement). */
export function retentionWords(r: Pick<RetentionOutcome, 'kept' | 'removed' | 'bytesFreed' | 'postponed'>): string {
  if (r.postponed === 'forget') return 'postponed (the target was busy)';
  const words = `kept ${r.kept}, removed ${r.removed}, freed ${formatBytes(r.bytesFreed)}`;
  return r.postponed === 'prune' ? `${words}; prune postponed (the target was busy)` : words;
}

/** The location a repository argument (a registered name, a path, an s3:// URL) stands for; undefined if none. */
function locationOf(nameOrLocation: string): string | undefined {
  try {
    return resolveLocation(nameOrLocation).entry.location;
  } catch {
    return undefined;
  }
}

/**
 * The retention of the first job (by name) that keeps `backup` on the
 * repository `repo` (a registered name, path or URL): its target is that
 * repository and its selection (machines, agent jobs) takes the backup.
 */
export function jobRetentionFor(
  jobs: readonly JobDefinition[],
  repo: string,
  backup: Pick<BackupRecord, 'id' | 'machine' | 'job'>,
): {job: string; retention: JobRetention} | undefined {
  const here = locationOf(repo);
  for (const job of [...jobs].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!job.retention) continue;
    if (job.target !== repo && (here === undefined || locationOf(job.target) !== here)) continue;
    const selection = {machine: [...job.machines], job: [...job.agentJobs]};
    if (selectBackups([backup as BackupRecord], selection).length === 0) continue;
    return {job: job.name, retention: job.retention};
  }
  return undefined;
}

/**
 * Why the policy keeps each point it keeps (point id → reasons), computed
 * once over all the points: what the Restore points screen and `points
 * --json` show as the GFS marks.
 */
export function keptForOf(points: readonly PolicyPoint[], policy: JobRetention): Map<string, KeptFor[]> {
  return new Map(selectPoints(points, policy).kept.map(k => [k.point.id, k.keptFor]));
}

/** The short marks of a point's GFS reasons: "W", "M", "Y" (short-term has none). */
export function gfsMarks(keptFor: readonly KeptFor[] | undefined): string {
  const letters: Partial<Record<KeptFor, string>> = {weekly: 'W', monthly: 'M', yearly: 'Y'};
  return (keptFor ?? []).flatMap(k => letters[k] ?? []).join(' ');
}

/**
 * A job's retention with `given` applied: --prune-every and --prune-cron
 * replace each other; a new policy without --keep-last keeps the minimum
 * (as forget does), and one with no --keep-* at all is refused.
 */
export function mergeRetention(old: JobRetention | undefined, given: Partial<JobRetention>): JobRetention {
  const keeps = ['keepLast', 'keepWeekly', 'keepMonthly', 'keepYearly'] as const;
  if (!old && keeps.every(k => given[k] === undefined))
    throw usageError(
      'A retention policy needs --keep-last N and, if you like, --keep-weekly, --keep-monthly or --keep-yearly.',
      `For example --keep-last ${MIN_KEEP_LAST} --keep-weekly 4.`,
    );
  const next: Record<string, unknown> = {keepLast: MIN_KEEP_LAST, ...old, ...given};
  if (given.pruneEvery !== undefined) delete next.pruneCron;
  if (given.pruneCron !== undefined) delete next.pruneEvery;
  if (given.pruneEvery !== undefined && given.pruneCron !== undefined) {
    next.pruneEvery = given.pruneEvery; // both given: validate.ts refuses the pair, naming both
    next.pruneCron = given.pruneCron;
  }
  return next as unknown as JobRetention;
}
