/**
 * Retention work (forget, prune) runs under the exclusive lock of a version 2
 * repository (repository/exclusive-lock.ts). Version 1 repositories are
 * refused (`usage`, exit 2): their index files cannot supersede others and
 * they have no catalogue.
 */
import {usageError} from '../errors.js';
import type {Repository} from '../repository/repository.js';

/** Refuses a repository older than format version 2. */
export function requireVersion2(repo: Repository, command: string): void {
  if (repo.config.version < 2)
    throw usageError(
      `${repo.location} is format version ${repo.config.version}; ${command} needs version 2: run \`backhaul repo upgrade\` first.`,
      'Run `backhaul repo upgrade NAME`, then this command again.',
    );
}
