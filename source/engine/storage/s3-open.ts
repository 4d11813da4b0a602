/** Opens S3 storage for a registered location (kept apart so the filesystem path never loads the AWS SDK). */
import {BackhaulError} from '../errors.js';
import type {RepositoryEntry} from '../jobs/settings.js';
import type {Storage} from './storage.js';

export async function openS3Storage(entry: RepositoryEntry): Promise<Storage> {
  throw new BackhaulError('usage', `Object storage (${entry.location}) is not available yet.`, 'Use a directory repository.');
}
