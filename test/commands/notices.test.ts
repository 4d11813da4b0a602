// Storage notices on stderr: every stall, retries at most one line per 5 s with a count of the
// ones not shown, control characters in a key shown visibly.
import {it} from 'node:test';
import assert from 'node:assert/strict';
import {noticePrinter} from '../../source/commands/render/notices.js';
import type {StorageNotice} from '../../source/engine/storage/storage.js';

it('prints each stall, and retries at most one line per 5 s with a count of the others', () => {
  const lines: string[] = [];
  let now = 0;
  const print = noticePrinter(
    l => lines.push(l),
    () => now,
  );
  const retry = (attempt: number): StorageNotice => ({
    kind: 'retry',
    operation: 'PutObject',
    attempt,
    message: `retry ${attempt}`,
  });
  print(retry(1));
  now += 1000;
  print(retry(2));
  print(retry(3));
  print({kind: 'stall', operation: 'GetObject', key: 'k\u001b[2J', attempt: 1, message: 'silent \u001b[2J'});
  now += 5000;
  print(retry(4));
  print(retry(5));
  assert.deepEqual(lines, [
    'backhaul: retry 1',
    'backhaul: silent \\u001b[2J (2 more retries since the last one shown)',
    'backhaul: retry 4',
  ]);
});
