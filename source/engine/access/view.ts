/**
 * What the acting user may see and do in a repository, as both faces ask it:
 * every read of backups and every copy job goes through here, so the CLI and
 * the TUI apply one rule (authorize.ts). The actor is the OS user — or, as
 * root via sudo, the caller (identity.ts); tests name another.
 */
import type {BackupId} from '../ids.js';
import type {BackupRecord} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {accessContext, filterVisible, getVisibleBackup, requirePrivilege, type AccessContext} from './authorize.js';
import {currentActor, type Actor} from './identity.js';

export async function accessFor(repo: Repository, actor: Actor = currentActor()): Promise<AccessContext> {
  return accessContext(repo.storage, actor, repo.codec);
}

/** Backups the acting user may see in `repo` (copies only for admins and operators). */
export async function visibleBackups(repo: Repository, actor?: Actor): Promise<BackupRecord[]> {
  const a = await accessFor(repo, actor);
  return filterVisible(a.actor, a.role, await repo.listBackups());
}

/** One backup, if the acting user may see it; a hidden one fails exactly like a missing one. */
export async function visibleBackup(repo: Repository, id: string, actor?: Actor): Promise<BackupRecord> {
  return getVisibleBackup(repo, await accessFor(repo, actor), id as BackupId);
}

/** Backup copy jobs are an admin's job on both sides; throws the engine's "denied" error otherwise. */
export async function requireCopyRights(source: Repository, target: Repository, actor?: Actor): Promise<void> {
  for (const repo of [source, target]) {
    const a = await accessFor(repo, actor);
    requirePrivilege(a.actor, a.role, 'copy.run');
  }
}
