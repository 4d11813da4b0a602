/** `backhaul list`: the backups of a repository, newest first. */
import {summarizeBackups, type BackupSummary} from '../engine/catalog.js';
import {defineCommand, flag, str, type Command} from './command.js';
import {option} from './options.js';
import {passwordOptions} from './password.js';
import {visibleBackups} from '../engine/access/view.js';
import {formatBytes, printJson, table} from './render/output.js';
import {openRepoArg} from './repo-arg.js';
import {sayOnStderr} from './render/notices.js';

export function backupJson(s: BackupSummary) {
  return {
    id: s.id,
    job: s.job,
    machine: s.machine,
    kind: s.kind,
    owner: s.owner,
    nodes: s.nodes.map(n => ({
      name: n.name,
      disks: n.disks.map(d => ({
        name: d.name,
        kind: d.kind,
        shared: d.shared,
        ...(d.shared ? {ownerNode: d.ownerNode} : {}),
      })),
    })),
    points: s.points,
    latestPoint: s.latestPoint ?? null,
    logicalBytes: s.logicalBytes,
    storedBytes: s.storedBytes,
    copy: s.copy,
    ...(s.origin ? {origin: s.origin} : {}),
  };
}

export const list: Command = defineCommand({
  name: 'list',
  summary: 'list the backups in a repository (machines and clusters), newest first',
  usage: 'Usage: backhaul list [--repo NAME] [--json]',
  description: `Lists the agent backups you may see in a repository: one line per machine or
failover cluster, with its kind, owner, nodes, number of restore points, newest
point, logical bytes (what the points hold, node by node; cluster shared disks
count once per node) and stored bytes (what they take in this repository).
Non-admins see only backups whose access list names them; copies are admin-only.`,
  options: [
    passwordOptions.file,
    option.text('repo', 'NAME', 'repository name, path or s3:// URL', {
      default: 'the only registered one, or demo-primary',
    }),
    option.flag(
      'json',
      'print a JSON array (id, job, machine, kind, owner, nodes, points, latestPoint, logicalBytes, storedBytes, copy, origin)',
    ),
  ],
  async run(ctx, values) {
    const repo = await openRepoArg(str(values, 'repo'), '--repo', sayOnStderr(ctx));
    const summaries = await summarizeBackups(repo, await visibleBackups(repo));
    if (flag(values, 'json')) {
      printJson(ctx, summaries.map(backupJson));
      return 0;
    }
    if (summaries.length === 0) {
      ctx.out.write(`No backups you may see in ${repo.location}.\n`);
      return 0;
    }
    ctx.out.write(
      table(
        summaries.map(s => [
          s.id,
          s.machine,
          s.kind + (s.copy ? ' (copy)' : ''),
          s.owner,
          s.nodes.length > 1 ? String(s.nodes.length) : '-',
          String(s.points),
          s.latestPoint?.slice(0, 16).replace('T', ' ') ?? '-',
          formatBytes(s.logicalBytes),
          formatBytes(s.storedBytes),
        ]),
        ['ID', 'MACHINE', 'KIND', 'OWNER', 'NODES', 'POINTS', 'NEWEST', 'LOGICAL', 'STORED'],
      ),
    );
    return 0;
  },
});
