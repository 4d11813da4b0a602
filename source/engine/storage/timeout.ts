/**
 * How long one request to object storage may take, its retries included:
 * BACKHAUL_S3_TIMEOUT (seconds, for one run), else the repository's own
 * (`backhaul repo add --timeout`), else 60 s. Kept apart from the S3 backend
 * so a command can read and check it without loading the AWS SDK.
 */
import {usageError} from '../errors.js';
import type {StorageLocation} from './location.js';

export const DEFAULT_TIMEOUT_MS = 60_000;

/** Seconds, as a user wrote them: a positive number, at most a day; else a usage error naming `where`. */
export function parseTimeout(text: string, where: string): number {
  const value = Number(text);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !(value > 0) || value > 86_400) {
    throw usageError(
      `${where} must be a number of seconds above 0 and at most 86400, not "${text}".`,
      'Example: 120 (the default is 60).',
    );
  }
  return value;
}

export function timeoutMsFor(entry: StorageLocation, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = env.BACKHAUL_S3_TIMEOUT;
  if (fromEnv !== undefined && fromEnv !== '') return parseTimeout(fromEnv, 'BACKHAUL_S3_TIMEOUT') * 1000;
  return entry.timeout !== undefined ? entry.timeout * 1000 : DEFAULT_TIMEOUT_MS;
}
