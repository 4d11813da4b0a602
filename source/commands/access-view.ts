/**
 * What the acting user may see, for commands: every read goes through here
 * so that list, points and restore apply one rule. (Filled in by the access
 * layer; until then everything is visible to whoever can read the repository.)
 */
import type {BackupRecord} from '../engine/repository/model.js';
import type {Repository} from '../engine/repository/repository.js';

export async function visibleRecords(repo: Repository): Promise<BackupRecord[]> {
  return repo.listBackups();
}

export async function visibleBackup(repo: Repository, id: string): Promise<BackupRecord> {
  return repo.getBackup(id);
}
