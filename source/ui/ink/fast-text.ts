/**
 * Fast paths for the text measuring Ink does, swapped in by the bundle
 * (scripts/ink-patches.mjs). Ink's helpers build an `Intl.Segmenter` when they load
 * (ICU loading its break rules) and test every non-ASCII character against
 * a `\p{RGI_Emoji}` pattern (compiled on first use): together a large share
 * of the TUI's start-up (`bench/tui.ts` measures it), spent on the `›`, `·`
 * and `▼` of the first frame.
 *
 * The characters the screens draw are simple: each code point is its own
 * grapheme and one column wide. For strings made only of those (plus SGR
 * colour codes) the answer is computed here; anything else — emoji, CJK,
 * combining marks, other escapes — goes to the real implementation, loaded
 * on first need. test/ui/ink/fast-text.test.ts checks both answers agree for
 * every character the fast path accepts, against every string-width copy
 * installed.
 */

/** Punctuation, arrows, maths, control pictures, box drawing, shapes, dingbats, braille: the screens' glyphs. */
const SYMBOLS: ReadonlyArray<readonly [number, number]> = [
  [0x2010, 0x2027],
  [0x2030, 0x205e],
  [0x2190, 0x22ff],
  [0x2400, 0x2426],
  [0x2500, 0x27bf],
  [0x2800, 0x28ff],
];
const isSymbol = (c: number) => SYMBOLS.some(([from, to]) => c >= from && c <= to);

/** Each code point here is a grapheme cluster of its own, whatever follows (no Extend, ZWJ, CR, Hangul or emoji modifiers). */
export function isSimpleGrapheme(c: number): boolean {
  if (c < 0x300) return c !== 0x0d; // CR joins a following LF
  return isSymbol(c);
}

/**
 * Characters that can be shown as emoji: string-width 7 (wrap-ansi's copy)
 * counts them as two columns, string-width 8 (Ink's) as one.
 */
const EMOJI_CAPABLE = new Set([
  0xa9, 0xae, 0x203c, 0x2049, 0x2194, 0x2195, 0x2196, 0x2197, 0x2198, 0x2199, 0x21a9, 0x21aa, 0x25aa, 0x25ab, 0x25b6,
  0x25c0, 0x25fb, 0x25fc,
]);

/** Code points one column wide for every string-width version (no emoji, no East Asian wide). */
export function isNarrow(c: number): boolean {
  if (c >= 0x20 && c <= 0x7e) return true;
  if (EMOJI_CAPABLE.has(c)) return false;
  if (c >= 0xa0 && c <= 0xff) return c !== 0xad; // soft hyphen is invisible
  // Past the geometric shapes, most dingbats have emoji presentation (wide): only ✓ and ✗ are kept.
  if (c >= 0x25fd && c <= 0x27bf) return c === 0x2713 || c === 0x2717;
  return isSymbol(c);
}

/** Length of the SGR sequence (ESC [ digits/; m) at `i`, or 0 when it is anything else. */
function sgrLength(text: string, i: number): number {
  if (text.charCodeAt(i + 1) !== 0x5b) return 0;
  for (let j = i + 2; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x6d) return j - i + 1;
    if (!((c >= 0x30 && c <= 0x39) || c === 0x3b)) return 0;
  }
  return 0;
}

/** Columns `text` takes, or -1 when the fast path cannot tell. */
export function simpleWidth(text: string): number {
  if (typeof text !== 'string') return -1;
  let width = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x1b) {
      const n = sgrLength(text, i);
      if (n === 0) return -1;
      i += n - 1;
    } else if (isNarrow(c)) width++;
    else return -1;
  }
  return width;
}

interface SegmentData {
  segment: string;
  index: number;
  input: string;
}

/** What `Intl.Segmenter#segment` returns, for a string of simple graphemes: one segment per code unit. */
class SimpleSegments implements Iterable<SegmentData> {
  constructor(private readonly input: string) {}

  containing(index?: number): SegmentData | undefined {
    const i = Math.trunc(Number(index ?? 0)) || 0;
    if (i < 0 || i >= this.input.length) return undefined;
    return {segment: this.input[i]!, index: i, input: this.input};
  }

  *[Symbol.iterator](): Iterator<SegmentData> {
    for (let i = 0; i < this.input.length; i++) yield {segment: this.input[i]!, index: i, input: this.input};
  }
}

/** An `Intl.Segmenter` stand-in that builds the real one only for text the simple rule cannot split. */
export function lazySegmenter(locales?: string | string[], options?: Intl.SegmenterOptions) {
  let real: Intl.Segmenter | undefined;
  const segmenter = () => (real ??= new Intl.Segmenter(locales, options));
  const graphemes = (options?.granularity ?? 'grapheme') === 'grapheme';
  return {
    segment(input: string) {
      const text = String(input);
      if (graphemes) {
        let simple = true;
        for (let i = 0; i < text.length && simple; i++) simple = isSimpleGrapheme(text.charCodeAt(i));
        if (simple) return new SimpleSegments(text);
      }
      return segmenter().segment(text);
    },
    resolvedOptions: () => segmenter().resolvedOptions(),
  };
}
