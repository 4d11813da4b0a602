/**
 * Re-grant: an admin gives a user (or group) access to a backup — typically a
 * copy, whose access list is null (admin-only) — so they can restore from it
 * themselves, and takes it back. Every grant and revoke is audited.
 *
 * Guarantees:
 * - Only actors with `access.grant` change access lists; the check comes
 *   before anything is read, so others learn nothing about the backup.
 * - A change is audited after it is written; if the audit entry cannot be
 *   written, the change is undone, so no grant exists without its entry.
 * - Revoking the last principal sets the list back to null (admin-only again).
 */
import {usageError, quoted} from '../errors.js';
import type {BackupId} from '../ids.js';
import type {BackupRecord, Principal} from '../repository/model.js';
import type {Storage} from '../storage/storage.js';
import type {ObjectCodec} from '../repository/codec.js';
import {appendAudit, type AuditEntry} from './audit.js';
import {getVisibleBackup, requirePrivilege, type AccessContext} from './authorize.js';

/** What grants need from a repository (the Repository class fits). */
export interface BackupStore {
  readonly storage: Storage;
  /** How the repository stores objects (its audit entries among them). */
  readonly codec: ObjectCodec;
  getBackup(id: BackupId): Promise<BackupRecord>;
  putBackup(record: BackupRecord): Promise<void>;
}

export interface GrantResult {
  backup: BackupRecord;
  /** False when the principal already had (grant) or did not have (revoke) access. */
  changed: boolean;
  entry: AuditEntry;
}

const PRINCIPAL = /^(user|group):[A-Za-z0-9._][A-Za-z0-9._-]{0,63}\$?$/;

export function parsePrincipal(text: string): Principal {
  if (!PRINCIPAL.test(text))
    throw usageError(`${quoted(text)} is not a user or group name.`, 'Names are letters, digits, ".", "_" and "-".');
  return text as Principal;
}

export function principalName(p: Principal): string {
  return p.slice(p.indexOf(':') + 1);
}

async function change(
  repo: BackupStore,
  access: AccessContext,
  backupId: BackupId,
  principal: Principal,
  grant: boolean,
  reason?: string,
): Promise<GrantResult> {
  requirePrivilege(access.actor, access.role, 'access.grant');
  parsePrincipal(principal);
  const before = await getVisibleBackup(repo, access, backupId);
  const list = before.access ?? [];
  const has = list.includes(principal);
  const changed = grant ? !has : has;
  const next = grant ? [...list, principal] : list.filter(p => p !== principal);
  const after: BackupRecord = {...before, access: changed ? (next.length > 0 ? next : null) : before.access};
  if (changed) await repo.putBackup(after);
  try {
    const entry = await appendAudit(
      repo.storage,
      {
        action: grant ? 'access.grant' : 'access.revoke',
        actor: access.actor,
        result: changed ? 'ok' : 'unchanged',
        principal,
        forUser: principal.startsWith('user:') ? principalName(principal) : undefined,
        backupId,
        reason,
      },
      undefined,
      repo.codec,
    );
    return {backup: after, changed, entry};
  } catch (e) {
    if (changed) await repo.putBackup(before);
    throw e;
  }
}

export function grantAccess(
  repo: BackupStore,
  access: AccessContext,
  backupId: BackupId,
  principal: Principal,
  reason?: string,
): Promise<GrantResult> {
  return change(repo, access, backupId, principal, true, reason);
}

export function revokeAccess(
  repo: BackupStore,
  access: AccessContext,
  backupId: BackupId,
  principal: Principal,
  reason?: string,
): Promise<GrantResult> {
  return change(repo, access, backupId, principal, false, reason);
}
