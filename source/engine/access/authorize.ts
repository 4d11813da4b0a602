/**
 * The decisions: which backups an actor sees, and whether they may do an
 * action. Every face (list, points, restore, copy, the TUI) asks here, so a
 * rule exists once.
 *
 * Guarantees:
 * - Admins see every backup. Others see a backup only if its access list names
 *   `user:<them>` or `group:<one of theirs>`. Copies (no access list, or made
 *   by a copy job) are seen by admins, and by operators who restore on users'
 *   behalf; never by plain users unless an admin granted them access.
 * - Asking for a hidden backup (or its points) by id gives exactly the error a
 *   missing id gives, so ids cannot be probed.
 */
import {PLAIN_CODEC, type ObjectCodec} from '../repository/codec.js';
import {BackhaulError, denied, notFound, quoted} from '../errors.js';
import {isShortId, type BackupId, type PointId} from '../ids.js';
import type {BackupRecord, PointManifest} from '../repository/model.js';
import {notRootOnly} from '../storage/root-only.js';
import type {ReadableStorage} from '../storage/storage.js';
import type {Actor} from './identity.js';
import {
  hasPrivilege,
  loadPolicy,
  repositoryOwnerUid,
  roleOf,
  type Policy,
  type Privilege,
  type Role,
} from './policy.js';

/** The actor and what they are in one repository; made once per command or screen. */
export interface AccessContext {
  actor: Actor;
  role: Role;
  policy: Policy;
}

/**
 * The actor's context in one repository. Through sudo, only storage root may
 * believe is trusted (ReadableStorage.rootOnly: a directory only root can
 * have written, reached through a checked descriptor, or S3 root registered):
 * a caller's own repository could carry a policy or manifests that make root
 * act for them. `storageFor` already refuses anything else; this is the
 * second lock on the same door.
 */
export async function accessContext(
  storage: ReadableStorage,
  actor: Actor,
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<AccessContext> {
  if (actor.viaSudo && storage.rootOnly !== true) throw notRootOnly(storage.location);
  const owner = await repositoryOwnerUid(storage);
  const policy = await loadPolicy(storage, codec);
  return {actor, policy, role: roleOf(actor, policy, owner)};
}

export function isCopy(backup: BackupRecord): boolean {
  return backup.access === null || backup.origin !== undefined;
}

export function isNamed(actor: Actor, backup: BackupRecord): boolean {
  if (!backup.access) return false;
  return backup.access.some(
    p => p === `user:${actor.user}` || (p.startsWith('group:') && actor.groups.includes(p.slice(6))),
  );
}

export function canSeeBackup(actor: Actor, role: Role, backup: BackupRecord): boolean {
  if (hasPrivilege(role, 'backup.read-all')) return true;
  if (isCopy(backup) && hasPrivilege(role, 'copy.read')) return true;
  return hasPrivilege(role, 'backup.read-own') && isNamed(actor, backup);
}

export function filterVisible<T extends BackupRecord>(actor: Actor, role: Role, backups: readonly T[]): T[] {
  return backups.filter(b => canSeeBackup(actor, role, b));
}

const WHAT: Record<Privilege, string> = {
  'backup.read-own': 'read their own backups',
  'backup.read-all': "read every user's backups",
  'copy.read': 'see copied backups',
  'copy.run': 'run backup copy jobs',
  'restore.delegated': "restore on another user's behalf",
  'audit.read': 'read the audit log',
  'access.grant': 'grant or revoke access to backups',
  'policy.change': 'change the access policy',
};

/** Throws `denied` (exit 15) unless the role includes the privilege. */
export function requirePrivilege(actor: Actor, role: Role, privilege: Privilege): void {
  if (hasPrivilege(role, privilege)) return;
  const who = actor.viaSudo ? `${actor.user} (via sudo)` : actor.user;
  const needs =
    privilege === 'restore.delegated' || privilege === 'audit.read' || privilege === 'copy.read'
      ? 'an admin or restore operator'
      : 'an admin';
  throw denied(
    `${who} may not ${WHAT[privilege]}: that needs ${needs} (privilege ${privilege}), and ${actor.user} is ${role === 'user' ? 'a plain user' : `an ${role}`} in this repository.`,
    "Ask a backup administrator. Admins are root, the repository's owner, and the users and groups in `backhaul access policy show`.",
  );
}

/** The one error for a backup that is missing or that the actor may not see. */
export function backupNotFound(id: string): BackhaulError {
  return notFound(
    `No backup ${quoted(id)} in this repository.`,
    'Run `backhaul list` to see the backups you can access.',
  );
}

export function pointNotFound(backupId: string, pointId: string): BackhaulError {
  return notFound(
    `No restore point ${quoted(pointId)} in backup ${quoted(backupId)}.`,
    'Run `backhaul points` to see the restore points you can access.',
  );
}

function isNotFound(e: unknown): boolean {
  return e instanceof BackhaulError && e.code === 'not-found';
}

/** What a visible-backup lookup needs from a repository (the Repository class fits). */
export interface BackupReader {
  getBackup(id: BackupId): Promise<BackupRecord>;
  getPoint(backupId: BackupId, pointId: PointId): Promise<PointManifest>;
}

/** A backup the actor may see; missing and hidden ids fail alike. */
export async function getVisibleBackup(
  repo: Pick<BackupReader, 'getBackup'>,
  access: AccessContext,
  id: BackupId,
): Promise<BackupRecord> {
  if (!isShortId(id)) throw backupNotFound(id);
  let backup: BackupRecord;
  try {
    backup = await repo.getBackup(id);
  } catch (e) {
    throw isNotFound(e) ? backupNotFound(id) : e;
  }
  if (!canSeeBackup(access.actor, access.role, backup)) throw backupNotFound(id);
  return backup;
}

/** A restore point of a backup the actor may see; the backup is checked first, so a hidden backup's points are never read. */
export async function getVisiblePoint(
  repo: BackupReader,
  access: AccessContext,
  backupId: BackupId,
  pointId: PointId,
): Promise<PointManifest> {
  await getVisibleBackup(repo, access, backupId);
  try {
    return await repo.getPoint(backupId, pointId);
  } catch (e) {
    throw isNotFound(e) ? pointNotFound(backupId, pointId) : e;
  }
}
