/**
 * The one text sanitiser (util/safe-text.ts), in both spellings: nothing that
 * could drive a terminal or reorder what it shows gets through — C0, DEL, C1,
 * line and paragraph separators, bidirectional overrides, isolates and marks,
 * lone surrogates, the BOM — and printable text passes unchanged.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {isUnsafeCodePoint, safeText} from '../../../source/engine/util/safe-text.js';

const UNSAFE_SAMPLES = [
  '\u0000',
  '\u0007',
  '\n',
  '\t',
  '\r',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u009b',
  '\u2028',
  '\u2029',
  '\u202a',
  '\u202b',
  '\u202c',
  '\u202d',
  '\u202e',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200e',
  '\u200f',
  '\u061c',
  '\ud800',
  '\udfff',
  '\ufeff',
];

test('the CLI spelling: \\n, \\t, else \\uXXXX, plain ASCII', () => {
  assert.equal(safeText('a\nb\tc\u0007\u202ed\u2028'), 'a\\nb\\tc\\u0007\\u202ed\\u2028');
  assert.equal(safeText('why\u001b[2J\rnot'), 'why\\u001b[2J\\u000dnot');
  assert.equal(
    safeText('evil\u202Etxt.exe'),
    'evil\\u202etxt.exe',
    'the bidi override the old CLI printer let through',
  );
  assert.equal(safeText('x\u009B31m'), 'x\\u009b31m', 'C1 CSI');
  assert.equal(safeText('lone \ud800 half'), 'lone \\ud800 half');
});

test('the TUI spelling: control pictures for C0, one cell each; \\u{…} for the rest', () => {
  assert.equal(safeText('a\nb\u001b[2J\u007f', 'picture'), 'a␊b␛[2J␡');
  assert.equal(safeText('evil\u202Etxt\u2029', 'picture'), 'evil\\u{202e}txt\\u{2029}');
});

test('every unsafe character is escaped in both spellings; printable text is untouched', () => {
  for (const ch of UNSAFE_SAMPLES) {
    for (const style of ['escape', 'picture'] as const) {
      const out = safeText(`a${ch}b`, style);
      assert.ok(!out.includes(ch), `U+${ch.charCodeAt(0).toString(16)} (${style})`);
      assert.equal(out[0], 'a');
    }
  }
  for (const text of ['SQL-01 日本 ünïcode', 'e\u0301', '😀 emoji', 'عربي', 'שלום', 'tab-free path/with spaces']) {
    assert.equal(safeText(text), text);
    assert.equal(safeText(text, 'picture'), text);
  }
});

test('the fast path and the rule agree on every code point', () => {
  for (let code = 0; code <= 0x10ffff; code++) {
    if (code === 0x3000) code = 0xd7ff; // nothing unsafe between these: keep the loop short
    if (code === 0xe000) code = 0xfefe;
    if (code === 0xff00) code = 0x10ffff;
    const ch = String.fromCodePoint(code);
    assert.equal(safeText(ch) !== ch, isUnsafeCodePoint(code), `U+${code.toString(16)}`);
  }
});
