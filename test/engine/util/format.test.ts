/** The engine's one duration spelling, shared by both faces and the session history. */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {formatBytes, formatDuration} from '../../../source/engine/util/format.js';

test('durations: tenths below 10 s, then s, m s, h m, d h', () => {
  assert.equal(formatDuration(0), '0.0s');
  assert.equal(formatDuration(0.42), '0.4s');
  assert.equal(formatDuration(9.99), '9.9s', 'rounded down, never up to the next unit');
  assert.equal(formatDuration(42.9), '42s');
  assert.equal(formatDuration(59.99), '59s');
  assert.equal(formatDuration(185), '3m 05s');
  assert.equal(formatDuration(3_720), '1h 02m');
  assert.equal(formatDuration(2 * 86_400 + 4 * 3_600), '2d 04h');
  for (const none of [-1, Number.NaN, Number.POSITIVE_INFINITY]) assert.equal(formatDuration(none), '–');
});

test('bytes: binary units, three significant digits', () => {
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(300 * 1024 ** 3), '300 GiB');
});
