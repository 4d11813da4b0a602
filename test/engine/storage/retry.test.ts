/**
 * The retry loop and the S3 failure rules, without a network: which failures
 * are retried, how often, how long it waits (full jitter), and that a cancel
 * stops it at once.
 */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import {backoffMs, withRetry, type RetryPolicy} from '../../../source/engine/storage/retry.js';
import {isRetryableS3Error, toBackhaulError} from '../../../source/engine/storage/s3-errors.js';

const waits: number[] = [];
const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 5, baseMs: 100, capMs: 1000, random: () => 0.5,
  sleep: async (ms) => void waits.push(ms), ...over,
});
const s3Error = (name: string, status: number) => Object.assign(new Error(name), {name, $metadata: {httpStatusCode: status}});
const netError = (code: string, message = code) => Object.assign(new Error(message), {code});

describe('withRetry', () => {
  it('retries retryable failures with capped exponential full-jitter backoff, then gives up', async () => {
    waits.length = 0;
    let calls = 0;
    await assert.rejects(withRetry(policy(), {isRetryable: () => true}, async () => {
      calls++;
      throw new Error(`try ${calls}`);
    }), /try 5/);
    assert.equal(calls, 5);
    assert.deepEqual(waits, [50, 100, 200, 400]);
    assert.equal(backoffMs(policy({random: () => 0.999}), 10), 999);
  });

  it('returns the first success and passes the attempt number', async () => {
    const seen: number[] = [];
    const result = await withRetry(policy(), {isRetryable: () => true}, async (attempt) => {
      seen.push(attempt);
      if (attempt < 3) throw new Error('flaky');
      return 'done';
    });
    assert.equal(result, 'done');
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('does not retry what is not retryable', async () => {
    let calls = 0;
    await assert.rejects(withRetry(policy(), {isRetryable: () => false}, async () => {
      calls++;
      throw new Error('final');
    }), /final/);
    assert.equal(calls, 1);
  });

  it('stops waiting as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = withRetry({attempts: 5, baseMs: 60_000, capMs: 60_000, random: () => 1}, {isRetryable: () => true, signal: controller.signal},
      async () => {
        throw new Error('down');
      });
    setTimeout(() => controller.abort(new Error('stop now')), 10);
    await assert.rejects(started, /stop now/);
  });
});

describe('S3 failure rules', () => {
  it('retries throttling, 5xx and dropped connections only', () => {
    for (const e of [s3Error('SlowDown', 503), s3Error('TooManyRequests', 429), s3Error('InternalError', 500), s3Error('Unknown', 502),
      netError('ECONNRESET'), netError('EPIPE'), new Error('socket hang up'), Object.assign(new Error('t'), {name: 'TimeoutError'}),
      Object.assign(new Error('wrapped'), {cause: netError('ECONNRESET')})]) {
      assert.equal(isRetryableS3Error(e), true, e.message);
    }
    for (const e of [s3Error('NoSuchKey', 404), s3Error('AccessDenied', 403), s3Error('PreconditionFailed', 412),
      Object.assign(new Error('x'), {name: 'AbortError'})]) {
      assert.equal(isRetryableS3Error(e), false, e.message);
    }
  });

  it('maps failures to BackhaulError codes with hints naming the place', () => {
    const ctx = {operation: 'GetObject', key: 'k', endpoint: 'http://rgw:7480', bucket: 'b', location: 's3://b/p'};
    const code = (e: unknown) => toBackhaulError(e, ctx).code;
    assert.equal(code(s3Error('NoSuchKey', 404)), 'not-found');
    assert.equal(code(s3Error('NoSuchBucket', 404)), 'no-repository');
    for (const name of ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied']) assert.equal(code(s3Error(name, 403)), 'denied');
    const storage = toBackhaulError(s3Error('SlowDown', 503), ctx);
    assert.ok(storage instanceof BackhaulError && storage.code === 'storage');
    assert.match(storage.hint, /http:\/\/rgw:7480/);
    assert.match(storage.hint, /"b"/);
    const controller = new AbortController();
    controller.abort();
    assert.equal(toBackhaulError(new Error('aborted'), {...ctx, signal: controller.signal}).code, 'cancelled');
  });
});
