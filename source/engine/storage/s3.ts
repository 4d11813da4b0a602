/**
 * S3-compatible object storage backend (AWS S3, Ceph RGW, MinIO, ...), at
 * `s3://BUCKET/PREFIX`, on the AWS SDK v3.
 *
 * Guarantees (see storage.ts): puts are atomic (PutObject, or a multipart
 * upload that only becomes visible on Complete) and carry Content-MD5 — or,
 * for objects named by their SHA-256 (packs, index files), that name as the
 * signed payload hash — so the server rejects bytes damaged on the way;
 * putIfAbsent is `If-None-Match: *`.
 * putIfAbsent checks once, on a scratch key, that the server honours that
 * condition (a server that ignores it would let two writers lock at once).
 * Every request goes through one retry loop of ours (the SDK's is off) with
 * exponential backoff and full jitter on throttling, 5xx and dropped
 * connections, and is bounded: a try that gets no byte for `stallMs` is
 * abandoned, and no try starts once the operation could not end within
 * `timeoutMs` (default 60 s); `watch` hears of each retry and stall.
 * Credentials come only from the SDK's default chain (environment,
 * profiles); Backhaul never stores them. `stats` counts every request sent,
 * by kind, retries included.
 */
import {createHash, randomBytes} from 'node:crypto';
import {getMaxListeners, setMaxListeners} from 'node:events';
import {Agent as HttpAgent} from 'node:http';
import {Agent as HttpsAgent} from 'node:https';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {BackhaulError, corrupt, usageError} from '../errors.js';
import {DEFAULT_RETRY, withRetry, type RetryPolicy} from './retry.js';
import {
  errorName,
  httpStatus,
  isRetryableS3Error,
  isStall,
  retryNotice,
  ShortBodyError,
  toBackhaulError,
} from './s3-errors.js';
import {putMultipart, type RequestKind, type S3Requester} from './s3-multipart.js';
import {abortUploads, listOpenUploads} from './s3-uploads.js';
import {DEFAULT_TIMEOUT_MS} from './timeout.js';
import {checkKey, checkPrefix, type ObjectInfo, type OpenUpload, type Storage, type StorageNotice} from './storage.js';

export type {RequestKind} from './s3-multipart.js';

export interface S3StorageOptions {
  /** e.g. `http://127.0.0.1:7480` for RGW/MinIO; AWS when absent. */
  endpoint?: string;
  region?: string;
  /** `https://host/bucket/key` addressing; default true when an endpoint is given. */
  forcePathStyle?: boolean;
  /** Requests in flight the caller should aim for (and parts per multipart upload, up to 8). */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Objects larger than this go up as multipart uploads. */
  multipartThreshold?: number;
  partSize?: number;
  /** Root registered this repository itself (see ReadableStorage.rootOnly). */
  rootOnly?: boolean;
  /** Time one operation may take, its retries included (default 60 s). */
  timeoutMs?: number;
  /** How long a try may go without a byte before it is abandoned (default: a third of timeoutMs, at most 20 s). */
  stallMs?: number;
}

/** The silence after which a try is abandoned, for a given operation budget. */
export function stallFor(timeoutMs: number): number {
  return Math.max(500, Math.min(20_000, Math.floor(timeoutMs / 3)));
}

export interface S3Stats {
  requests: Record<RequestKind, number>;
  retries: number;
  /** Tries abandoned because the server sent nothing for stallMs (each also counted in retries if retried). */
  stalls: number;
  bytesSent: number;
  bytesReceived: number;
}

const MiB = 1024 * 1024;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** `s3://bucket/some/prefix/` → {bucket: 'bucket', prefix: 'some/prefix'}. */
export function parseS3Location(url: string): {bucket: string; prefix: string} {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url.trim());
  const bucket = match?.[1] ?? '';
  if (!match || !BUCKET.test(bucket)) {
    throw usageError(
      `Not an S3 location: "${url}".`,
      'Write it as s3://BUCKET or s3://BUCKET/PREFIX (bucket: 3-63 of a-z 0-9 . -).',
    );
  }
  const prefix = match[2]!.replace(/\/+$/, '');
  if (prefix !== '') {
    try {
      checkKey(prefix);
    } catch {
      throw usageError(
        `Invalid prefix "${prefix}" in "${url}".`,
        'Use /-separated names made of A-Z a-z 0-9 . _ - only.',
      );
    }
  }
  return {bucket, prefix};
}

/**
 * Keys of objects named by the SHA-256 of their bytes (packs and index files, FORMAT.md): the
 * name is sent as the payload hash, which the server verifies, instead of computing Content-MD5.
 */
const CONTENT_ADDRESSED = /^(?:data\/[0-9a-f]{2}|index)\/([0-9a-f]{64})$/;
const SILENT = {debug() {}, info() {}, warn() {}, error() {}};
/** How S3 (and RGW) refuse a body whose SHA-256 is not the signed payload hash. */
const CONTENT_HASH_REFUSED = /XAmzContentSHA256Mismatch|BadDigest/;

const md5 = (data: Uint8Array) => createHash('md5').update(data).digest();
const asBuffer = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength);

export class S3Storage implements Storage, S3Requester {
  readonly preferredConcurrency: number;
  readonly location: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly client: S3Client;
  readonly stats: S3Stats = {
    requests: {
      GetObject: 0,
      PutObject: 0,
      HeadObject: 0,
      ListObjectsV2: 0,
      DeleteObject: 0,
      DeleteObjects: 0,
      CreateMultipartUpload: 0,
      UploadPart: 0,
      CompleteMultipartUpload: 0,
      AbortMultipartUpload: 0,
      ListMultipartUploads: 0,
      ListParts: 0,
      HeadBucket: 0,
      CreateBucket: 0,
    },
    retries: 0,
    stalls: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  /** Bodies in flight whose SHA-256 is their key's name (see the payload-hash middleware). */
  private readonly bodySha256 = new WeakMap<object, string>();
  private readonly endpoint: string;
  private readonly policy: RetryPolicy;
  private readonly threshold: number;
  readonly partSize: number;
  readonly rootOnly: boolean;
  private readonly listeners = new Set<(notice: StorageNotice) => void>();
  /** Whether the server honours If-None-Match (checked once, before the first putIfAbsent). */
  private conditionChecked?: Promise<void>;

  constructor(
    location: string,
    private readonly options: S3StorageOptions = {},
  ) {
    this.rootOnly = options.rootOnly ?? false;
    ({bucket: this.bucket, prefix: this.prefix} = parseS3Location(location));
    this.location = `s3://${this.bucket}${this.prefix ? '/' + this.prefix : ''}`;
    this.preferredConcurrency = Math.max(1, options.concurrency ?? 16);
    const budgetMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const stallMs = options.stallMs ?? stallFor(budgetMs);
    this.policy = {...DEFAULT_RETRY, budgetMs, stallMs, ...options.retry};
    this.threshold = options.multipartThreshold ?? 16 * MiB;
    this.partSize = Math.max(5 * MiB, options.partSize ?? 8 * MiB);
    const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL;
    this.endpoint = endpoint ?? 'AWS S3';
    const agent = {keepAlive: true, maxSockets: this.preferredConcurrency * 2};
    // The SDK otherwise prints a Node-version notice to stderr (over the TUI);
    // the engine never writes to the console. Set it to 'false' to see it.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client = new S3Client({
      endpoint,
      region: options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
      forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
      maxAttempts: 1,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // socketTimeout: a try whose connection stays silent for stallMs fails (and is retried within the
      // budget); a total-time limit per try would fail big uploads on slow links instead, and by default
      // the SDK only logs one (to the console).
      requestHandler: {
        httpAgent: new HttpAgent(agent),
        httpsAgent: new HttpsAgent(agent),
        connectionTimeout: Math.min(10_000, stallMs),
        socketTimeout: stallMs,
        logger: SILENT,
      },
    });
    // The payload hash in the signature (x-amz-content-sha256), which the server checks against the
    // body: for a body named by its SHA-256 (put() knows it from the key) that name, so the server
    // refuses any pack whose bytes do not match their id and we hash nothing more; for bodies that
    // carry Content-MD5 instead, UNSIGNED-PAYLOAD, so no one spends a second pass over them.
    this.client.middlewareStack.add(
      next => async args => {
        const headers = (args.request as {headers?: Record<string, string>}).headers;
        const body = (args.input as {Body?: unknown}).Body;
        const named = typeof body === 'object' && body !== null ? this.bodySha256.get(body) : undefined;
        if (headers && named) headers['x-amz-content-sha256'] = named;
        else if (headers?.['content-md5']) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        return next(args);
      },
      {step: 'build', name: 'backhaulPayloadHash'},
    );
  }

  /** The object key in the bucket for a repository key. */
  objectKey(key: string): string {
    return this.prefix ? `${this.prefix}/${checkKey(key)}` : checkKey(key);
  }

  watch(listener: (notice: StorageNotice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(notice: StorageNotice): void {
    for (const listener of this.listeners) listener(notice);
  }

  async request<T>(
    kind: RequestKind,
    key: string | undefined,
    signal: AbortSignal | undefined,
    fn: (attempt: number) => Promise<T>,
  ): Promise<T> {
    // Each request in flight (and each retry wait) listens on the caller's signal; many in flight is normal here.
    if (signal && getMaxListeners(signal) < this.preferredConcurrency * 8)
      setMaxListeners(this.preferredConcurrency * 8, signal);
    const started = Date.now();
    let attempts = 0;
    const onRetry = (error: unknown, attempt: number, delayMs: number) => {
      this.stats.retries++;
      this.notify(
        retryNotice(
          {operation: kind, key, endpoint: this.endpoint, location: this.location, stallMs: this.policy.stallMs ?? 0},
          error,
          attempt,
          delayMs,
        ),
      );
    };
    try {
      return await withRetry(this.policy, {isRetryable: isRetryableS3Error, signal, onRetry}, attempt => {
        attempts = attempt;
        this.stats.requests[kind]++;
        return fn(attempt).catch((e: unknown) => {
          if (isStall(e)) this.stats.stalls++;
          throw e;
        });
      });
    } catch (e) {
      const tries = {
        attempts,
        elapsedMs: Date.now() - started,
        stallMs: this.policy.stallMs ?? 0,
        budgetMs: this.policy.budgetMs ?? 0,
      };
      throw toBackhaulError(e, {
        operation: kind,
        key,
        endpoint: this.endpoint,
        bucket: this.bucket,
        location: this.location,
        signal,
        tries,
      });
    }
  }

  /**
   * True when a put of `size` bytes at `key` is refused by the server unless
   * the bytes hash to the key's name (a pack or index sent in one PutObject,
   * its id as the signed payload hash); put() then throws 'corrupt' and stores
   * nothing. A copy needs no hash pass of its own for such a put.
   */
  checksContentHash(key: string, size: number): boolean {
    return CONTENT_ADDRESSED.test(key) && size <= this.threshold;
  }

  async put(key: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const Key = this.objectKey(key);
    if (data.byteLength > this.threshold) return putMultipart(this, key, Key, asBuffer(data), signal);
    const Body = asBuffer(data);
    const named = CONTENT_ADDRESSED.exec(key)?.[1];
    if (named) this.bodySha256.set(Body, named);
    const ContentMD5 = named ? undefined : md5(data).toString('base64');
    try {
      await this.request('PutObject', key, signal, async () => {
        await this.client.send(
          new PutObjectCommand({Bucket: this.bucket, Key, Body, ContentMD5, ContentLength: data.byteLength}),
          {abortSignal: signal},
        );
        this.stats.bytesSent += data.byteLength;
      });
    } catch (e) {
      if (named && e instanceof BackhaulError && CONTENT_HASH_REFUSED.test(e.message)) {
        throw corrupt(
          `${this.location} refused "${key}": its bytes do not hash to its name (${e.message}).`,
          'The data was damaged before or on the way; run `backhaul verify` on the source.',
        );
      }
      throw e;
    }
  }

  /**
   * A retry after a lost reply may find the object our first try created; when
   * it holds exactly our bytes (same MD5) we count it as ours. Callers that put
   * unique content (locks) thus get the right answer; for identical content
   * either answer is true.
   */
  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    this.conditionChecked ??= this.checkConditionalPut().catch((e: unknown) => {
      this.conditionChecked = undefined; // a failure to ask is not an answer: ask again next time
      throw e;
    });
    await this.conditionChecked;
    return this.conditionalPut(key, data);
  }

  private conditionalPut(key: string, data: Uint8Array): Promise<boolean> {
    const Key = this.objectKey(key);
    const digest = md5(data);
    return this.request('PutObject', key, undefined, async attempt => {
      try {
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key,
            Body: asBuffer(data),
            ContentMD5: digest.toString('base64'),
            ContentLength: data.byteLength,
            IfNoneMatch: '*',
          }),
        );
        this.stats.bytesSent += data.byteLength;
        return true;
      } catch (e) {
        if (httpStatus(e) !== 412 && errorName(e) !== 'PreconditionFailed') throw e;
        if (attempt === 1) return false;
        const info = await this.head(key, Key);
        return info?.etag === `"${digest.toString('hex')}"`;
      }
    });
  }

  /**
   * Puts a scratch object, then puts it again with If-None-Match: a server
   * that takes the second put ignores the condition, and every lock built on
   * putIfAbsent would let two writers in: refused with a storage error.
   */
  private async checkConditionalPut(): Promise<void> {
    const probe = `locks/probe-${randomBytes(8).toString('hex')}`;
    try {
      await this.put(probe, Buffer.from('probe'));
      if (await this.conditionalPut(probe, Buffer.from('probe again'))) {
        throw new BackhaulError(
          'storage',
          `${this.endpoint} ignores "If-None-Match: *" on PutObject: it overwrote an object a conditional put must not replace.`,
          'Backhaul cannot lock a repository there safely (two writers could both take the lock); use a server that honours conditional writes (AWS S3, Ceph RGW, MinIO).',
        );
      }
    } finally {
      await this.delete(probe).catch(() => {});
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer> {
    return this.fetch(key, undefined, signal);
  }

  async getRange(key: string, offset: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    if (length === 0) {
      if (!(await this.stat(key))) return this.fetch(key, undefined, signal); // throws not-found
      return Buffer.alloc(0);
    }
    const data = await this.fetch(key, `bytes=${offset}-${offset + length - 1}`, signal);
    if (data.length < length) {
      throw corrupt(
        `Object "${key}" is shorter than expected (${offset + data.length} < ${offset + length} bytes).`,
        'Run `backhaul verify`.',
      );
    }
    return data;
  }

  private async fetch(key: string, Range: string | undefined, signal?: AbortSignal): Promise<Buffer> {
    const Key = this.objectKey(key);
    return this.request('GetObject', key, signal, async () => {
      let out;
      try {
        out = await this.client.send(new GetObjectCommand({Bucket: this.bucket, Key, Range}), {abortSignal: signal});
      } catch (e) {
        if (Range && (httpStatus(e) === 416 || errorName(e) === 'InvalidRange')) {
          throw corrupt(`Object "${key}" is shorter than expected (no bytes at ${Range}).`, 'Run `backhaul verify`.');
        }
        throw e;
      }
      const bytes = out.Body ? await out.Body.transformToByteArray() : new Uint8Array();
      const data = asBuffer(bytes);
      if (out.ContentLength !== undefined && data.length !== out.ContentLength) {
        throw new ShortBodyError(`Body of "${key}" ended after ${data.length} of ${out.ContentLength} bytes`);
      }
      this.stats.bytesReceived += data.length;
      return data;
    });
  }

  private async head(key: string, Key: string): Promise<(ObjectInfo & {etag?: string}) | undefined> {
    return this.request('HeadObject', key, undefined, async () => {
      try {
        const out = await this.client.send(new HeadObjectCommand({Bucket: this.bucket, Key}));
        return {key, size: out.ContentLength ?? 0, mtimeMs: out.LastModified?.getTime(), etag: out.ETag};
      } catch (e) {
        if (httpStatus(e) === 404 && errorName(e) !== 'NoSuchBucket') return undefined;
        throw e;
      }
    });
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const info = await this.head(key, this.objectKey(key));
    return info && {key: info.key, size: info.size, mtimeMs: info.mtimeMs};
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    checkPrefix(prefix);
    const base = this.prefix ? this.prefix + '/' : '';
    let token: string | undefined;
    do {
      const out = await this.request('ListObjectsV2', prefix || undefined, undefined, () =>
        this.client.send(
          new ListObjectsV2Command({Bucket: this.bucket, Prefix: base + prefix, ContinuationToken: token}),
        ),
      );
      for (const object of out.Contents ?? []) {
        const key = object.Key?.slice(base.length);
        // Objects other tools left under our prefix with names we cannot use are not ours.
        if (!key || !object.Key!.startsWith(base) || !isValidKey(key)) continue;
        yield {key, size: object.Size ?? 0, mtimeMs: object.LastModified?.getTime()};
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  async delete(key: string, signal?: AbortSignal): Promise<void> {
    const Key = this.objectKey(key);
    await this.request('DeleteObject', key, signal, () =>
      this.client.send(new DeleteObjectCommand({Bucket: this.bucket, Key}), {abortSignal: signal}),
    );
  }

  /** DeleteObjects, 1000 keys a request (the S3 limit); a key the server could not delete fails the call. */
  async deleteMany(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < keys.length; i += 1000) {
      const batch = keys.slice(i, i + 1000);
      const Objects = batch.map(key => ({Key: this.objectKey(key)}));
      const out = await this.request('DeleteObjects', batch[0]!, signal, () =>
        this.client.send(new DeleteObjectsCommand({Bucket: this.bucket, Delete: {Objects, Quiet: true}}), {
          abortSignal: signal,
        }),
      );
      const failed = (out.Errors ?? []).filter(e => e.Code !== 'NoSuchKey');
      if (failed.length > 0)
        throw new BackhaulError(
          'storage',
          `Could not delete ${failed.length} object(s) from ${this.location}, among them ${failed[0]!.Key} (${failed[0]!.Code}: ${failed[0]!.Message}).`,
          'Check the credentials may delete objects in this bucket, then run the command again.',
        );
    }
  }

  listOpenUploads(options: {sizes?: boolean} = {}): Promise<OpenUpload[]> {
    return listOpenUploads(this, options);
  }

  abortUploads(uploads: readonly OpenUpload[]): Promise<number> {
    return abortUploads(this, uploads);
  }

  /** Creates the bucket if it does not exist; says which. Used by `backhaul repo add`. */
  async ensureBucket(): Promise<'exists' | 'created'> {
    const exists = await this.request('HeadBucket', undefined, undefined, async () => {
      try {
        await this.client.send(new HeadBucketCommand({Bucket: this.bucket}));
        return true;
      } catch (e) {
        if (httpStatus(e) === 404) return false;
        throw e;
      }
    });
    if (exists) return 'exists';
    const region = await this.client.config.region();
    // Custom endpoints (RGW, MinIO) name their own zones; only AWS wants a constraint outside us-east-1.
    const constraint =
      this.options.endpoint === undefined && region !== 'us-east-1' ? {LocationConstraint: region as never} : undefined;
    return this.request('CreateBucket', undefined, undefined, async () => {
      try {
        await this.client.send(new CreateBucketCommand({Bucket: this.bucket, CreateBucketConfiguration: constraint}));
        return 'created' as const;
      } catch (e) {
        if (errorName(e) === 'BucketAlreadyOwnedByYou') return 'exists' as const;
        if (errorName(e) === 'BucketAlreadyExists') {
          throw new BackhaulError(
            'exists',
            `Bucket "${this.bucket}" belongs to someone else at ${this.endpoint}.`,
            'Bucket names are global; pick another one.',
          );
        }
        throw e;
      }
    });
  }

  async freeSpace(): Promise<number | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function isValidKey(key: string): boolean {
  try {
    checkKey(key);
    return true;
  } catch {
    return false;
  }
}
