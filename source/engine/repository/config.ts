/**
 * The repository's `config` object: what format it is, which version, its id.
 * FORMAT_VERSION is the one constant that decides whether this program may
 * read a repository: an unknown or newer version is refused, never guessed.
 */
import {BackhaulError} from '../errors.js';
import type {RepositoryId} from '../ids.js';
import {CHUNK_AVG, CHUNK_MAX, CHUNK_MIN} from './chunker.js';
import {checkConfigFields} from './records.js';

export const FORMAT_NAME = 'backhaul-repository';
export const FORMAT_VERSION = 1;

export interface RepositoryConfig {
  format: typeof FORMAT_NAME;
  version: number;
  id: RepositoryId;
  createdAt: string;
  hash: 'sha256';
  chunker: {algorithm: 'fastcdc-gear-v1'; min: number; avg: number; max: number};
}

export function newConfig(id: RepositoryId): RepositoryConfig {
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    id,
    createdAt: new Date().toISOString(),
    hash: 'sha256',
    chunker: {algorithm: 'fastcdc-gear-v1', min: CHUNK_MIN, avg: CHUNK_AVG, max: CHUNK_MAX},
  };
}

export function parseConfig(data: Buffer, location: string): RepositoryConfig {
  let config: RepositoryConfig;
  try {
    config = JSON.parse(data.toString('utf8')) as RepositoryConfig;
  } catch {
    throw new BackhaulError(
      'format',
      `${location} has an unreadable config.`,
      'This is not a Backhaul repository, or its config was damaged.',
    );
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config) || config.format !== FORMAT_NAME) {
    throw new BackhaulError('format', `${location} is not a Backhaul repository.`, 'Check the path or URL.');
  }
  if (!Number.isInteger(config.version) || config.version > FORMAT_VERSION || config.version < 1) {
    throw new BackhaulError(
      'format',
      `${location} uses repository format version ${String(config.version)}; this Backhaul reads version ${FORMAT_VERSION}.`,
      'Upgrade Backhaul to read it; nothing was changed.',
    );
  }
  if (config.hash !== 'sha256') {
    // Chunk ids are SHA-256 digests: another hash would make every id mean something else.
    throw new BackhaulError(
      'format',
      `${location} names chunks by ${JSON.stringify(config.hash)?.slice(0, 40) ?? 'no hash'}; this Backhaul knows only sha256.`,
      'Upgrade Backhaul to read it; nothing was changed.',
    );
  }
  checkConfigFields(config as unknown as Record<string, unknown>, location);
  return config;
}
