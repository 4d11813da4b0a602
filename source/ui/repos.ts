/**
 * Repositories as the TUI sees them: the registered names, copy targets
 * (demo-secondary first, then the other registered ones), and opened
 * repositories cached by location, so moving between screens does not re-read
 * a chunk index each time. Which repository opens first, and what the user may
 * see or copy, are the engine's rules (workspace/registry.ts defaultRepository,
 * access/view.ts), shared with the commands.
 *
 * An encrypted one is opened with the password BACKHAUL_PASSWORD gives, or
 * one the user types in the shell's dialog (passwords.ts).
 *
 * A cached repository stays open while other processes commit to it: the
 * engine reads its index again when a reader misses a chunk in it, a copy
 * plan refreshes both indexes first, and the screens that show backups or
 * restore points notice new ones by polling (repo-watch.ts says why polling
 * and not a watch).
 */
import {listRepositories} from '../engine/workspace/registry.js';
import {resolveLocation, resolveRepository, storageFor} from '../engine/workspace/open.js';
import type {Repository} from '../engine/repository/repository.js';
import type {Storage} from '../engine/storage/storage.js';
import {opened, refusedTyped} from './passwords.js';

const cache = new Map<string, Promise<Repository>>();

/** Registered repository names, sorted. */
export const repositoryNames = (): string[] => Object.keys(listRepositories()).sort();

/** Where a copy from `source` can go, the default first (demo-secondary when registered). */
export function targetsFor(source: string, names = repositoryNames()): string[] {
  const others = names.filter(n => n !== source);
  return others.includes('demo-secondary') ? ['demo-secondary', ...others.filter(n => n !== 'demo-secondary')] : others;
}

/** The repository called `name` (or at that path), opened once and shared by every screen. */
export function openRepository(name: string): Promise<Repository> {
  const key = resolveLocation(name).entry.location;
  let promised = cache.get(key);
  if (!promised) {
    promised = openAsking(name);
    cache.set(key, promised);
    promised.catch(() => cache.delete(key));
  }
  return promised;
}

/** Opens it, asking again while a password typed in the TUI's dialog is refused (passwords.ts). */
async function openAsking(name: string): Promise<Repository> {
  for (;;) {
    let location: string | undefined;
    try {
      const repo = await resolveRepository(name, storage => (location = storage.location));
      opened(repo.location);
      return repo;
    } catch (e) {
      if (location === undefined || !refusedTyped(location, e)) throw e;
    }
  }
}

const storages = new Map<string, Promise<Storage>>();

/**
 * The storage of the repository called `name`, without opening the
 * repository: enough to poll its change stamp (repo-watch.ts), and never a
 * reason to ask for an encrypted repository's password — a poll must not
 * bring back a dialog the user just cancelled.
 */
export function openStorage(name: string): Promise<Storage> {
  const resolved = resolveLocation(name);
  const key = resolved.entry.location;
  let promised = storages.get(key);
  if (!promised) {
    promised = storageFor(resolved.entry, {registered: resolved.name !== undefined});
    storages.set(key, promised);
    promised.catch(() => storages.delete(key));
  }
  return promised;
}

/** Registered name of a location, for showing history entries by name. */
export function nameOfLocation(location: string): string | undefined {
  return Object.entries(listRepositories()).find(([, entry]) => entry.location === location)?.[0];
}
