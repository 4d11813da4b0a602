/** Resolves the --repo option: a name, a path, an s3:// URL, or the default repository (the engine's rule, shared with the TUI). */
import {usageError} from '../engine/errors.js';
import {resolveRepository} from '../engine/workspace/open.js';
import {defaultRepository} from '../engine/workspace/registry.js';
import type {Repository} from '../engine/repository/repository.js';
import {printNotices, type Say} from './render/notices.js';

/** `say`: where the storage's notices (retries, stalls) go while the command runs; see render/notices.ts. */
export async function openRepoArg(value: string | undefined, option = '--repo', say?: Say): Promise<Repository> {
  const name = value ?? (option === '--repo' ? defaultRepository() : undefined);
  if (!name)
    throw usageError(
      `Which repository? Pass ${option} NAME (a registered name, a path or an s3:// URL).`,
      'Run `backhaul repo list` to see the registered ones.',
    );
  return resolveRepository(name, say ? storage => void printNotices(storage, say) : undefined);
}
