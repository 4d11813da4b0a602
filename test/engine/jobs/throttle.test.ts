/** A job's bandwidth limit as typed (CLI and TUI job form alike). */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {throttleOf} from '../../../source/engine/jobs/throttle.js';

test('a number of MB/s above 0, or nothing; anything else is one sentence', () => {
  assert.equal(throttleOf('50'), 50);
  assert.equal(throttleOf(' 0.5 '), 0.5);
  for (const clear of ['', '  ', 'none', 'off']) assert.equal(throttleOf(clear), undefined, JSON.stringify(clear));
  for (const bad of ['0', '-3', '5MB', '1e3', 'fast'])
    assert.throws(() => throttleOf(bad), {code: 'usage', message: /--throttle must be a number of MB\/s above 0/}, bad);
});
