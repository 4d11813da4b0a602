/**
 * The bundle answers string widths and grapheme splits for simple text
 * itself (source/ui/ink/fast-text.ts) and leaves the rest to string-width and
 * Intl.Segmenter. Its answers must be theirs: every character the fast path
 * accepts is checked against every installed string-width copy, and random
 * strings — simple, styled, and mixed with emoji, CJK and combining marks —
 * are split both ways.
 */
import {strict as assert} from 'node:assert';
import {test} from 'node:test';
import {isNarrow, isSimpleGrapheme, lazySegmenter, simpleWidth} from '../../../source/ui/ink/fast-text.js';
import {seeded} from '../../helpers/cli.js';
import {everyCopyOf} from './ink-modules.js';

/** Every code point `accept` takes, from all of Unicode. */
const codePoints = (accept: (c: number) => boolean) => Array.from({length: 0x110000}, (_, c) => c).filter(accept);

test('every character the fast path measures has the width every string-width copy gives it', async () => {
  const copies = await everyCopyOf('string-width');
  assert.ok(copies.size >= 2, 'Ink and its dependencies bring several string-width copies');
  const narrow = codePoints(c => simpleWidth(String.fromCodePoint(c)) !== -1);
  assert.deepEqual(narrow, codePoints(isNarrow), 'the fast path answers for exactly the narrow characters');
  assert.ok(
    narrow.includes(0x203a) && narrow.includes(0x2026) && narrow.includes(0x25bc),
    'the glyphs the screens draw are covered',
  );
  for (const [where, mod] of copies) {
    for (const c of narrow)
      assert.equal(
        simpleWidth(String.fromCodePoint(c)),
        mod.default(String.fromCodePoint(c)),
        `U+${c.toString(16)} in ${where}`,
      );
  }
});

test('styled strings measure the same; anything unusual is left to string-width', async () => {
  const copies = await everyCopyOf('string-width');
  const rnd = seeded(11);
  const narrow = codePoints(isNarrow);
  const sgr = [
    '\u001B[1m',
    '\u001B[22m',
    '\u001B[38;5;208m',
    '\u001B[39m',
    '\u001B[46m\u001B[30m',
    '\u001B[0m',
    '\u001B[m',
  ];
  for (let i = 0; i < 2000; i++) {
    let s = '';
    for (let j = Math.floor(rnd() * 30); j > 0; j--)
      s +=
        rnd() < 0.2
          ? sgr[Math.floor(rnd() * sgr.length)]
          : String.fromCodePoint(narrow[Math.floor(rnd() * narrow.length)]!);
    for (const [where, mod] of copies) assert.equal(simpleWidth(s), mod.default(s), `${JSON.stringify(s)} in ${where}`);
  }
  for (const odd of [
    '👍',
    '日本',
    'e\u0301',
    '\u001B]8;;http://x\u0007link\u001B]8;;\u0007',
    '\u009B31m',
    '\u00AD',
    'a\u200Db',
    '\t',
  ]) {
    assert.equal(simpleWidth(odd), -1, JSON.stringify(odd));
  }
});

test('the lazy segmenter splits text exactly as Intl.Segmenter does', () => {
  const real = new Intl.Segmenter(undefined, {granularity: 'grapheme'});
  const lazy = lazySegmenter(undefined, {granularity: 'grapheme'});
  const simple = codePoints(isSimpleGrapheme);
  const others = ['\r', '\n', '\r\n', 'e\u0301', '👍🏽', '🇫🇷', '한', '\u1100\u1161', '\u200D', '\uFE0F', '日'];
  const rnd = seeded(5);
  const same = (s: string) => {
    const want = [...real.segment(s)].map(({segment, index}) => [segment, index]);
    const got = [...lazy.segment(s)].map(({segment, index}) => [segment, index]);
    assert.deepEqual(got, want, JSON.stringify(s));
    for (let i = -1; i <= s.length; i++) {
      const a = real.segment(s).containing(i);
      const b = lazy.segment(s).containing(i);
      assert.deepEqual(
        b && [b.segment, b.index, b.input],
        a && [a.segment, a.index, a.input],
        `${JSON.stringify(s)} containing(${i})`,
      );
    }
  };
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let j = Math.floor(rnd() * 12); j > 0; j--) {
      s +=
        rnd() < 0.1
          ? others[Math.floor(rnd() * others.length)]
          : String.fromCodePoint(simple[Math.floor(rnd() * simple.length)]!);
    }
    same(s);
  }
  // Every simple character next to every character class that could join it.
  for (const c of simple) for (const o of ['\u0301', '\u200D', '\uFE0F', '\n', 'a']) same(String.fromCodePoint(c) + o);
});
