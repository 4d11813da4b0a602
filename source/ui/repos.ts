/**
 * Repositories as the TUI sees them: the registered names, the default source
 * (demo-primary, else the first) and copy targets (demo-secondary first, then
 * the other registered ones), and opened repositories cached by location, so
 * moving between screens does not re-read a chunk index each time. Reading
 * rights go through the engine's access layer, never around it.
 *
 * A cached repository stays open while other processes commit to it: the
 * engine reads its index again when a reader misses a chunk in it, a copy
 * plan refreshes both indexes first, and the screens that show backups or
 * restore points notice new ones by polling (repo-watch.ts says why polling
 * and not a watch).
 */
import {accessContext, currentActor, filterVisible, requirePrivilege} from '../engine/access/index.js';
import {listRepositories} from '../engine/jobs/settings.js';
import type {BackupRecord} from '../engine/repository/model.js';
import {resolveLocation, resolveRepository} from '../engine/repository/open.js';
import type {Repository} from '../engine/repository/repository.js';

const cache = new Map<string, Promise<Repository>>();

/** Registered repository names, sorted. */
export const repositoryNames = (): string[] => Object.keys(listRepositories()).sort();

/** The repository the TUI opens on: demo-primary when registered, else the first. */
export function defaultSource(names = repositoryNames()): string | undefined {
  return names.includes('demo-primary') ? 'demo-primary' : names[0];
}

/** Where a copy from `source` can go, the default first (demo-secondary when registered). */
export function targetsFor(source: string, names = repositoryNames()): string[] {
  const others = names.filter((n) => n !== source);
  return others.includes('demo-secondary') ? ['demo-secondary', ...others.filter((n) => n !== 'demo-secondary')] : others;
}

/** The repository called `name` (or at that path), opened once and shared by every screen. */
export function openRepository(name: string): Promise<Repository> {
  const key = resolveLocation(name).entry.location;
  let opened = cache.get(key);
  if (!opened) {
    opened = resolveRepository(name);
    cache.set(key, opened);
    opened.catch(() => cache.delete(key));
  }
  return opened;
}

/** Backups the acting user may see in `repo` (copies only for admins). */
export async function visibleBackups(repo: Repository): Promise<BackupRecord[]> {
  const access = await accessContext(repo.storage, currentActor());
  return filterVisible(access.actor, access.role, await repo.listBackups());
}

/** A copy job is an admin's job on both sides; throws the engine's "denied" error otherwise. */
export async function requireCopyRights(...repos: Repository[]): Promise<void> {
  for (const repo of repos) {
    const access = await accessContext(repo.storage, currentActor());
    requirePrivilege(access.actor, access.role, 'copy.run');
  }
}

/** Registered name of a location, for showing history entries by name. */
export function nameOfLocation(location: string): string | undefined {
  return Object.entries(listRepositories()).find(([, entry]) => entry.location === location)?.[0];
}
