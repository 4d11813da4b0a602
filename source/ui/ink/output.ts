/**
 * A drop-in replacement for Ink 6's internal `build/output.js`, swapped in by
 * the TUI bundle (scripts/ink-patches.mjs). Ink composes every frame from
 * scratch: a width × height grid of per-character objects, every line of
 * every Text tokenized for ANSI codes, every row turned back into a string —
 * most of a frame's time and garbage at 120×40, more than a held key's frame
 * budget (`bench/tui.ts` measures key-to-frame with and without this file).
 *
 * This version produces the same string (test/ui/ink/output.test.ts compares
 * it with Ink's on random frames) but works row by row: the writes that land
 * on a row, after clipping and transformers, form a key; a row whose key was
 * seen before reuses its string. Moving the cursor in a list re-composes two
 * rows instead of forty. Tokenizing, widths and clipping are cached across
 * frames too (Ink's own caches live for one frame). Every cache is bounded.
 *
 * The text helpers come in as arguments so that the bundle hands over the
 * very copies Ink itself resolves (Ink pins string-width 8 in its own
 * node_modules; the top level has another major version).
 */
import type {StyledChar, Token} from '@alcalzone/ansi-tokenize';
import {BoundedCache} from './bounded-cache.js';

export interface TextHelpers {
  readonly sliceAnsi: (text: string, from: number, to?: number) => string;
  readonly stringWidth: (text: string) => number;
  readonly tokenize: (text: string) => Token[];
  readonly styledCharsFromTokens: (tokens: Token[]) => StyledChar[];
  readonly styledCharsToString: (chars: StyledChar[]) => string;
}

type Transformer = (line: string, index: number) => string;
interface Clip {
  readonly x1?: number;
  readonly x2?: number;
  readonly y1?: number;
  readonly y2?: number;
}
type Operation =
  | {
      readonly type: 'write';
      readonly x: number;
      readonly y: number;
      readonly text: string;
      readonly transformers: readonly Transformer[];
    }
  | {readonly type: 'clip'; readonly clip: Clip}
  | {readonly type: 'unclip'};

const SEP = '\u0000';

/** One write's line on one row, as Ink would place it. */
interface Piece {
  readonly x: number;
  readonly line: string;
}

/** Ink's Output class, built on the given helpers; each call has its own caches. */
export function createOutputClass(h: TextHelpers) {
  const styledChars = new BoundedCache<StyledChar[]>(4096);
  const widths = new BoundedCache<number>(16384);
  const blockWidths = new BoundedCache<number>(4096);
  const slices = new BoundedCache<string>(4096);
  const rowStrings = new BoundedCache<string>(4096);
  const widthOf = (text: string) => widths.get(text, h.stringWidth);
  const widestLineOf = (text: string) =>
    blockWidths.get(text, () => {
      let widest = 0;
      for (const line of text.split('\n')) widest = Math.max(widest, widthOf(line));
      return widest;
    });

  return class Output {
    readonly width: number;
    readonly height: number;
    private readonly operations: Operation[] = [];

    constructor(options: {width: number; height: number}) {
      this.width = options.width;
      this.height = options.height;
    }

    write(x: number, y: number, text: string, options: {transformers: Transformer[]}): void {
      if (!text) return;
      this.operations.push({type: 'write', x, y, text, transformers: options.transformers});
    }

    clip(clip: Clip): void {
      this.operations.push({type: 'clip', clip});
    }

    unclip(): void {
      this.operations.push({type: 'unclip'});
    }

    get(): {output: string; height: number} {
      const rows: Piece[][] = Array.from({length: this.height}, () => []);
      const clips: Clip[] = [];
      for (const operation of this.operations) {
        if (operation.type === 'clip') clips.push(operation.clip);
        else if (operation.type === 'unclip') clips.pop();
        else this.place(operation, clips.at(-1), rows);
      }
      const lines: string[] = [];
      for (const pieces of rows) {
        if (pieces.length === 0) {
          lines.push('');
          continue;
        }
        let key = String(this.width);
        for (const p of pieces) key += SEP + p.x + SEP + p.line;
        lines.push(rowStrings.get(key, () => this.compose(pieces)));
      }
      return {output: lines.join('\n'), height: rows.length};
    }

    /** Ink's clipping of one write, then its lines handed to the rows they land on. */
    private place(op: Extract<Operation, {type: 'write'}>, clip: Clip | undefined, rows: Piece[][]): void {
      let {x, y} = op;
      let lines = op.text.split('\n');
      if (clip) {
        const clipHorizontally = typeof clip.x1 === 'number' && typeof clip.x2 === 'number';
        const clipVertically = typeof clip.y1 === 'number' && typeof clip.y2 === 'number';
        if (clipHorizontally) {
          const width = widestLineOf(op.text);
          if (x + width < clip.x1! || x > clip.x2!) return;
        }
        if (clipVertically) {
          if (y + lines.length < clip.y1! || y > clip.y2!) return;
        }
        if (clipHorizontally) {
          const from = x < clip.x1! ? clip.x1! - x : 0;
          lines = lines.map(line => {
            const width = widthOf(line);
            const to = x + width > clip.x2! ? clip.x2! - x : width;
            return slices.get(`${from}${SEP}${to}${SEP}${line}`, () => h.sliceAnsi(line, from, to));
          });
          if (x < clip.x1!) x = clip.x1!;
        }
        if (clipVertically) {
          const from = y < clip.y1! ? clip.y1! - y : 0;
          const to = y + lines.length > clip.y2! ? clip.y2! - y : lines.length;
          lines = lines.slice(from, to);
          if (y < clip.y1!) y = clip.y1!;
        }
      }
      let offsetY = 0;
      for (let [index, line] of lines.entries()) {
        const row = rows[y + offsetY];
        // Ink skips lines below the pre-sized grid the same way.
        if (!row) continue;
        for (const transformer of op.transformers) line = transformer(line, index);
        row.push({x, line});
        offsetY++;
      }
    }

    /** One row exactly as Ink builds it: blanks, each piece's characters in order, wide characters padded. */
    private compose(pieces: readonly Piece[]): string {
      const row: Array<StyledChar | undefined> = [];
      for (let x = 0; x < this.width; x++) row.push({type: 'char', value: ' ', fullWidth: false, styles: []});
      for (const {x, line} of pieces) {
        let offsetX = x;
        for (const character of styledChars.get(line, l => h.styledCharsFromTokens(h.tokenize(l)))) {
          row[offsetX] = character;
          const characterWidth = Math.max(1, widthOf(character.value));
          for (let i = 1; i < characterWidth; i++)
            row[offsetX + i] = {type: 'char', value: '', fullWidth: false, styles: character.styles};
          offsetX += characterWidth;
        }
      }
      return h.styledCharsToString(row.filter((c): c is StyledChar => c !== undefined)).trimEnd();
    }
  };
}
