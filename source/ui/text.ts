/**
 * Terminal cell widths and fitting text into cells, measured exactly as Ink
 * measures what it draws: with Ink's own string-width (the copy Ink resolves;
 * tsconfig.json maps `ink-string-width` to it). So a padded column is as wide
 * on screen as it was meant to be, wide (CJK, emoji) characters take two
 * cells and combining marks none. Truncation works on grapheme clusters:
 * it ends with '…' and never splits a cluster or a wide character.
 *
 * Text made only of one-cell characters that never join their neighbours
 * (ASCII, Latin-1, the screens' symbols: fast-text.ts's rule, checked against
 * string-width for every code point by test/ui/text.test.ts) is cut without
 * splitting it into clusters first.
 */
import stringWidth from 'ink-string-width';
import {isNarrow, isSimpleGrapheme} from './ink/fast-text.js';

let segmenter: Intl.Segmenter | undefined;

/** True when every UTF-16 unit of `s` is a one-cell grapheme cluster of its own. */
function isSimple(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isNarrow(c) || !isSimpleGrapheme(c)) return false;
  }
  return true;
}

/** The grapheme clusters of `s`, each with the cells it takes. */
function clusters(s: string): Array<[string, number]> {
  if (isSimple(s)) return Array.from(s, ch => [ch, 1]);
  segmenter ??= new Intl.Segmenter(undefined, {granularity: 'grapheme'});
  return Array.from(segmenter.segment(s), ({segment}) => [segment, stringWidth(segment)]);
}

/** Cells a string takes (no escape sequences expected: pass names through safeText first). */
export function textWidth(s: string): number {
  return stringWidth(s);
}

/** Cut to at most `width` cells, ending with '…' when something was cut. */
export function truncate(s: string, width: number): string {
  if (width <= 0) return '';
  if (textWidth(s) <= width) return s;
  let out = '';
  let w = 0;
  for (const [cluster, cw] of clusters(s)) {
    if (w + cw > width - 1) break;
    out += cluster;
    w += cw;
  }
  return `${out}…`;
}

/** Cut the start instead (keeps the end of a path or a breadcrumb trail). */
export function truncateStart(s: string, width: number): string {
  if (width <= 0) return '';
  if (textWidth(s) <= width) return s;
  const all = clusters(s);
  let out = '';
  let w = 0;
  for (let i = all.length - 1; i >= 0; i--) {
    const [cluster, cw] = all[i]!;
    if (w + cw > width - 1) break;
    out = cluster + out;
    w += cw;
  }
  return `…${out}`;
}

/**
 * Cut into pieces of at most `width` cells, in order, nothing dropped (a long
 * path shown whole across lines). Cuts fall between grapheme clusters; a
 * cluster wider than `width` gets a piece of its own.
 */
export function chop(s: string, width: number): string[] {
  const pieces: string[] = [];
  let piece = '';
  let w = 0;
  for (const [cluster, cw] of clusters(s)) {
    if (piece && w + cw > width) {
      pieces.push(piece);
      piece = '';
      w = 0;
    }
    piece += cluster;
    w += cw;
  }
  if (piece) pieces.push(piece);
  return pieces;
}

/** Exactly `width` cells: truncated, then padded on the right (or left for `align: 'right'`). */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  const t = truncate(s, width);
  const pad = ' '.repeat(Math.max(0, width - textWidth(t)));
  return align === 'right' ? pad + t : t + pad;
}

/** Word-wraps `s` into lines of at most `width` cells (a word longer than a line is cut with '…'). */
export function wrapText(s: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (textWidth(next) <= width) line = next;
    else {
      if (line) lines.push(line);
      line = truncate(word, width);
    }
  }
  if (line) lines.push(line);
  return lines;
}
