/**
 * Restoring a restore point, the one entry both faces call, so the rule for
 * who writes and who is audited lives here and not in a face:
 * - on someone's behalf (`forUser`, with a reason): the delegated restore,
 *   written with that user's rights and audited (restore/delegated.ts);
 * - through sudo, for oneself: the user's own restore, written with the
 *   caller's rights and audited as restore.own;
 * - otherwise the plain restore of a backup the process's user may see, as
 *   that user (restore/restore.ts restorePoint).
 * All three write through restore/restore.ts restorePlan.
 */
import {resolve} from 'node:path';
import type {AuditEntry} from '../access/audit.js';
import {accessFor, visibleBackup} from '../access/view.js';
import {usageError} from '../errors.js';
import type {BackupRecord, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {delegatedRestore, ownRestore, type RunOptions} from '../restore/delegated.js';
import {restorePoint, type Destination} from '../restore/restore.js';
import {pickPoint} from '../restore/select.js';

export type {Destination, RestoreProgress} from '../restore/restore.js';

export interface RestoreJob {
  backupId: string;
  /** A point id or 'latest'. */
  pointId: string;
  node?: string;
  disk?: string;
  paths?: string[];
  destination: Destination;
  /** Restore on this user's behalf (needs the restore.delegated privilege and a `reason`). */
  forUser?: string;
  /** Why: required on someone's behalf, recorded in the audit log. */
  reason?: string;
}

export interface RestoreDone {
  backup: BackupRecord;
  point: PointManifest;
  /** Files written (disk images not counted), and bytes. */
  files: number;
  bytes: number;
  /** Absolute path of the directory or archive written. */
  destination: string;
  /** Disk images written (volume-level disks), absolute paths: plain restores only. */
  images: string[];
  /** Existing files kept, with the name the restored copy got; and existing files replaced (audited restores). */
  renamed: Array<[string, string]>;
  replaced: string[];
  /** Files and directories whose setuid/setgid bits were dropped. */
  specialDropped: number;
  /** Bytes read from the repository for files inside volume images (0 otherwise). */
  readBytes: number;
  /** Entries inside images not restored (device nodes, fifos, sockets), with why. */
  skipped: string[];
  /** The audit entry of an audited restore (on someone's behalf, or one's own through sudo). */
  audit?: AuditEntry;
}

export async function restoreJob(repo: Repository, job: RestoreJob, run: RunOptions = {}): Promise<RestoreDone> {
  const access = await accessFor(repo);
  const request = {
    backupId: job.backupId,
    pointId: job.pointId,
    node: job.node,
    disk: job.disk,
    paths: job.paths,
    destination: job.destination,
  };
  if (job.forUser !== undefined || access.actor.viaSudo) {
    const r =
      job.forUser !== undefined
        ? await delegatedRestore(repo, access, {...request, forUser: job.forUser, reason: job.reason ?? ''}, run)
        : await ownRestore(repo, access, {...request, reason: job.reason}, run);
    return {...r, images: []};
  }
  return plainRestore(repo, job, run);
}

async function plainRestore(repo: Repository, job: RestoreJob, run: RunOptions): Promise<RestoreDone> {
  const dest = job.destination;
  if (dest.kind === 'dir' && dest.conflict === 'keep')
    throw usageError(
      '--conflict keep needs --delegated (or a run through sudo).',
      'Use --overwrite, or restore to an empty directory.',
    );
  const backup = await visibleBackup(repo, job.backupId);
  const point = await pickPoint(repo, backup, job.pointId);
  const result = await restorePoint(repo, backup, point, {
    to: dest.path,
    tar: dest.kind === 'tar',
    node: job.node,
    disk: job.disk,
    paths: job.paths,
    overwrite: dest.kind === 'dir' && dest.conflict === 'overwrite',
    signal: run.signal,
    onProgress: run.onProgress,
    now: run.now,
  });
  return {
    backup,
    point,
    files: result.files,
    bytes: result.bytes,
    destination: resolve(dest.path),
    images: result.images,
    renamed: [],
    replaced: [],
    specialDropped: result.specialDropped,
    readBytes: result.readBytes,
    skipped: result.skipped,
  };
}
