/**
 * How the S3 backend reads failures: which ones are worth another try
 * (throttling, 5xx, dropped or timed-out connections, short bodies), which
 * are stalls (a server that sent nothing for too long), and how the rest
 * become BackhaulErrors a user can act on. Kept apart from the backend so
 * the rules can be read, and tested, in one place.
 */
import {BackhaulError, cancelled, denied, notFound} from '../errors.js';
import type {StorageNotice} from './storage.js';

type Failure = {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  cause?: unknown;
  $metadata?: {httpStatusCode?: number};
  $response?: {statusCode?: number};
};

export function httpStatus(e: unknown): number | undefined {
  const f = e as Failure | undefined;
  return f?.$metadata?.httpStatusCode ?? f?.$response?.statusCode;
}

export function errorName(e: unknown): string {
  const f = e as Failure | undefined;
  return f?.Code ?? f?.name ?? '';
}

/** A body that ended before its Content-Length: the connection dropped mid-read. */
export class ShortBodyError extends Error {
  override readonly name = 'ShortBodyError';
}

const RETRY_NAMES = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
  'NetworkingError',
  'ShortBodyError',
  'ConditionalRequestConflict',
]);
const RETRY_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'HPE_INVALID_CONSTANT',
]);
const RETRY_MESSAGE =
  /socket hang up|ECONNRESET|EPIPE|premature close|Parse Error|other side closed|connect ETIMEDOUT/i;

/**
 * True for a try abandoned because the server sent nothing for too long (the
 * HTTP handler's idle-socket or connection timeout): it accepted the
 * connection, or not even that, and then stayed silent.
 */
export function isStall(e: unknown): boolean {
  for (let f = e as Failure | undefined, depth = 0; f && depth < 5; f = f.cause as Failure | undefined, depth++) {
    if (f.name === 'TimeoutError') return true;
  }
  return false;
}

/** The tries behind a failure: how many, over how long, under which limits. */
export interface Tries {
  attempts: number;
  elapsedMs: number;
  stallMs: number;
  budgetMs: number;
}

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** True for failures where the same request may well succeed if sent again. */
export function isRetryableS3Error(e: unknown): boolean {
  for (let f = e as Failure | undefined, depth = 0; f && depth < 5; f = f.cause as Failure | undefined, depth++) {
    if (f.name === 'AbortError') return false;
    const status = httpStatus(f);
    if (status === 429 || (status !== undefined && status >= 500)) return true;
    if (RETRY_NAMES.has(errorName(f)) || RETRY_NAMES.has(f.name ?? '')) return true;
    if (f.code && RETRY_CODES.has(f.code)) return true;
    if (typeof f.message === 'string' && RETRY_MESSAGE.test(f.message)) return true;
  }
  return false;
}

export interface FailureContext {
  operation: string;
  key?: string;
  endpoint: string;
  bucket: string;
  location: string;
  signal?: AbortSignal;
  tries?: Tries;
}

/** How to wait longer for a slow server: README "Object storage". */
export const TIMEOUT_HINT =
  'set BACKHAUL_S3_TIMEOUT=SECONDS, or register the repository again with `backhaul repo add NAME LOCATION --timeout SECONDS`';

/** Turns whatever the SDK (or the network) threw into a BackhaulError. */
export function toBackhaulError(e: unknown, ctx: FailureContext): BackhaulError {
  if (e instanceof BackhaulError) return e;
  if (ctx.signal?.aborted || (e as Failure)?.name === 'AbortError') return cancelled();
  const name = errorName(e);
  const status = httpStatus(e);
  const what = ctx.key === undefined ? ctx.location : `"${ctx.key}" in ${ctx.location}`;
  const message = (e as Failure)?.message ?? String(e);
  // The SDK says only "UnknownError" when an error reply has no body (HEAD, some 403s).
  const detail = `${name || 'Error'}${status ? ` (HTTP ${status})` : ''}${message && message !== name && message !== 'UnknownError' ? `: ${message}` : ''}`;
  const tries =
    ctx.tries && ctx.tries.attempts > 1 ? ` (${ctx.tries.attempts} tries in ${seconds(ctx.tries.elapsedMs)})` : '';
  if (isStall(e) && ctx.tries) {
    return new BackhaulError(
      'storage',
      `S3 ${ctx.operation} of ${what} stalled: ${ctx.endpoint} sent nothing for ${seconds(ctx.tries.stallMs)}${tries}; gave up within the ${seconds(ctx.tries.budgetMs)} limit.`,
      `Check that ${ctx.endpoint} is up and answering (it took the request, or the connection, and then went silent). To wait longer, ${TIMEOUT_HINT}.`,
    );
  }
  if (name === 'NoSuchBucket') {
    return new BackhaulError(
      'no-repository',
      `Bucket "${ctx.bucket}" does not exist at ${ctx.endpoint}.`,
      'Create it with `backhaul repo add NAME s3://BUCKET/PREFIX`, or check the bucket name and endpoint.',
    );
  }
  if (name === 'NoSuchKey' || name === 'NotFound' || status === 404) {
    return notFound(`Missing object ${what}.`, 'The repository is incomplete; run `backhaul verify`.');
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(String((e as Failure)?.message))) {
    return denied(
      `No S3 credentials found for ${ctx.endpoint}.`,
      'Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE; Backhaul never stores keys itself.',
    );
  }
  if (status === 403 || ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied'].includes(name)) {
    const hint =
      name === 'AccessDenied'
        ? `The key has no right to ${ctx.operation} in bucket "${ctx.bucket}"; ask the storage administrator for access.`
        : `Check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) for ${ctx.endpoint}.`;
    return denied(`S3 refused ${ctx.operation} of ${what}: ${detail}`, hint);
  }
  return new BackhaulError(
    'storage',
    `S3 ${ctx.operation} of ${what} failed${tries}: ${detail}`,
    `Check that ${ctx.endpoint} is reachable and bucket "${ctx.bucket}" exists; transient failures were already retried.`,
  );
}

/** What a retry is told as (Storage.watch): a stall, or a failure worth another try. */
export function retryNotice(
  ctx: {operation: string; key?: string; endpoint: string; location: string; stallMs: number},
  error: unknown,
  attempt: number,
  delayMs: number,
): StorageNotice {
  const {operation, key} = ctx;
  const what = key === undefined ? ctx.location : `"${key}"`;
  const again = `trying again in ${(delayMs / 1000).toFixed(1)} s (try ${attempt + 1})`;
  if (isStall(error)) {
    return {
      kind: 'stall',
      operation,
      key,
      attempt,
      message: `S3 ${operation} of ${what}: ${ctx.endpoint} sent nothing for ${seconds(ctx.stallMs)}; ${again}.`,
    };
  }
  const status = httpStatus(error);
  const name = errorName(error) || (error as {code?: string})?.code || 'error';
  return {
    kind: 'retry',
    operation,
    key,
    attempt,
    message: `S3 ${operation} of ${what} failed (${name}${status ? `, HTTP ${status}` : ''}); ${again}.`,
  };
}
