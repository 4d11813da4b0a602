/**
 * Branded identifiers, so a chunk id cannot be passed where a backup id is
 * expected. Each has one parser that checks the shape; ids read from a
 * repository go through these before they are used in a key or a path.
 */
import {randomBytes} from 'node:crypto';
import {corrupt} from './errors.js';

export type ChunkId = string & {readonly __brand: 'ChunkId'};
export type PackId = string & {readonly __brand: 'PackId'};
export type BackupId = string & {readonly __brand: 'BackupId'};
export type PointId = string & {readonly __brand: 'PointId'};
export type RepositoryId = string & {readonly __brand: 'RepositoryId'};

const HASH = /^[0-9a-f]{64}$/;
const SHORT = /^[0-9a-z][0-9a-z-]{3,63}$/;

export function parseChunkId(value: string): ChunkId {
  if (!HASH.test(value)) throw corrupt(`Invalid chunk id "${value.slice(0, 80)}".`);
  return value as ChunkId;
}
export function parsePackId(value: string): PackId {
  if (!HASH.test(value)) throw corrupt(`Invalid pack id "${value.slice(0, 80)}".`);
  return value as PackId;
}
export function isShortId(value: string): boolean {
  return SHORT.test(value);
}
export function parseBackupId(value: string): BackupId {
  if (!SHORT.test(value)) throw corrupt(`Invalid backup id "${value.slice(0, 80)}".`);
  return value as BackupId;
}
export function parsePointId(value: string): PointId {
  if (!SHORT.test(value)) throw corrupt(`Invalid restore point id "${value.slice(0, 80)}".`);
  return value as PointId;
}

/** Random ids: 12 base-36 characters, short enough to type, 62 bits of entropy. */
function randomId(prefix: string): string {
  const bytes = randomBytes(8);
  return (
    prefix +
    BigInt('0x' + bytes.toString('hex'))
      .toString(36)
      .padStart(12, '0')
      .slice(-12)
  );
}
export const newBackupId = (): BackupId => randomId('b') as BackupId;
export const newPointId = (): PointId => randomId('p') as PointId;
export const newRepositoryId = (): RepositoryId => randomBytes(16).toString('hex') as RepositoryId;
