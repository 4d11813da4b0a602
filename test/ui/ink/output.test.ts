/**
 * The bundle swaps Ink's Output for source/ui/ink/output.ts (row caching).
 * Whatever Ink is given, the frame must be the same string: random frames —
 * styled text, wide characters, overlapping writes, nested clips,
 * transformers, writes off the grid — go through both, repeatedly, so rows
 * served from the cache are checked as well as freshly composed ones.
 */
import {strict as assert} from 'node:assert';
import {join} from 'node:path';
import {test} from 'node:test';
import {pathToFileURL} from 'node:url';
import {createOutputClass, type TextHelpers} from '../../../source/ui/ink/output.js';
import {seeded} from '../../helpers/cli.js';
import {inkBuild, loadAsInkDoes as load} from './ink-modules.js';

interface InkOutput {
  write(x: number, y: number, text: string, options: {transformers: Array<(l: string, i: number) => string>}): void;
  clip(c: object): void;
  unclip(): void;
  get(): {output: string; height: number};
}
type OutputClass = new (o: {width: number; height: number}) => InkOutput;

async function classes(): Promise<{ink: OutputClass; ours: OutputClass}> {
  const tokenizer = await load('@alcalzone/ansi-tokenize');
  const helpers: TextHelpers = {
    sliceAnsi: (await load('slice-ansi')).default,
    stringWidth: (await load('string-width')).default,
    tokenize: tokenizer.tokenize,
    styledCharsFromTokens: tokenizer.styledCharsFromTokens,
    styledCharsToString: tokenizer.styledCharsToString,
  };
  const ink = (await import(pathToFileURL(join(inkBuild, 'output.js')).href)).default as OutputClass;
  return {ink, ours: createOutputClass(helpers) as unknown as OutputClass};
}

const WORDS = ['sql-cluster', 'db01', '789 MiB', '✓', '●', '›', '日本語', 'é', '👍', '  ', 'x', '–'];
const STYLES = [
  ['\u001B[1m', '\u001B[22m'],
  ['\u001B[36m', '\u001B[39m'],
  ['\u001B[46m\u001B[30m', '\u001B[39m\u001B[49m'],
  ['\u001B[90m', '\u001B[39m'],
  ['', ''],
];

function randomText(rnd: () => number): string {
  const lines = 1 + Math.floor(rnd() * 3);
  const out: string[] = [];
  for (let l = 0; l < lines; l++) {
    let line = '';
    const n = Math.floor(rnd() * 6);
    for (let i = 0; i < n; i++) {
      const [open, close] = STYLES[Math.floor(rnd() * STYLES.length)]!;
      line += `${open}${WORDS[Math.floor(rnd() * WORDS.length)]}${close}`;
    }
    out.push(line);
  }
  return out.join('\n');
}

type Op = (o: InkOutput) => void;
function randomFrame(rnd: () => number, width: number, height: number): Op[] {
  const ops: Op[] = [];
  let depth = 0;
  const upper = (s: string) => s.toUpperCase();
  for (let i = 0; i < 25; i++) {
    const r = rnd();
    if (r < 0.1) {
      const x1 = Math.floor(rnd() * width);
      const y1 = Math.floor(rnd() * height);
      const clip =
        rnd() < 0.7
          ? {x1, x2: x1 + Math.floor(rnd() * width), y1, y2: y1 + Math.floor(rnd() * height)}
          : {x1: undefined, x2: undefined, y1, y2: y1 + 3};
      ops.push(o => o.clip(clip));
      depth++;
    } else if (r < 0.15 && depth > 0) {
      ops.push(o => o.unclip());
      depth--;
    } else {
      const x = Math.floor(rnd() * (width + 4)) - 2;
      const y = Math.floor(rnd() * (height + 2)) - 1;
      const text = randomText(rnd);
      const transformers = rnd() < 0.1 ? [upper] : [];
      ops.push(o => o.write(x, y, text, {transformers}));
    }
  }
  return ops;
}

test('the row-caching Output renders every frame exactly as Ink does', async () => {
  const {ink, ours} = await classes();
  const rnd = seeded(7);
  const frames = Array.from({length: 150}, () => {
    const width = 5 + Math.floor(rnd() * 40);
    const height = 1 + Math.floor(rnd() * 8);
    return {width, height, ops: randomFrame(rnd, width, height)};
  });
  // Twice: the second pass is served from the row cache.
  for (let pass = 0; pass < 2; pass++) {
    for (const [i, f] of frames.entries()) {
      const a = new ink({width: f.width, height: f.height});
      const b = new ours({width: f.width, height: f.height});
      for (const op of f.ops) {
        op(a);
        op(b);
      }
      assert.deepEqual(b.get(), a.get(), `frame ${i}, pass ${pass + 1}`);
    }
  }
});

test('a list frame where only the cursor moved reuses every other row', async () => {
  const {ink, ours} = await classes();
  const rows = Array.from({length: 30}, (_, i) => `\u001B[90m   host-${i}\u001B[39m  ${i * 3} MiB`);
  const draw = (O: OutputClass, cursor: number) => {
    const o = new O({width: 60, height: 32});
    o.write(0, 0, '\u001B[1mMachines\u001B[22m', {transformers: []});
    rows.forEach((r, i) =>
      o.write(0, i + 1, i === cursor ? `\u001B[46m›${r.slice(1)}\u001B[49m` : r, {transformers: []}),
    );
    return o.get().output;
  };
  for (let cursor = 0; cursor < 30; cursor++) assert.equal(draw(ours, cursor), draw(ink, cursor));
});

test('the same row in frames of different widths is not confused (Ink drops cells past the width)', async () => {
  const {ink, ours} = await classes();
  for (const width of [5, 20, 5]) {
    const draw = (O: OutputClass) => {
      const o = new O({width, height: 1});
      o.write(8, 0, 'ab', {transformers: []});
      return o.get().output;
    };
    assert.equal(draw(ours), draw(ink), `width ${width}`);
  }
});
