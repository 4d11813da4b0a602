/**
 * Where a repository's storage is, as registered or typed: a directory path
 * or an s3:// URL, and for object storage its endpoint, region and request
 * time limit. The storage layer opens one (s3-open.ts); the workspace
 * (workspace/registry.ts) keeps them under names.
 */
export interface StorageLocation {
  location: string;
  endpoint?: string;
  region?: string;
  /** Object storage: seconds one request may take, its retries included (BACKHAUL_S3_TIMEOUT overrides it). */
  timeout?: number;
}
