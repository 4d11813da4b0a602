/**
 * Repositories as the TUI sees them: the registered names, copy targets
 * (demo-secondary first, then the other registered ones), and opened
 * repositories cached by location, so moving between screens does not re-read
 * a chunk index each time. Which repository opens first, and what the user may
 * see or copy, are the engine's rules (workspace/registry.ts defaultRepository,
 * access/view.ts), shared with the commands.
 *
 * A cached repository stays open while other processes commit to it: the
 * engine reads its index again when a reader misses a chunk in it, a copy
 * plan refreshes both indexes first, and the screens that show backups or
 * restore points notice new ones by polling (repo-watch.ts says why polling
 * and not a watch).
 */
import {listRepositories} from '../engine/workspace/registry.js';
import {resolveLocation, resolveRepository} from '../engine/workspace/open.js';
import type {Repository} from '../engine/repository/repository.js';

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
  let opened = cache.get(key);
  if (!opened) {
    opened = resolveRepository(name);
    cache.set(key, opened);
    opened.catch(() => cache.delete(key));
  }
  return opened;
}

/** Registered name of a location, for showing history entries by name. */
export function nameOfLocation(location: string): string | undefined {
  return Object.entries(listRepositories()).find(([, entry]) => entry.location === location)?.[0];
}
