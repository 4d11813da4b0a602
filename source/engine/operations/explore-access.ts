/**
 * Who an explorer run is for, decided once for both faces, by the rule a
 * restore follows (operations/restore.ts): on a user's behalf (`forUser` and
 * a reason: the restore.delegated privilege, written with that user's rights,
 * audited as restore.delegated), one's own through sudo (the caller's
 * rights, audited as restore.own), or the plain run of a backup the process's
 * user may see. Browsing on someone's behalf needs the privilege too.
 */
import {userInfo} from 'node:os';
import {appendAudit, type AuditAction, type AuditEntry} from '../access/audit.js';
import {getVisibleBackup, getVisiblePoint, requirePrivilege} from '../access/authorize.js';
import {lookupUser, type UserDb} from '../access/identity.js';
import {recordRefusal} from '../access/refusals.js';
import {accessFor} from '../access/view.js';
import {BackhaulError, denied, notFound, usageError} from '../errors.js';
import type {BackupId, PointId} from '../ids.js';
import type {BackupRecord, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {checkCanWriteAs, type Writer} from '../restore/write-plan.js';

export interface ExploreTarget {
  backupId: string;
  /** A point id or 'latest'. */
  pointId: string;
  node?: string;
  disk?: string;
  /** The file or mailbox, as the restore browser shows it. */
  path: string;
  /** On this user's behalf (needs restore.delegated and a reason). */
  forUser?: string;
  reason?: string;
  userDb?: UserDb;
}

export interface Opened {
  backup: BackupRecord;
  point: PointManifest;
  /** Who writes what the run restores. */
  writer: Writer;
  /** Set when the run is audited. */
  audit?: (items: string[], destination: string, outcome: {bytes: number} | {error: unknown}) => Promise<AuditEntry>;
}

function selfWriter(): Writer {
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `#${process.geteuid!()}`;
  }
  return {uid: process.geteuid!(), gid: process.getegid!(), name};
}

export async function openTarget(repo: Repository, job: ExploreTarget): Promise<Opened> {
  const access = await accessFor(repo);
  let action: AuditAction | undefined;
  let writer = selfWriter();
  if (job.forUser !== undefined) {
    try {
      requirePrivilege(access.actor, access.role, 'restore.delegated');
    } catch (e) {
      await recordRefusal({
        action: 'restore.delegated',
        actor: access.actor,
        repository: {id: repo.id, location: repo.storage.location},
        forUser: job.forUser,
        backupId: job.backupId,
        reason: job.reason,
        error: (e as Error).message,
      });
      throw e;
    }
    if (!job.reason?.trim())
      throw usageError(
        'A delegated restore needs a reason.',
        'Say why, e.g. --reason "ticket 4711: alice lost a mail".',
      );
    const info = lookupUser(job.forUser, job.userDb);
    writer = {uid: info.uid, gid: info.gid, name: info.name};
    if (writer.uid === 0 && (access.actor.uid !== 0 || access.actor.viaSudo))
      throw denied(`Only root may restore for root.`, 'Restore for the user the items are for.');
    action = 'restore.delegated';
  } else if (access.actor.viaSudo) {
    writer = {uid: access.actor.uid, gid: access.actor.gid, name: access.actor.user};
    action = 'restore.own';
  }
  checkCanWriteAs(writer);
  const backup = await getVisibleBackup(repo, access, job.backupId as BackupId);
  const point =
    job.pointId === 'latest'
      ? (await repo.listPoints(backup.id)).at(-1)
      : await getVisiblePoint(repo, access, backup.id, job.pointId as PointId);
  if (!point) throw notFound(`Backup ${backup.id} has no restore points.`);
  if (!action) return {backup, point, writer};
  const started = new Date().toISOString();
  const audit = (items: string[], destination: string, outcome: {bytes: number} | {error: unknown}) =>
    appendAudit(repo.storage, {
      action: action!,
      actor: access.actor,
      forUser: writer.name,
      backupId: backup.id,
      pointId: point.id,
      node: job.node,
      disk: job.disk,
      paths: items.slice(0, 1000),
      destination,
      reason: job.reason || undefined,
      startedAt: started,
      endedAt: new Date().toISOString(),
      ...('bytes' in outcome
        ? {result: 'ok' as const, bytes: outcome.bytes}
        : {
            result:
              outcome.error instanceof BackhaulError && outcome.error.code === 'cancelled'
                ? ('cancelled' as const)
                : ('failed' as const),
            error: String((outcome.error as Error)?.message ?? outcome.error),
          }),
    });
  return {backup, point, writer, audit};
}
