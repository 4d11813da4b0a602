/**
 * Open multipart uploads under a repository: found with ListMultipartUploads
 * (paginated), sized with ListParts, aborted with AbortMultipartUpload. A
 * process killed in the middle of an upload leaves one behind: invisible to
 * a listing of objects, yet stored (and billed) until someone aborts it.
 *
 * Guarantees: only uploads whose key lies under the repository's prefix and
 * is a key the repository could hold are listed or aborted; an upload
 * already gone (completed or aborted meanwhile) counts as done.
 */
import {AbortMultipartUploadCommand, ListMultipartUploadsCommand, ListPartsCommand} from '@aws-sdk/client-s3';
import {errorName} from './s3-errors.js';
import type {S3Requester} from './s3-multipart.js';
import {checkKey, type OpenUpload} from './storage.js';

/** What the upload code needs beyond the requester: where the repository lives in the bucket. */
export interface UploadScope extends S3Requester {
  readonly prefix: string;
}

function repositoryKey(scope: UploadScope, objectKey: string | undefined): string | undefined {
  const base = scope.prefix ? scope.prefix + '/' : '';
  if (!objectKey?.startsWith(base)) return undefined;
  const key = objectKey.slice(base.length);
  try {
    return checkKey(key);
  } catch {
    return undefined; // another tool's upload, under a name we never use
  }
}

export async function listOpenUploads(scope: UploadScope, options: {sizes?: boolean} = {}): Promise<OpenUpload[]> {
  const {client, bucket: Bucket} = scope;
  const Prefix = scope.prefix ? scope.prefix + '/' : undefined;
  const found: OpenUpload[] = [];
  let KeyMarker: string | undefined;
  let UploadIdMarker: string | undefined;
  do {
    const page = await scope.request('ListMultipartUploads', undefined, undefined, () =>
      client.send(new ListMultipartUploadsCommand({Bucket, Prefix, KeyMarker, UploadIdMarker})),
    );
    for (const upload of page.Uploads ?? []) {
      const key = repositoryKey(scope, upload.Key);
      if (key && upload.UploadId) found.push({key, uploadId: upload.UploadId, initiated: upload.Initiated?.getTime()});
    }
    [KeyMarker, UploadIdMarker] = page.IsTruncated
      ? [page.NextKeyMarker, page.NextUploadIdMarker]
      : [undefined, undefined];
  } while (KeyMarker !== undefined || UploadIdMarker !== undefined);
  if (options.sizes) for (const upload of found) upload.bytes = await partBytes(scope, upload);
  return found;
}

async function partBytes(scope: UploadScope, upload: OpenUpload): Promise<number | undefined> {
  const {client, bucket: Bucket} = scope;
  const Key = scope.prefix ? `${scope.prefix}/${upload.key}` : upload.key;
  let bytes = 0;
  let PartNumberMarker: string | undefined;
  try {
    do {
      const page = await scope.request('ListParts', upload.key, undefined, () =>
        client.send(new ListPartsCommand({Bucket, Key, UploadId: upload.uploadId, PartNumberMarker})),
      );
      for (const part of page.Parts ?? []) bytes += part.Size ?? 0;
      PartNumberMarker = page.IsTruncated ? page.NextPartNumberMarker : undefined;
    } while (PartNumberMarker !== undefined);
  } catch {
    return undefined; // completed or aborted since it was listed
  }
  return bytes;
}

export async function abortUploads(scope: UploadScope, uploads: readonly OpenUpload[]): Promise<number> {
  const {client, bucket: Bucket} = scope;
  let aborted = 0;
  for (const upload of uploads) {
    const Key = scope.prefix ? `${scope.prefix}/${upload.key}` : upload.key;
    await scope.request('AbortMultipartUpload', upload.key, undefined, async () => {
      try {
        await client.send(new AbortMultipartUploadCommand({Bucket, Key, UploadId: upload.uploadId}));
      } catch (e) {
        if (errorName(e) !== 'NoSuchUpload') throw e;
      }
    });
    aborted++;
  }
  return aborted;
}
