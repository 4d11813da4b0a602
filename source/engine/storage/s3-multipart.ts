/**
 * Multipart upload for large objects: parts go up in parallel (each with its
 * Content-MD5, each retried on its own), and the object becomes visible only
 * when CompleteMultipartUpload succeeds, so a failed or cancelled upload
 * leaves nothing behind but an aborted upload.
 */
import {createHash} from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import {errorName} from './s3-errors.js';

export type RequestKind =
  | 'GetObject'
  | 'PutObject'
  | 'HeadObject'
  | 'ListObjectsV2'
  | 'DeleteObject'
  | 'DeleteObjects'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListMultipartUploads'
  | 'ListParts'
  | 'HeadBucket'
  | 'CreateBucket';

/** What the multipart code needs from the backend: its client, and its retrying request loop. */
export interface S3Requester {
  readonly client: S3Client;
  readonly bucket: string;
  readonly partSize: number;
  readonly preferredConcurrency: number;
  readonly stats: {bytesSent: number};
  request<T>(
    kind: RequestKind,
    key: string | undefined,
    signal: AbortSignal | undefined,
    fn: (attempt: number) => Promise<T>,
  ): Promise<T>;
  stat(key: string): Promise<{size: number} | undefined>;
}

export async function putMultipart(
  s3: S3Requester,
  key: string,
  Key: string,
  data: Buffer,
  outer?: AbortSignal,
): Promise<void> {
  const {client, bucket: Bucket} = s3;
  const created = await s3.request('CreateMultipartUpload', key, outer, () =>
    client.send(new CreateMultipartUploadCommand({Bucket, Key}), {abortSignal: outer}),
  );
  const UploadId = created.UploadId!;
  // S3 allows at most 10,000 parts.
  const partSize = Math.max(s3.partSize, Math.ceil(data.length / 10_000));
  const count = Math.ceil(data.length / partSize);
  const parts: CompletedPart[] = new Array(count);
  const inner = new AbortController();
  const onOuterAbort = () => inner.abort(outer!.reason);
  outer?.addEventListener('abort', onOuterAbort, {once: true});
  const signal = inner.signal;
  let next = 0;
  let failure: unknown;

  const worker = async () => {
    while (failure === undefined && next < count) {
      const index = next++;
      const Body = data.subarray(index * partSize, Math.min(data.length, (index + 1) * partSize));
      // Hash after a turn of the event loop: the parts already hashed are on the wire meanwhile (all
      // workers hashing first held the first request back by the time of every part's hash).
      await new Promise(resolve => setImmediate(resolve));
      if (failure !== undefined) break;
      const ContentMD5 = createHash('md5').update(Body).digest('base64');
      try {
        const out = await s3.request('UploadPart', key, signal, () =>
          client.send(
            new UploadPartCommand({
              Bucket,
              Key,
              UploadId,
              PartNumber: index + 1,
              Body,
              ContentMD5,
              ContentLength: Body.length,
            }),
            {abortSignal: signal},
          ),
        );
        s3.stats.bytesSent += Body.length;
        parts[index] = {PartNumber: index + 1, ETag: out.ETag};
      } catch (e) {
        failure ??= e;
        inner.abort(e); // stop the other parts in flight
      }
    }
  };

  try {
    await Promise.all(Array.from({length: Math.min(count, s3.preferredConcurrency, 8)}, worker));
    if (failure !== undefined) throw failure;
    await s3.request('CompleteMultipartUpload', key, outer, async attempt => {
      try {
        await client.send(
          new CompleteMultipartUploadCommand({Bucket, Key, UploadId, MultipartUpload: {Parts: parts}}),
          {abortSignal: outer},
        );
      } catch (e) {
        // The first Complete may have worked and only its reply been lost.
        if (attempt > 1 && errorName(e) === 'NoSuchUpload' && (await s3.stat(key))?.size === data.length) return;
        throw e;
      }
    });
  } catch (e) {
    await s3
      .request('AbortMultipartUpload', key, undefined, () =>
        client.send(new AbortMultipartUploadCommand({Bucket, Key, UploadId})),
      )
      .catch(() => {});
    throw e;
  } finally {
    outer?.removeEventListener('abort', onOuterAbort);
  }
}
