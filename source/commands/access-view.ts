/**
 * What the acting user may see and do, for commands: every read goes through
 * here so that list, points, restore and copy apply one rule (the engine's
 * access layer). The actor is the OS user — or, as root via sudo, the caller.
 */
import {accessContext, currentActor, filterVisible, getVisibleBackup, requirePrivilege, type AccessContext} from '../engine/access/index.js';
import type {BackupId} from '../engine/ids.js';
import type {BackupRecord} from '../engine/repository/model.js';
import type {Repository} from '../engine/repository/repository.js';

export async function accessFor(repo: Repository): Promise<AccessContext> {
  return accessContext(repo.storage, currentActor());
}

export async function visibleRecords(repo: Repository): Promise<BackupRecord[]> {
  const a = await accessFor(repo);
  return filterVisible(a.actor, a.role, await repo.listBackups());
}

export async function visibleBackup(repo: Repository, id: string): Promise<BackupRecord> {
  return getVisibleBackup(repo, await accessFor(repo), id as BackupId);
}

/** Backup copy jobs are an admin's job on both sides. */
export async function requireCopyRights(source: Repository, target: Repository): Promise<void> {
  for (const repo of [source, target]) {
    const a = await accessFor(repo);
    requirePrivilege(a.actor, a.role, 'copy.run');
  }
}
