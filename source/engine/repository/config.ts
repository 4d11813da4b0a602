/**
 * The repository's `config` object (FORMAT.md, "The config"): what format it
 * is, which version, its id, and for version 2 the chunker, the compression
 * and the encryption it was made with. The config is the one object read
 * before any key, so it is always plaintext JSON.
 *
 * FORMAT_VERSION is the newest version this program reads and the version it
 * creates; version 1 is read (and added to, in version 1's encodings) for
 * ever. A version, chunker, compression or encryption this program does not
 * know is refused ('format'), never guessed.
 */
import {BackhaulError} from '../errors.js';
import type {RepositoryId} from '../ids.js';
import {V1_COMPRESSION, ZSTD_LEVEL_MAX, ZSTD_LEVEL_MIN, type Compression} from './blob.js';
import {CHUNKER, FIRST_CHUNKER, GEAR_SEED, type ChunkerParams} from './chunker.js';
import type {EncryptionConfig} from './codec.js';
import {checkConfigFields} from './records.js';

export const FORMAT_NAME = 'backhaul-repository';
export const FORMAT_VERSION = 2;
/** zstd's level for new repositories: measured on /usr/share/doc in 1 MiB chunks, 3 stores 6 % less than 1 at about the same speed; 6 and up cost 2-4x the time for 2 % less. */
export const DEFAULT_ZSTD_LEVEL = 3;

const hex = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

export interface ChunkerConfig {
  algorithm: 'fastcdc-gear-v1';
  min: number;
  /** The normalisation point (not the mean chunk size). */
  avg: number;
  max: number;
  /** Version 2: the gear seed and masks, as hex strings, so the text can be checked against the code. */
  gearSeed?: string;
  maskSmall?: string;
  maskLarge?: string;
}

export interface RepositoryConfig {
  format: typeof FORMAT_NAME;
  version: 1 | 2;
  id: RepositoryId;
  createdAt: string;
  hash: 'sha256';
  chunker: ChunkerConfig;
  /** Version 2 only. */
  compression?: {algorithm: 'zstd'; level: number};
  /** Version 2: null for a plain repository (codec.ts chooses the codec from it). Absent in version 1. */
  encryption?: EncryptionConfig;
  /**
   * Version 2: the catalogue segment version writers write (3); absent: 2, as
   * every repository created before segment version 3 existed, so that the
   * builds that made them can still read what is appended to them.
   */
  catalogueSegments?: 3;
  /**
   * Version 2: 3 when writers write index files of format 3 (binary,
   * index-table.ts); absent: format 2 (JSON), as every repository created
   * before format 3 existed, for the same reason.
   */
  indexFiles?: 3;
}

/** The config's description of a chunker parameter set (new repositories: CHUNKER). */
export function chunkerConfig(params: Readonly<ChunkerParams> = CHUNKER): ChunkerConfig {
  return {
    algorithm: 'fastcdc-gear-v1',
    min: params.min,
    avg: params.avg,
    max: params.max,
    gearSeed: hex(GEAR_SEED),
    maskSmall: hex(params.maskS),
    maskLarge: hex(params.maskL),
  };
}

/** The parameter sets a version 2 config may name, each exactly. */
const KNOWN_CHUNKERS = [CHUNKER, FIRST_CHUNKER];

function knownChunker(c: Partial<ChunkerConfig> | undefined): Readonly<ChunkerParams> | undefined {
  if (!c || typeof c !== 'object') return undefined;
  return KNOWN_CHUNKERS.find(params => {
    const known = chunkerConfig(params);
    return (Object.keys(known) as (keyof ChunkerConfig)[]).every(k => c[k] === known[k]);
  });
}

/**
 * How a writer cuts for this repository: version 1 (whose config names no
 * masks) with the first set, version 2 with the set its config names
 * (parseConfig has refused any other).
 */
export function chunkerOf(config: RepositoryConfig): Readonly<ChunkerParams> {
  return config.version >= 2 ? (knownChunker(config.chunker) ?? CHUNKER) : FIRST_CHUNKER;
}

export interface NewConfigOptions {
  level?: number;
  encryption?: EncryptionConfig;
}

export function newConfig(id: RepositoryId, options: NewConfigOptions = {}): RepositoryConfig {
  return {
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    id,
    createdAt: new Date().toISOString(),
    hash: 'sha256',
    chunker: chunkerConfig(),
    compression: {algorithm: 'zstd', level: options.level ?? DEFAULT_ZSTD_LEVEL},
    encryption: options.encryption ?? null,
    catalogueSegments: 3,
    indexFiles: 3,
  };
}

/** The config's bytes as stored: two-space JSON with a trailing newline. */
export function encodeConfig(config: RepositoryConfig): Buffer {
  return Buffer.from(JSON.stringify(config, null, 2) + '\n');
}

/** How a writer compresses into this repository: version 1's deflate rule, or zstd at its level. */
export function compressionOf(config: RepositoryConfig): Compression {
  return config.version >= 2 && config.compression ? config.compression : V1_COMPRESSION;
}

const refuse = (location: string, what: string) =>
  new BackhaulError(
    'format',
    `${location} uses ${what}, which this Backhaul does not know.`,
    'Upgrade Backhaul to read it; nothing was changed.',
  );

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
      `${location} uses repository format version ${String(config.version)}; this Backhaul reads versions 1 and ${FORMAT_VERSION}.`,
      'Upgrade Backhaul to read it; nothing was changed.',
    );
  }
  if (config.hash !== 'sha256') {
    // Chunk ids are SHA-256 digests (keyed in an encrypted repository): another hash would make every id mean something else.
    throw new BackhaulError(
      'format',
      `${location} names chunks by ${JSON.stringify(config.hash)?.slice(0, 40) ?? 'no hash'}; this Backhaul knows only sha256.`,
      'Upgrade Backhaul to read it; nothing was changed.',
    );
  }
  checkConfigFields(config as unknown as Record<string, unknown>, location);
  if (config.version >= 2) checkV2(config, location);
  return config;
}

/** Version 2's chunker, compression and encryption: each exactly as this program knows it. */
function checkV2(config: RepositoryConfig, location: string): void {
  const c = config.chunker as Partial<ChunkerConfig> | undefined;
  if (!knownChunker(c)) throw refuse(location, `the chunker ${JSON.stringify(c)?.slice(0, 200) ?? 'none'}`);
  const z = config.compression as {algorithm?: unknown; level?: unknown} | undefined;
  if (
    !z ||
    typeof z !== 'object' ||
    z.algorithm !== 'zstd' ||
    !Number.isInteger(z.level) ||
    (z.level as number) < ZSTD_LEVEL_MIN ||
    (z.level as number) > ZSTD_LEVEL_MAX
  ) {
    throw refuse(location, `the compression ${JSON.stringify(z)?.slice(0, 100) ?? 'none'}`);
  }
  const e = config.encryption as {keyDerivation?: unknown; cipher?: unknown} | null | undefined;
  if (
    e !== null &&
    (typeof e !== 'object' || e === undefined || e.keyDerivation !== 'scrypt' || e.cipher !== 'aes-256-gcm')
  ) {
    throw refuse(location, `the encryption ${JSON.stringify(e)?.slice(0, 100) ?? 'none'}`);
  }
  const segments = (config as {catalogueSegments?: unknown}).catalogueSegments;
  if (segments !== undefined && segments !== 3) {
    throw refuse(location, `catalogue segments of version ${JSON.stringify(segments)?.slice(0, 40) ?? 'none'}`);
  }
  const indexFiles = (config as {indexFiles?: unknown}).indexFiles;
  if (indexFiles !== undefined && indexFiles !== 3) {
    throw refuse(location, `index files of format ${JSON.stringify(indexFiles)?.slice(0, 40) ?? 'none'}`);
  }
}
