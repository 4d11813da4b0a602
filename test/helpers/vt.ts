/**
 * A fake terminal for tests of what the CLI writes to a TTY: a Writable that
 * says it is an N-column TTY and a small screen model of what a real
 * terminal would show — printable characters, CR, LF (written as CR LF, as a
 * tty's output processing does), cursor moves (CSI A B C D G), erases (CSI K,
 * CSI J) and autowrap on/off (CSI ?7h / ?7l: off, characters past the right
 * margin overwrite the last column, as xterm does). Enough for cli-progress
 * and readline; anything else is ignored. Not a test file.
 */
import {Writable} from 'node:stream';

export class FakeTty extends Writable {
  readonly isTTY = true;
  readonly raw: string[] = [];
  private grid: string[][] = [[]];
  private x = 0;
  private y = 0;
  private wrap = true;

  constructor(
    readonly columns: number,
    readonly rows = 24,
  ) {
    super();
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: (error?: Error | null) => void): void {
    const text = chunk.toString();
    this.raw.push(text);
    this.feed(text);
    done();
  }

  /** What the screen shows, line by line, trailing blanks removed. */
  lines(): string[] {
    return this.grid.map(row =>
      Array.from({length: row.length}, (_, i) => row[i] ?? ' ')
        .join('')
        .trimEnd(),
    );
  }

  // Readline and cli-progress ask for these on a TTY.
  getWindowSize(): [number, number] {
    return [this.columns, this.rows];
  }

  private row(y: number): string[] {
    while (this.grid.length <= y) this.grid.push([]);
    return this.grid[y]!;
  }

  private put(ch: string): void {
    if (this.x >= this.columns) {
      if (this.wrap) {
        this.x = 0;
        this.y++;
      } else this.x = this.columns - 1;
    }
    this.row(this.y)[this.x] = ch;
    this.x++;
  }

  private feed(text: string): void {
    const chars = [...text];
    for (let i = 0; i < chars.length; i++) {
      const c = chars[i]!;
      if (c === '\u001B') {
        i = this.escape(chars, i);
        continue;
      }
      if (c === '\r') this.x = 0;
      else if (c === '\n') {
        this.x = 0;
        this.y++;
        this.row(this.y);
      } else if (c >= ' ') this.put(c);
    }
  }

  /** Handles the escape sequence at `i`; returns the index of its last character. */
  private escape(chars: string[], i: number): number {
    const next = chars[i + 1];
    if (next === '7' || next === '8') return i + 1; // save / restore cursor: not needed here
    if (next !== '[') return i;
    let j = i + 2;
    let params = '';
    while (j < chars.length && /[0-9;?]/.test(chars[j]!)) params += chars[j++];
    const final = chars[j];
    const n = Number(params.replace('?', '') || '0');
    const by = Math.max(1, n);
    switch (final) {
      case 'A':
        this.y = Math.max(0, this.y - by);
        break;
      case 'B':
        this.y += by;
        this.row(this.y);
        break;
      case 'C':
        this.x = Math.min(this.columns - 1, this.x + by);
        break;
      case 'D':
        this.x = Math.max(0, this.x - by);
        break;
      case 'G':
        this.x = Math.max(0, Math.min(this.columns - 1, by - 1));
        break;
      case 'K': {
        const row = this.row(this.y);
        if (n === 0) row.length = Math.min(row.length, this.x);
        else if (n === 1) for (let k = 0; k <= this.x && k < row.length; k++) row[k] = ' ';
        else row.length = 0;
        break;
      }
      case 'J':
        if (n === 0) {
          this.row(this.y).length = Math.min(this.row(this.y).length, this.x);
          this.grid.length = this.y + 1;
        }
        break;
      case 'h':
      case 'l':
        if (params === '?7') this.wrap = final === 'h';
        break;
      default:
        break;
    }
    return j;
  }
}
