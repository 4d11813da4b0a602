/**
 * What the acting user may see and do in a repository, as both faces ask it:
 * every read of backups and every copy job goes through here, so the CLI and
 * the TUI apply one rule (authorize.ts). The actor is the OS user — or, as
 * root via sudo, the caller.
 */
import type {BackupId} from '../ids.js';
import type {BackupRecord} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {accessContext, filterVisible, getVisibleBackup, requirePrivilege, type AccessContext} from './authorize.js';
import {currentActor} from './identity.js';

export async function accessFor(repo: Repository): Promise<AccessContext> {
  return accessContext(repo.storage, currentActor());
}

/** Backups the acting user may see in `repo` (copies only for admins and operators). */
export async function visibleBackups(repo: Repository): Promise<BackupRecord[]> {
  const a = await accessFor(repo);
  return filterVisible(a.actor, a.role, await repo.listBackups());
}

/** One backup, if the acting user may see it; a hidden one fails exactly like a missing one. */
export async function visibleBackup(repo: Repository, id: string): Promise<BackupRecord> {
  return getVisibleBackup(repo, await accessFor(repo), id as BackupId);
}

/** Backup copy jobs are an admin's job on both sides; throws the engine's "denied" error otherwise. */
export async function requireCopyRights(source: Repository, target: Repository): Promise<void> {
  for (const repo of [source, target]) {
    const a = await accessFor(repo);
    requirePrivilege(a.actor, a.role, 'copy.run');
  }
}
