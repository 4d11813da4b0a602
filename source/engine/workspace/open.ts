/**
 * Turns what a user typed after --repo/--from/--to into a Storage and a
 * Repository: a registered name, a directory path, or an s3:// URL.
 *
 * When root acts for a sudo caller (util/sudo-caller.ts), what the caller
 * names is not trusted: a directory is opened only if only root can have
 * written it, and only through the descriptor its checks ended on
 * (FilesystemStorage.openRootOnly); object storage only by a name root
 * registered — an s3:// URL from the caller could point root, with root's
 * credentials, at a bucket the caller filled.
 */
import {mkdir, stat} from 'node:fs/promises';
import {resolve} from 'node:path';
import {BackhaulError, denied, fromSystemError, quoted} from '../errors.js';
import {checkEndpoint, registeredEntry, type RepositoryEntry} from './registry.js';
import {DIR_MODE, FilesystemStorage} from '../storage/filesystem.js';
import type {Storage} from '../storage/storage.js';
import {actingForSudoCaller} from '../util/sudo-caller.js';
import {Repository} from '../repository/repository.js';
import type {NewEncryption} from '../repository/crypto/create.js';
import {passwordFor} from './passwords.js';

export interface Resolved {
  /** Set when the entry is a registered repository. */
  name?: string;
  entry: RepositoryEntry;
}

export function resolveLocation(nameOrLocation: string): Resolved {
  const registered = registeredEntry(nameOrLocation);
  if (registered) return {name: nameOrLocation, entry: registered};
  if (nameOrLocation.startsWith('s3://')) {
    if (actingForSudoCaller()) {
      throw denied(
        'Through sudo, S3 repositories are named only by the name root registered them under.',
        'Ask an admin for the name (`backhaul repo list` as root); an s3:// URL is accepted only without sudo.',
      );
    }
    return {entry: {location: nameOrLocation}};
  }
  if (nameOrLocation.includes('/') || nameOrLocation.startsWith('.'))
    return {entry: {location: resolve(nameOrLocation)}};
  throw new BackhaulError(
    'no-repository',
    `No repository named ${quoted(nameOrLocation)}.`,
    'Run `backhaul repo list` to see the registered ones, or pass a path.',
  );
}

/**
 * `registered`: the entry comes from the configuration (root's own, through sudo). `opened` sees the
 * storage before its first request (to watch its notices); `createBucket` as for openS3Storage.
 */
export async function storageFor(
  entry: RepositoryEntry,
  options: {createBucket?: boolean; registered?: boolean; opened?: (storage: Storage) => void} = {},
): Promise<Storage> {
  const forCaller = actingForSudoCaller();
  if (entry.location.startsWith('s3://')) {
    if (forCaller && !options.registered)
      throw denied('Through sudo, S3 repositories are named only by the name root registered them under.');
    if (entry.endpoint !== undefined) checkEndpoint(entry.endpoint); // a hand-edited configuration, or a caller of the engine
    const {openS3Storage} = await import('../storage/s3-open.js');
    return openS3Storage(entry, {...options, rootOnly: forCaller && options.registered});
  }
  const storage = forCaller ? FilesystemStorage.openRootOnly(entry.location) : new FilesystemStorage(entry.location);
  options.opened?.(storage);
  return storage;
}

/** Where a name points, or undefined for one that names nothing (reported when it is opened). */
export function locationOf(nameOrLocation: string): string | undefined {
  try {
    return resolveLocation(nameOrLocation).entry.location;
  } catch {
    return undefined;
  }
}

/**
 * `opened` sees the storage before the repository is read (to watch its notices from the first request);
 * `deferIndex` as for Repository.open.
 */
export async function resolveRepository(
  nameOrLocation: string,
  opened?: (storage: Storage) => void,
  options: {deferIndex?: boolean} = {},
): Promise<Repository> {
  const resolved = resolveLocation(nameOrLocation);
  const storage = await storageFor(resolved.entry, {registered: resolved.name !== undefined, opened});
  return Repository.open(storage, {password: passwordFor(storage.location), deferIndex: options.deferIndex});
}

/** Creates a repository at a location (a new or empty directory, or a bucket prefix). `opened` as for resolveRepository. */
export async function createRepository(
  entry: RepositoryEntry,
  opened?: (storage: Storage) => void,
  options: {encryption?: NewEncryption} = {},
): Promise<Repository> {
  if (!entry.location.startsWith('s3://')) {
    try {
      await mkdir(entry.location, {recursive: true, mode: DIR_MODE});
      if (!(await stat(entry.location)).isDirectory())
        throw new BackhaulError('usage', `${entry.location} is not a directory.`, 'Pick a directory.');
    } catch (e) {
      throw fromSystemError(e, entry.location) ?? e;
    }
  }
  return Repository.create(await storageFor(entry, {createBucket: true, opened}), options);
}
