/**
 * Renders a terminal capture (`tmux capture-pane -e -p`: text with SGR
 * escapes) to a standalone SVG: monospace cells on a dark window, the 16
 * ANSI colours, the 256-colour cube and greys, 24-bit colours, bold, dim,
 * italic, underline and reverse. Every run of same-styled cells is placed at
 * its column and stretched to exactly its cell count (`textLength`), so
 * columns line up whatever monospace font the viewer has. Pure: a string in,
 * a string out.
 */

export interface SvgOptions {
  readonly columns: number;
  readonly rows: number;
  /** Shown in the window's title bar. */
  readonly title?: string;
  readonly fontSize?: number;
}

interface Style {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  reverse?: boolean;
}
interface Cell {
  ch: string;
  style: Style;
}

// A dark palette in the spirit of common terminal themes.
const PALETTE16 = [
  '#1e1e1e',
  '#f14c4c',
  '#23d18b',
  '#e5e510',
  '#3b8eea',
  '#d670d6',
  '#29b8db',
  '#cccccc',
  '#808080',
  '#ff6b6b',
  '#5af78e',
  '#f4f99d',
  '#6cb6ff',
  '#ff92d0',
  '#6ae4f5',
  '#ffffff',
];
const FOREGROUND = '#d4d4d4';
const BACKGROUND = '#1e1e1e';

export function color256(n: number): string {
  if (n < 16) return PALETTE16[n]!;
  if (n >= 232) {
    const v = 8 + (n - 232) * 10;
    return rgb(v, v, v);
  }
  const i = n - 16;
  const level = (x: number) => (x === 0 ? 0 : 55 + x * 40);
  return rgb(level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6));
}
const rgb = (r: number, g: number, b: number) => `#${[r, g, b].map(v => v.toString(16).padStart(2, '0')).join('')}`;

/** Applies one SGR parameter list to a style. */
export function applySgr(style: Style, params: number[]): Style {
  const s: Style = {...style};
  if (params.length === 0) params = [0];
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    if (p === 0) for (const k of Object.keys(s)) delete s[k as keyof Style];
    else if (p === 1) s.bold = true;
    else if (p === 2) s.dim = true;
    else if (p === 3) s.italic = true;
    else if (p === 4) s.underline = true;
    else if (p === 7) s.reverse = true;
    else if (p === 22) s.bold = s.dim = false;
    else if (p === 23) s.italic = false;
    else if (p === 24) s.underline = false;
    else if (p === 27) s.reverse = false;
    else if (p >= 30 && p <= 37) s.fg = PALETTE16[p - 30];
    else if (p >= 90 && p <= 97) s.fg = PALETTE16[p - 90 + 8];
    else if (p >= 40 && p <= 47) s.bg = PALETTE16[p - 40];
    else if (p >= 100 && p <= 107) s.bg = PALETTE16[p - 100 + 8];
    else if (p === 39) delete s.fg;
    else if (p === 49) delete s.bg;
    else if (p === 38 || p === 48) {
      const key = p === 38 ? 'fg' : 'bg';
      if (params[i + 1] === 5) {
        s[key] = color256(params[i + 2] ?? 0);
        i += 2;
      } else if (params[i + 1] === 2) {
        s[key] = rgb(params[i + 2] ?? 0, params[i + 3] ?? 0, params[i + 4] ?? 0);
        i += 4;
      }
    }
  }
  return s;
}

/** The capture as rows of styled cells (one code point per cell). Styles carry across lines, as in tmux's output. */
export function parseCapture(text: string, columns: number, rows: number): Cell[][] {
  const grid: Cell[][] = [];
  let style: Style = {};
  for (const line of text.replace(/\n$/, '').split('\n').slice(0, rows)) {
    const cells: Cell[] = [];
    const re = /\u001B\[([0-9;:]*)m|\u001B\[[0-9;?]*[A-Za-z]|\u001B[()][A-Za-z0-9]|([^\u001B])/gu;
    for (const m of line.matchAll(re)) {
      if (m[1] !== undefined) style = applySgr(style, m[1] === '' ? [] : m[1].split(/[;:]/).map(Number));
      else if (m[2] !== undefined && cells.length < columns) cells.push({ch: m[2], style});
    }
    grid.push(cells);
  }
  while (grid.length < rows) grid.push([]);
  return grid;
}

const escapeXml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const sameStyle = (a: Style, b: Style) =>
  a.fg === b.fg &&
  a.bg === b.bg &&
  !!a.bold === !!b.bold &&
  !!a.dim === !!b.dim &&
  !!a.italic === !!b.italic &&
  !!a.underline === !!b.underline &&
  !!a.reverse === !!b.reverse;

/** The SVG document for a capture. */
export function captureToSvg(capture: string, options: SvgOptions): string {
  const font = options.fontSize ?? 14;
  const cw = font * 0.6;
  const lh = Math.round(font * 1.3);
  const pad = 14;
  const bar = options.title === undefined ? 0 : 28;
  const width = Math.ceil(options.columns * cw + pad * 2);
  const height = Math.ceil(options.rows * lh + pad * 2 + bar);
  const grid = parseCapture(capture, options.columns, options.rows);
  const backgrounds: string[] = [];
  const texts: string[] = [];
  grid.forEach((cells, row) => {
    const y = bar + pad + row * lh;
    let col = 0;
    while (col < cells.length) {
      const start = col;
      const style = cells[col]!.style;
      while (col < cells.length && sameStyle(cells[col]!.style, style)) col++;
      const run = cells
        .slice(start, col)
        .map(c => c.ch)
        .join('');
      const fg = style.reverse ? (style.bg ?? BACKGROUND) : (style.fg ?? FOREGROUND);
      const bg = style.reverse ? (style.fg ?? FOREGROUND) : style.bg;
      const x = pad + start * cw;
      const w = (col - start) * cw;
      if (bg)
        backgrounds.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${lh}" fill="${bg}"/>`);
      const chars = [...run];
      const lead = chars.length - [...run.trimStart()].length;
      const shown = run.trim();
      if (shown === '') continue;
      // Spaces around the text are not drawn: the run starts at its first visible cell.
      const attrs = [
        `x="${(x + lead * cw).toFixed(1)}"`,
        `y="${y + Math.round(lh * 0.78)}"`,
        `fill="${fg}"`,
        `textLength="${([...shown].length * cw).toFixed(1)}"`,
        'lengthAdjust="spacingAndGlyphs"',
      ];
      if (style.bold) attrs.push('font-weight="bold"');
      if (style.dim) attrs.push('fill-opacity="0.6"');
      if (style.italic) attrs.push('font-style="italic"');
      if (style.underline) attrs.push('text-decoration="underline"');
      texts.push(`<text ${attrs.join(' ')}>${escapeXml(shown)}</text>`);
    }
  });
  const title =
    options.title === undefined
      ? ''
      : [
          `<circle cx="${pad + 6}" cy="14" r="6" fill="#ff5f56"/><circle cx="${pad + 26}" cy="14" r="6" fill="#ffbd2e"/><circle cx="${pad + 46}" cy="14" r="6" fill="#27c93f"/>`,
          `<text x="${width / 2}" y="19" fill="#9d9d9d" text-anchor="middle" font-size="${font - 1}">${escapeXml(options.title)}</text>`,
        ].join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="${width}" height="${height}" rx="8" fill="${BACKGROUND}"/>`,
    `<g font-family="ui-monospace, 'DejaVu Sans Mono', 'Cascadia Mono', Menlo, Consolas, monospace" font-size="${font}" xml:space="preserve">`,
    title,
    ...backgrounds,
    ...texts,
    '</g></svg>',
    '',
  ].join('\n');
}
