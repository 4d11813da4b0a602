/**
 * The retry loop and the S3 failure rules, without a network: which failures
 * are retried, how often, how long it waits (full jitter), and that a cancel
 * stops it at once.
 */
import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import {backoffMs, withRetry, type RetryPolicy} from '../../../source/engine/storage/retry.js';
import {isRetryableS3Error, isStall, toBackhaulError} from '../../../source/engine/storage/s3-errors.js';

const waits: number[] = [];
const policy = (over: Partial<RetryPolicy> = {}): RetryPolicy => ({
  attempts: 5,
  baseMs: 100,
  capMs: 1000,
  random: () => 0.5,
  sleep: async ms => void waits.push(ms),
  ...over,
});
const s3Error = (name: string, status: number) =>
  Object.assign(new Error(name), {name, $metadata: {httpStatusCode: status}});
const netError = (code: string, message = code) => Object.assign(new Error(message), {code});

describe('withRetry', () => {
  it('retries retryable failures with capped exponential full-jitter backoff, then gives up', async () => {
    waits.length = 0;
    let calls = 0;
    await assert.rejects(
      withRetry(policy(), {isRetryable: () => true}, async () => {
        calls++;
        throw new Error(`try ${calls}`);
      }),
      /try 5/,
    );
    assert.equal(calls, 5);
    assert.deepEqual(waits, [50, 100, 200, 400]);
    assert.equal(backoffMs(policy({random: () => 0.999}), 10), 999);
  });

  it('returns the first success and passes the attempt number', async () => {
    const seen: number[] = [];
    const result = await withRetry(policy(), {isRetryable: () => true}, async attempt => {
      seen.push(attempt);
      if (attempt < 3) throw new Error('flaky');
      return 'done';
    });
    assert.equal(result, 'done');
    assert.deepEqual(seen, [1, 2, 3]);
  });

  it('does not retry what is not retryable', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry(policy(), {isRetryable: () => false}, async () => {
        calls++;
        throw new Error('final');
      }),
      /final/,
    );
    assert.equal(calls, 1);
  });

  it('stops waiting as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = withRetry(
      {attempts: 5, baseMs: 60_000, capMs: 60_000, random: () => 1},
      {isRetryable: () => true, signal: controller.signal},
      async () => {
        throw new Error('down');
      },
    );
    setTimeout(() => controller.abort(new Error('stop now')), 10);
    await assert.rejects(started, /stop now/);
  });

  it('within a budget: a server that never answers fails within it; a try that could not end within it never starts', async () => {
    let clock = 0;
    let calls = 0;
    const stallMs = 20_000;
    const timed = policy({
      attempts: 8,
      budgetMs: 60_000,
      stallMs,
      now: () => clock,
      sleep: async ms => void (clock += ms),
    });
    await assert.rejects(
      withRetry(timed, {isRetryable: () => true}, async () => {
        calls++;
        clock += stallMs; // each try waits out the silence, then is abandoned
        throw Object.assign(new Error('no reply'), {name: 'TimeoutError'});
      }),
      /no reply/,
    );
    assert.equal(calls, 2, 'the third try could stall past the budget: it is not started');
    assert.ok(clock <= 60_000, `gave up after ${clock} ms`);
    // Quick failures are retried up to the attempt limit, as before.
    clock = 0;
    calls = 0;
    await assert.rejects(
      withRetry(timed, {isRetryable: () => true}, async () => {
        calls++;
        throw new Error('refused');
      }),
    );
    assert.equal(calls, 8);
  });
});

describe('S3 failure rules', () => {
  it('retries throttling, 5xx and dropped connections only', () => {
    for (const e of [
      s3Error('SlowDown', 503),
      s3Error('TooManyRequests', 429),
      s3Error('InternalError', 500),
      s3Error('Unknown', 502),
      netError('ECONNRESET'),
      netError('EPIPE'),
      new Error('socket hang up'),
      Object.assign(new Error('t'), {name: 'TimeoutError'}),
      Object.assign(new Error('wrapped'), {cause: netError('ECONNRESET')}),
    ]) {
      assert.equal(isRetryableS3Error(e), true, e.message);
    }
    for (const e of [
      s3Error('NoSuchKey', 404),
      s3Error('AccessDenied', 403),
      s3Error('PreconditionFailed', 412),
      Object.assign(new Error('x'), {name: 'AbortError'}),
    ]) {
      assert.equal(isRetryableS3Error(e), false, e.message);
    }
  });

  it('maps failures to BackhaulError codes with hints naming the place', () => {
    const ctx = {operation: 'GetObject', key: 'k', endpoint: 'http://rgw:7480', bucket: 'b', location: 's3://b/p'};
    const code = (e: unknown) => toBackhaulError(e, ctx).code;
    assert.equal(code(s3Error('NoSuchKey', 404)), 'not-found');
    assert.equal(code(s3Error('NoSuchBucket', 404)), 'no-repository');
    for (const name of ['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied'])
      assert.equal(code(s3Error(name, 403)), 'denied');
    const storage = toBackhaulError(s3Error('SlowDown', 503), ctx);
    assert.ok(storage instanceof BackhaulError && storage.code === 'storage');
    assert.match(storage.hint, /http:\/\/rgw:7480/);
    assert.match(storage.hint, /"b"/);
    const controller = new AbortController();
    controller.abort();
    assert.equal(toBackhaulError(new Error('aborted'), {...ctx, signal: controller.signal}).code, 'cancelled');
  });

  it('a stall says what stalled, for how long, and how to wait longer', () => {
    const ctx = {
      operation: 'PutObject',
      key: 'data/ab/x',
      endpoint: 'http://rgw:7480',
      bucket: 'b',
      location: 's3://b/p',
      tries: {attempts: 2, elapsedMs: 46_200, stallMs: 20_000, budgetMs: 60_000},
    };
    const timeout = Object.assign(new Error('the request socket timed out after 20000 ms of inactivity'), {
      name: 'TimeoutError',
    });
    assert.equal(isStall(timeout), true);
    assert.equal(isStall(s3Error('SlowDown', 503)), false);
    const e = toBackhaulError(timeout, ctx);
    assert.equal(e.code, 'storage');
    assert.equal(e.exitCode, 18);
    assert.equal(
      e.message,
      'S3 PutObject of "data/ab/x" in s3://b/p stalled: http://rgw:7480 sent nothing for 20 s (2 tries in 46.2 s); gave up within the 60 s limit.',
    );
    assert.match(e.hint, /BACKHAUL_S3_TIMEOUT=SECONDS/);
    assert.match(e.hint, /--timeout SECONDS/);
  });
});
