// The time limit of a request to object storage: BACKHAUL_S3_TIMEOUT wins over the repository's own
// (`repo add --timeout`), which wins over 60 s; nonsense is a usage error naming where it came from;
// the silence after which a try is abandoned follows from it.
import {describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {BackhaulError} from '../../../source/engine/errors.js';
import {stallFor} from '../../../source/engine/storage/s3.js';
import {parseTimeout, timeoutMsFor} from '../../../source/engine/storage/timeout.js';

describe('the S3 time limit', () => {
  it('comes from the environment, else the repository, else 60 s', () => {
    const entry = {location: 's3://b/p', timeout: 300};
    assert.equal(timeoutMsFor({location: 's3://b/p'}, {}), 60_000);
    assert.equal(timeoutMsFor(entry, {}), 300_000);
    assert.equal(timeoutMsFor(entry, {BACKHAUL_S3_TIMEOUT: '4.5'}), 4_500);
    assert.equal(timeoutMsFor(entry, {BACKHAUL_S3_TIMEOUT: ''}), 300_000);
  });

  it('refuses what is not a number of seconds, naming where it came from', () => {
    for (const bad of ['soon', '-1', '0', '1e3', '100000', '']) {
      assert.throws(
        () => parseTimeout(bad, '--timeout'),
        e => e instanceof BackhaulError && e.code === 'usage' && e.message.startsWith('--timeout must be'),
        bad,
      );
    }
    assert.throws(() => timeoutMsFor({location: 's3://b'}, {BACKHAUL_S3_TIMEOUT: 'x'}), /BACKHAUL_S3_TIMEOUT must be/);
    assert.equal(parseTimeout('90', '--timeout'), 90);
  });

  it('abandons a try after a third of the limit without a byte, at most 20 s', () => {
    assert.equal(stallFor(60_000), 20_000);
    assert.equal(stallFor(600_000), 20_000);
    assert.equal(stallFor(3_000), 1_000);
    assert.equal(stallFor(600), 500);
  });
});
