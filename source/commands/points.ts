/**
 * `backhaul points BACKUP_ID`: the restore points of one backup. On the
 * target of a job with a retention policy that copies the backup, each
 * point the policy keeps says why (`keptFor`, and W/M/Y for GFS).
 */
import {summarizeListed} from '../engine/catalog.js';
import {usageError} from '../engine/errors.js';
import {gfsMarks, jobRetentionFor, keptForOf, listJobs} from '../engine/jobs/index.js';
import {defineCommand, flag, str, type Command} from './command.js';
import {option} from './options.js';
import {passwordOptions} from './password.js';
import {visibleBackup} from '../engine/access/view.js';
import {formatBytes, printJson, table} from './render/output.js';
import {openRepoArg} from './repo-arg.js';

/** The retention of a job that keeps the backup here; a jobs file that does not read costs the marks, not the list. */
function retentionFor(repo: string, backup: Parameters<typeof jobRetentionFor>[2]) {
  try {
    return jobRetentionFor(listJobs(), repo, backup);
  } catch {
    return undefined;
  }
}

export const points: Command = defineCommand({
  name: 'points',
  summary: 'list the restore points of a backup',
  usage: 'Usage: backhaul points BACKUP_ID [--repo NAME] [--json]',
  description: `Lists the restore points of one backup, oldest first: id, time, full or
incremental, logical bytes (all nodes) and the bytes each point added. On the
target of a job with a retention policy (\`job add --keep-*\`) that copies this
backup, the points the policy keeps for GFS are marked W, M, Y, and --json gives
each kept point's keptFor (short-term, weekly, monthly, yearly).`,
  options: [
    passwordOptions.file,
    option.text('repo', 'NAME', 'repository name, path or s3:// URL'),
    option.flag('json', 'print a JSON array (id, time, type, logicalBytes, storedBytes, nodes, parent, keptFor)'),
  ],
  positionals: true,
  async run(ctx, values, positionals) {
    const [id, extra] = positionals;
    if (!id || extra)
      throw usageError('Usage: backhaul points BACKUP_ID [--repo NAME].', 'Run `backhaul list` to see backup ids.');
    const repo = await openRepoArg(str(values, 'repo'));
    const backup = await visibleBackup(repo, id);
    const summaries = (await repo.listPointSummaries(backup.id)).map(summarizeListed);
    const policy = retentionFor(str(values, 'repo') ?? repo.location, backup);
    const kept = policy ? keptForOf(summaries, policy.retention) : undefined;
    const list = summaries.map(p => (kept?.has(p.id) ? {...p, keptFor: kept.get(p.id)} : p));
    if (flag(values, 'json')) {
      printJson(ctx, list);
      return 0;
    }
    ctx.out.write(`${backup.machine} (${backup.kind}, job ${backup.job}, owner ${backup.owner})\n`);
    if (policy) ctx.out.write(`Kept for GFS by job ${policy.job}'s retention: W weekly, M monthly, Y yearly.\n`);
    ctx.out.write(
      table(
        list.map(p => [
          p.id,
          p.time.replace('T', ' ').slice(0, 19),
          p.type,
          formatBytes(p.logicalBytes),
          formatBytes(p.storedBytes),
          ...(kept ? [gfsMarks(kept.get(p.id))] : []),
        ]),
        ['ID', 'TIME (UTC)', 'TYPE', 'LOGICAL', 'ADDED', ...(kept ? ['GFS'] : [])],
      ),
    );
    return 0;
  },
});
