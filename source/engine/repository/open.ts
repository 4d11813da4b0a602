/**
 * Turns what a user typed after --repo/--from/--to into a Storage and a
 * Repository: a registered name, a directory path, or an s3:// URL.
 */
import {mkdir, stat} from 'node:fs/promises';
import {resolve} from 'node:path';
import {BackhaulError, fromSystemError} from '../errors.js';
import {listRepositories, type RepositoryEntry} from '../jobs/settings.js';
import {DIR_MODE, FilesystemStorage} from '../storage/filesystem.js';
import type {Storage} from '../storage/storage.js';
import {Repository} from './repository.js';

export interface Resolved {
  name?: string;
  entry: RepositoryEntry;
}

export function resolveLocation(nameOrLocation: string): Resolved {
  const registered = listRepositories()[nameOrLocation];
  if (registered) return {name: nameOrLocation, entry: registered};
  if (nameOrLocation.startsWith('s3://')) return {entry: {location: nameOrLocation}};
  if (nameOrLocation.includes('/') || nameOrLocation.startsWith('.')) return {entry: {location: resolve(nameOrLocation)}};
  throw new BackhaulError('no-repository', `No repository named "${nameOrLocation}".`, 'Run `backhaul repo list` to see the registered ones, or pass a path.');
}

/** `opened` sees the storage before its first request (to watch its notices); `createBucket` as for openS3Storage. */
export async function storageFor(entry: RepositoryEntry, options: {createBucket?: boolean; opened?: (storage: Storage) => void} = {}): Promise<Storage> {
  if (entry.location.startsWith('s3://')) {
    const {openS3Storage} = await import('../storage/s3-open.js');
    return openS3Storage(entry, options);
  }
  const storage = new FilesystemStorage(entry.location);
  options.opened?.(storage);
  return storage;
}

/** `opened` sees the storage before the repository is read (to watch its notices from the first request). */
export async function resolveRepository(nameOrLocation: string, opened?: (storage: Storage) => void): Promise<Repository> {
  return Repository.open(await storageFor(resolveLocation(nameOrLocation).entry, {opened}));
}

/** Creates a repository at a location (a new or empty directory, or a bucket prefix). `opened` as for resolveRepository. */
export async function createRepository(entry: RepositoryEntry, opened?: (storage: Storage) => void): Promise<Repository> {
  if (!entry.location.startsWith('s3://')) {
    try {
      await mkdir(entry.location, {recursive: true, mode: DIR_MODE});
      if (!(await stat(entry.location)).isDirectory()) throw new BackhaulError('usage', `${entry.location} is not a directory.`, 'Pick a directory.');
    } catch (e) {
      throw fromSystemError(e, entry.location) ?? e;
    }
  }
  return Repository.create(await storageFor(entry, {createBucket: true, opened}));
}
