import {test} from 'node:test';
import assert from 'node:assert/strict';
import {formatAge, formatBytes, formatDuration, formatPercent, formatRate, safeText} from '../../source/ui/format.js';
import {fit, textWidth, truncate, truncateStart} from '../../source/ui/text.js';

test('bytes, rates, durations, ages, percentages', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(10 * 1024 ** 2 + 1), '10.0 MiB');
  assert.equal(formatBytes(300 * 1024 ** 3), '300 GiB');
  assert.equal(formatBytes(-1), '–');
  assert.equal(formatRate(12.3 * 1024 ** 2), '12.3 MiB/s');
  assert.equal(formatDuration(42.9), '42s', 'seconds, as the engine counts them');
  assert.equal(formatDuration(185), '3m 05s');
  const now = Date.UTC(2025, 0, 10, 12);
  assert.equal(formatAge(now - 30_000, now), 'just now');
  assert.equal(formatAge(now - 3 * 3_600_000 - 5, now), '3h ago');
  assert.equal(formatAge(new Date(now - 2 * 86_400_000), now), '2d ago');
  assert.equal(formatAge(now + 5 * 60_000, now), 'in 5m');
  assert.equal(formatPercent(1, 3), '33%');
  assert.equal(formatPercent(5, 0), '100%');
  assert.equal(formatPercent(7, 5), '100%');
});

test('safeText shows control characters and escape sequences instead of obeying them', () => {
  assert.equal(safeText('a\nb'), 'a␊b');
  assert.equal(safeText('\r\t\u0000\u007F'), '␍␉␀␡');
  assert.equal(safeText('\u001B]0;pwned\u0007'), '␛]0;pwned␇');
  assert.equal(safeText('\u001B[2J'), '␛[2J');
  assert.equal(safeText('x\u009B31m'), 'x\\u{9b}31m', 'C1 CSI');
  assert.equal(safeText('evil\u202Etxt.exe'), 'evil\\u{202e}txt.exe', 'bidi override');
  assert.equal(
    safeText('a\u2028b\u200Fc'),
    'a\\u{2028}b\\u{200f}c',
    "a line separator and a bidi mark (the CLI's rules, now the same)",
  );
  assert.equal(safeText('SQL-01 日本 ünïcode'), 'SQL-01 日本 ünïcode');
  for (let c = 0; c < 0xa0; c++) {
    const out = safeText(String.fromCharCode(c));
    assert.ok(!/[\u0000-\u001F\u007F-\u009F]/.test(out), `code ${c} is shown safely`);
  }
});

test('cell widths and fitting: wide characters count two, cuts end with …', () => {
  assert.equal(textWidth('abc'), 3);
  assert.equal(textWidth('日本'), 4);
  assert.equal(textWidth('e\u0301'), 1);
  assert.equal(truncate('machine-01', 8), 'machine…');
  assert.equal(truncate('日本語', 4), '日…');
  assert.equal(truncate('short', 8), 'short');
  assert.equal(truncateStart('/srv/backups/cluster', 10), '…s/cluster');
  assert.equal(fit('ab', 4), 'ab  ');
  assert.equal(fit('ab', 4, 'right'), '  ab');
  assert.equal(fit('abcdef', 4), 'abc…');
});
