/** Opens S3 storage for a registered location (kept apart so the filesystem path never loads the AWS SDK). */
import type {StorageLocation} from './location.js';
import {S3Storage} from './s3.js';
import type {Storage} from './storage.js';
import {timeoutMsFor} from './timeout.js';

/**
 * `createBucket`: make the bucket if it is missing (for `backhaul repo add` / creating a repository).
 * `opened` sees the storage before its first request (to watch its notices). `rootOnly`: see ReadableStorage.
 */
export async function openS3Storage(
  entry: StorageLocation,
  options: {createBucket?: boolean; rootOnly?: boolean; opened?: (storage: Storage) => void} = {},
): Promise<Storage> {
  const storage = new S3Storage(entry.location, {
    endpoint: entry.endpoint,
    region: entry.region,
    timeoutMs: timeoutMsFor(entry),
    rootOnly: options.rootOnly,
  });
  options.opened?.(storage);
  if (options.createBucket) {
    try {
      await storage.ensureBucket();
    } catch (e) {
      await storage.close();
      throw e;
    }
  }
  return storage;
}
