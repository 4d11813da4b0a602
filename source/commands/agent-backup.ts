/** `backhaul agent backup`: make a restore point of a machine or a failover cluster. */
import {readFile} from 'node:fs/promises';
import {dirname, resolve} from 'node:path';
import {userInfo} from 'node:os';
import {runBackup, pathsDisk, type BackupSpec, type DiskSource} from '../engine/agent/backup.js';
import {clusterBackupSpec, parseClusterSpec} from '../engine/agent/cluster-spec.js';
import {fromSystemError, usageError} from '../engine/errors.js';
import type {BackupKind} from '../engine/repository/model.js';
import {defineCommand, flag, num, str, strs, type Command} from './command.js';
import {option} from './options.js';
import {createProgress} from './render/progress.js';
import {formatBytes, printJson} from './render/output.js';
import {openRepoArg} from './repo-arg.js';
import {checkOwnerOption} from './owner-option.js';

export function machineSpec(
  job: string,
  machine: string,
  kind: BackupKind,
  owner: string,
  paths: string[],
  disks: string[],
): BackupSpec {
  if (paths.length > 0 && disks.length > 0)
    throw usageError('Pass --path (file-level) or --disk (volume-level), not both.', 'Make two jobs if you need both.');
  if (paths.length === 0 && disks.length === 0)
    throw usageError(
      'Nothing to back up.',
      'Pass --path DIR (file-level) or --disk LABEL=IMAGE (volume-level), or --cluster SPEC.json.',
    );
  const sources: DiskSource[] =
    paths.length > 0
      ? [pathsDisk(paths.map(p => resolve(p)))]
      : disks.map(d => {
          const at = d.indexOf('=');
          if (at <= 0)
            throw usageError(
              `--disk "${d}" is not LABEL=IMAGE_FILE.`,
              'Example: --disk root=/dev/vg0/root or --disk data=/srv/images/data.img',
            );
          return {name: d.slice(0, at), kind: 'image', image: resolve(d.slice(at + 1))};
        });
  return {job, machine, kind, owner, nodes: [{name: machine, disks: sources}]};
}

export const agentBackup: Command = defineCommand({
  name: 'agent backup',
  summary: 'back up a machine (files or disk images) or a failover cluster into a repository',
  usage: `Usage:
  backhaul agent backup --repo NAME --job JOB --machine HOST --kind workstation|server
                        (--path DIR ... | --disk LABEL=IMAGE_FILE ...) [--owner USER] [--json]
  backhaul agent backup --repo NAME --cluster SPEC.json [--owner USER] [--json]`,
  description: `Makes one restore point. The first run of a job is a full point; later runs are
incremental: unchanged files are not read again and unchanged data is not stored
again. File-level (--path) keeps modes, owners, mtimes, symlinks, empty
directories and sparse files; each DIR is stored under its base name.
Volume-level (--disk) reads a disk image or block device.

A failover cluster spec names the cluster, its nodes with their local disks, and
the shared disks with their owner node:
  {"cluster": "sql-cluster", "job": "sql-cluster",
   "nodes": [{"name": "node1", "disks": [{"name": "system", "path": "/srv/n1"}]}, ...],
   "sharedDisks": [{"name": "data", "ownerNode": "node1", "image": "/srv/data.img"}]}
Shared disks are read once, on their owner node, and referenced by every other
node: one backup per cluster, every restore point covers every node.`,
  options: [
    option.text('repo', 'NAME', 'repository name, path or s3:// URL'),
    option.text('job', 'JOB', 'job name (points of one job and machine form one backup)'),
    option.text('machine', 'HOST', 'machine name'),
    option.oneOf('kind', 'KIND', ['workstation', 'server'], 'what the machine is'),
    option.texts('path', 'DIR', 'directory to back up'),
    option.texts('disk', 'L=IMAGE', 'disk image or block device to back up as disk L'),
    option.text('cluster', 'FILE', 'back up a failover cluster described by FILE'),
    option.text('owner', 'USER', 'record another owner; admins only', {default: 'you'}),
    option.duration('wait', 'SECONDS', 's', 'wait this long for another writer to finish', {default: 'fail at once'}),
    option.flag(
      'force-read',
      'read every file, even those whose size, mtime, ctime and inode match the previous point (they are skipped by default)',
    ),
    option.flag('json', 'print the result as JSON'),
  ],
  async run(ctx, values) {
    const repo = await openRepoArg(str(values, 'repo'));
    const owner = await checkOwnerOption(repo, str(values, 'owner'), userInfo().username);
    let spec: BackupSpec;
    const clusterFile = str(values, 'cluster');
    if (clusterFile) {
      const text = await readFile(clusterFile, 'utf8').catch((e: unknown) => {
        throw fromSystemError(e, clusterFile) ?? e;
      });
      const cluster = parseClusterSpec(text, dirname(resolve(clusterFile)));
      // An "owner" in the spec is a request like --owner: only admins may name someone else.
      const clusterOwner =
        cluster.owner === undefined ? owner : await checkOwnerOption(repo, cluster.owner, userInfo().username);
      spec = clusterBackupSpec({...cluster, owner: clusterOwner}, clusterOwner);
    } else {
      const job = str(values, 'job');
      const machine = str(values, 'machine');
      const kind = str(values, 'kind');
      if (!job || !machine)
        throw usageError(
          'Missing --job or --machine.',
          'Example: backhaul agent backup --repo primary --job daily --machine ws-01 --kind workstation --path /home',
        );
      if (kind !== 'workstation' && kind !== 'server')
        throw usageError(
          `--kind must be workstation or server, not "${kind ?? ''}".`,
          'Clusters use --cluster SPEC.json.',
        );
      spec = machineSpec(job, machine, kind, owner, strs(values, 'path'), strs(values, 'disk'));
    }
    const json = flag(values, 'json');
    const view = createProgress(ctx.err, json);
    const started = performance.now();
    try {
      const point = await runBackup(repo, spec, {
        signal: ctx.signal,
        waitMs: num(values, 'wait') ?? 0,
        forceRead: flag(values, 'force-read'),
        onEvent: e => {
          if (e.type === 'agent.progress')
            view.update(`${e.node}/${e.disk}`, {
              label: spec.nodes.length > 1 ? `${e.node}/${e.disk}` : e.disk,
              done: e.bytesDone,
              total: e.bytesTotal,
              detail: e.filesTotal ? `${e.filesDone}/${e.filesTotal} files` : '',
            });
        },
      });
      view.stop();
      const result = {
        backupId: point.backupId,
        pointId: point.id,
        type: point.type,
        time: point.time,
        logicalBytes: point.logicalBytes,
        storedBytes: point.storedBytes,
        seconds: Math.round(performance.now() - started) / 1000,
      };
      if (json) printJson(ctx, result);
      else
        ctx.out.write(
          `${point.type === 'full' ? 'Full' : 'Incremental'} restore point ${point.id} of ${spec.machine} (backup ${point.backupId}): ${formatBytes(point.logicalBytes)} processed, ${formatBytes(point.storedBytes)} stored.\n`,
        );
      return 0;
    } finally {
      view.stop();
    }
  },
});
