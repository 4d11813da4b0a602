/**
 * The TUI measures text as Ink does: source/ui/text.ts uses Ink's own
 * string-width (the copy Ink's files resolve), so every code point gets Ink's
 * width, and its shortcut for simple text claims nothing string-width would
 * not say. Fitting and truncating keep grapheme clusters whole and never
 * exceed the width Ink will measure.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {isNarrow, isSimpleGrapheme} from '../../source/ui/ink/fast-text.js';
import {chop, fit, textWidth, truncate, truncateStart, wrapText} from '../../source/ui/text.js';
import {seeded} from '../helpers/cli.js';
import {loadAsInkDoes} from './ink/ink-modules.js';

const inkStringWidth = async () => (await loadAsInkDoes('string-width')).default as (s: string) => number;
const graphemes = (s: string) =>
  [...new Intl.Segmenter(undefined, {granularity: 'grapheme'}).segment(s)].map(g => g.segment);

test('text.ts measures with the very string-width Ink uses', async () => {
  const ink = await inkStringWidth();
  const named = (await import('ink-string-width')).default;
  assert.equal(named, ink, 'tsconfig.json maps ink-string-width to the copy Ink resolves');
});

test('every code point has the width Ink gives it', async () => {
  const ink = await inkStringWidth();
  let differ = 0;
  const examples: string[] = [];
  for (let c = 0; c <= 0x10ffff; c++) {
    const ch = String.fromCodePoint(c);
    if (textWidth(ch) === ink(ch)) continue;
    differ++;
    if (examples.length < 5) examples.push(`U+${c.toString(16)}`);
  }
  assert.equal(differ, 0, `widths differ from Ink's on ${differ} code points, e.g. ${examples.join(', ')}`);
});

test('the shortcut for simple text only takes one-cell characters that never join each other', async () => {
  const ink = await inkStringWidth();
  const simple: string[] = [];
  for (let c = 0; c <= 0x10ffff; c++) if (isNarrow(c) && isSimpleGrapheme(c)) simple.push(String.fromCodePoint(c));
  assert.ok(
    simple.includes('›') && simple.includes('a') && simple.includes('é'),
    "the screens' characters take the shortcut",
  );
  for (const ch of simple) assert.equal(ink(ch), 1, `U+${ch.codePointAt(0)!.toString(16)} is one cell`);
  // Each character on both sides of every other one: every pair of neighbours occurs.
  for (const ch of simple) {
    const s = ch + simple.join(ch) + ch;
    assert.equal(graphemes(s).length, s.length, `U+${ch.codePointAt(0)!.toString(16)} joins no neighbour`);
  }
});

const PIECES = [
  'a',
  'Z',
  '-',
  ' ',
  'é',
  '›',
  '…',
  '日',
  '本',
  '한',
  '\u1100\u1161',
  'e\u0301',
  '👍',
  '👍🏽',
  '🇫🇷',
  '👩‍💻',
  '1\uFE0F\u20E3',
  '\u200B',
  'ｱ',
  'ﾞ',
];

test('truncate, truncateStart and fit keep clusters whole and stay within the width Ink measures', async () => {
  const ink = await inkStringWidth();
  const rnd = seeded(18);
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let n = Math.floor(rnd() * 12); n > 0; n--) s += PIECES[Math.floor(rnd() * PIECES.length)];
    const width = Math.floor(rnd() * 10);
    for (const [name, cut] of [
      ['truncate', truncate(s, width)],
      ['truncateStart', truncateStart(s, width)],
    ] as const) {
      assert.ok(ink(cut) <= width, `${name}(${JSON.stringify(s)}, ${width}) = ${JSON.stringify(cut)} is wider`);
      const kept = cut === s ? s : name === 'truncate' ? cut.slice(0, -1) : cut.slice(1);
      const clusters = graphemes(s);
      const whole =
        name === 'truncate'
          ? clusters.slice(0, graphemes(kept).length)
          : clusters.slice(clusters.length - graphemes(kept).length);
      assert.equal(kept, whole.join(''), `${name} kept whole clusters of ${JSON.stringify(s)}`);
      if (width > 0 && ink(s) <= width) assert.equal(cut, s, 'what fits is left alone');
    }
    assert.equal(ink(fit(s, width)), width, `fit(${JSON.stringify(s)}, ${width}) is exactly ${width} cells`);
    assert.equal(ink(fit(s, width, 'right')), width);
  }
});

test('chop cuts between clusters, keeps everything and fills each piece as far as Ink measures', async () => {
  const ink = await inkStringWidth();
  const rnd = seeded(19);
  for (let i = 0; i < 3000; i++) {
    let s = '';
    for (let n = Math.floor(rnd() * 16); n > 0; n--) s += PIECES[Math.floor(rnd() * PIECES.length)];
    const width = 1 + Math.floor(rnd() * 8);
    const pieces = chop(s, width);
    assert.equal(pieces.join(''), s, `chop(${JSON.stringify(s)}, ${width}) keeps everything`);
    assert.deepEqual(pieces.flatMap(graphemes), graphemes(s), 'cuts fall between clusters');
    pieces.forEach((piece, k) => {
      const single = graphemes(piece).length === 1;
      assert.ok(
        ink(piece) <= width || single,
        `${JSON.stringify(piece)} fits ${width} cells unless it is one wide cluster`,
      );
      const next = pieces[k + 1];
      if (next) assert.ok(ink(piece + graphemes(next)[0]) > width, `${JSON.stringify(piece)} took as much as fits`);
    });
  }
  assert.deepEqual(chop('/srv/日本語/e\u0301e\u0301', 4), ['/srv', '/日', '本語', '/e\u0301e\u0301']);
});

test('widths and cuts of a few known strings', () => {
  assert.equal(textWidth('👩‍💻'), 2, 'a ZWJ sequence is one emoji');
  assert.equal(textWidth('🇫🇷'), 2);
  assert.equal(truncate('👍🏽👍🏽👍🏽', 4), '👍🏽…', 'a skin tone stays with its emoji');
  assert.equal(truncate('e\u0301e\u0301e\u0301', 2), 'e\u0301…', 'a combining mark stays with its letter');
  assert.equal(truncateStart('日本語のパス', 5), '…パス');
  assert.deepEqual(wrapText('日本語 の テキスト', 6), ['日本語', 'の', 'テキ…']);
});
