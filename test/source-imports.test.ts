/**
 * The dependency direction of the architecture (README, "Design principles"), checked on every import in source/.
 *
 * The faces: ui → engine and commands → engine; the engine imports neither
 * face, the TUI imports no command, and only the TUI's own command
 * (commands/tui.ts) opens the TUI.
 *
 * Inside the engine, layers, top first (a file may import its own layer or
 * any layer below it, never one above, and its folders form no circle):
 *
 *   operations  one entry per operation both faces call (plan, copy, restore, verify)
 *   domains     copy, restore, agent, access, jobs, retention, demo, images, explore, and catalog.ts: what
 *               Backhaul does; a domain may use another (restore uses access)
 *               but never in a circle
 *   workers     worker threads and their hosts, bundled as their own entries
 *   workspace   this host's Backhaul: directories, configuration, registered
 *               names, and turning a name into an opened repository
 *   format      repository/: the on-disk format, the only place that knows bytes
 *   storage     one contract, filesystem and object-storage backends
 *   util        helpers that know no domain, errors.ts and ids.ts
 *
 * A unit is a folder under engine/ (engine/copy) or a file directly in it
 * (engine/errors.ts); a unit no layer names fails the test, so a new folder is
 * placed on purpose. ALLOWANCES lists the imports still pointing up (left out
 * of the circle check too), each with the work that removes it; an allowance
 * no import needs any more fails the test, so the list only shrinks.
 */
import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {test} from 'node:test';
import {ROOT} from './helpers/cli.js';

const SOURCE = join(ROOT, 'source');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Every relative module a file imports (static, dynamic, re-exports, `import type`), as paths under source/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.[^'"]+)['"]/g)].map(m => m[1]!);
  return found.map(spec => relative(SOURCE, resolve(dirname(file), spec)));
}

const area = (path: string) => path.split('/')[0]!;

/** What each top-level area of source/ may import, besides itself. */
const ALLOWED: Record<string, ReadonlySet<string>> = {
  engine: new Set([]),
  ui: new Set(['engine']),
  commands: new Set(['engine']),
  boot: new Set(['commands', 'engine']),
};

test('source/ keeps its dependency direction', () => {
  const wrong: string[] = [];
  for (const file of files(SOURCE)) {
    const from = relative(SOURCE, file);
    for (const target of importsOf(file)) {
      const a = area(from);
      const b = area(target);
      if (a === b || !(a in ALLOWED) || ALLOWED[a]!.has(b)) continue;
      if (from === 'commands/tui.ts' && b === 'ui') continue; // the TUI's command opens it
      wrong.push(`${from} imports ${target}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('the import scanner sees the kinds of import the sources use', () => {
  const cli = importsOf(join(SOURCE, 'cli.tsx'));
  assert.ok(cli.includes('boot/load-tui.js'), 'a dynamic import');
  assert.ok(importsOf(join(SOURCE, 'commands', 'tui.ts')).includes('ui/start.js'), 'a static import');
  assert.ok(
    files(SOURCE).some(f => importsOf(f).some(t => area(t) === 'engine')),
    'imports of the engine',
  );
});

// ---- The engine's own layers ----

/** Top first; see the header. */
export const ENGINE_LAYERS: ReadonlyArray<{readonly name: string; readonly units: readonly string[]}> = [
  {name: 'operations', units: ['engine/operations']},
  {
    name: 'domains',
    units: [
      'engine/copy',
      'engine/restore',
      'engine/agent',
      'engine/access',
      'engine/jobs',
      'engine/retention',
      'engine/demo',
      'engine/catalog',
      'engine/images',
      'engine/explore',
    ],
  },
  {name: 'workers', units: ['engine/workers']},
  {name: 'workspace', units: ['engine/workspace']},
  {name: 'format', units: ['engine/repository']},
  {name: 'storage', units: ['engine/storage']},
  {name: 'util', units: ['engine/util', 'engine/errors', 'engine/ids']},
];

/** Imports that still point up, as `from => to` (files without extension), each with what removes it. */
const ALLOWANCES: ReadonlyMap<string, string> = new Map<string, string>([]);

export type Edge = readonly [from: string, to: string];

const withoutExtension = (path: string) => path.replace(/\.(tsx?|js)$/, '');

/** The engine unit a file belongs to: its folder under engine/, or itself when directly in engine/. */
export function unitOf(path: string): string {
  const parts = withoutExtension(path).split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : parts.join('/');
}

/** Every import between two files of the engine, as file paths without extension. */
function engineEdges(): Edge[] {
  return files(join(SOURCE, 'engine')).flatMap(file => {
    const from = withoutExtension(relative(SOURCE, file));
    return importsOf(file)
      .filter(to => area(to) === 'engine')
      .map((to): Edge => [from, withoutExtension(to)]);
  });
}

/**
 * What breaks the layering in `edges` (file → file): an import of a higher
 * layer (unless allowed), a unit no layer names, and an allowance no import
 * needs any more.
 */
export function layerProblems(
  edges: readonly Edge[],
  layers: typeof ENGINE_LAYERS,
  allowances: ReadonlyMap<string, string> = new Map(),
): string[] {
  const rank = new Map(layers.flatMap((layer, i) => layer.units.map(u => [u, i] as const)));
  const nameOf = (i: number) => layers[i]!.name;
  const problems = new Set<string>();
  const used = new Set<string>();
  for (const [from, to] of edges) {
    const [a, b] = [rank.get(unitOf(from)), rank.get(unitOf(to))];
    for (const [unit, r] of [
      [unitOf(from), a],
      [unitOf(to), b],
    ] as const)
      if (r === undefined) problems.add(`${unit} is in no layer`);
    if (a === undefined || b === undefined || b >= a) continue;
    const key = `${from} => ${to}`;
    if (allowances.has(key)) used.add(key);
    else problems.add(`${from} (${nameOf(a)}) imports ${to} (${nameOf(b)}, a layer above)`);
  }
  for (const key of allowances.keys())
    if (!used.has(key)) problems.add(`allowance "${key}" is no longer needed: remove it`);
  return [...problems].sort();
}

/** The circles among units (strongly connected components of more than one unit, or a unit importing itself is not one). */
export function unitCircles(edges: readonly Edge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const [from, to] of edges) {
    const [a, b] = [unitOf(from), unitOf(to)];
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    if (!next.has(b)) next.set(b, new Set());
    next.get(a)!.add(b);
  }
  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const circles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1) circles.push(component.sort());
  };
  for (const v of [...next.keys()].sort()) if (!index.has(v)) visit(v);
  return circles;
}

test('engine layers: no import points up, every engine folder has its layer', () => {
  assert.deepEqual(layerProblems(engineEdges(), ENGINE_LAYERS, ALLOWANCES), []);
});

test('engine folders import one another in no circle', () => {
  // An allowed upward import closes a circle by definition (the lower unit is imported by the higher): it is counted once, above.
  assert.deepEqual(unitCircles(engineEdges().filter(([from, to]) => !ALLOWANCES.has(`${from} => ${to}`))), []);
});

test('the layer checker fails on an upward import, an unplaced folder and a stale allowance', () => {
  const layers = [
    {name: 'top', units: ['engine/a']},
    {name: 'bottom', units: ['engine/b', 'engine/errors']},
  ];
  assert.deepEqual(
    layerProblems(
      [
        ['engine/a/x', 'engine/b/y'],
        ['engine/b/y', 'engine/errors'],
      ],
      layers,
    ),
    [],
    'down and sideways are fine',
  );
  assert.deepEqual(layerProblems([['engine/b/y', 'engine/a/x']], layers), [
    'engine/b/y (bottom) imports engine/a/x (top, a layer above)',
  ]);
  assert.deepEqual(
    layerProblems([['engine/errors', 'engine/a/x']], layers),
    ['engine/errors (bottom) imports engine/a/x (top, a layer above)'],
    'a file directly in engine/ is its own unit',
  );
  assert.deepEqual(layerProblems([['engine/c/z', 'engine/b/y']], layers), ['engine/c is in no layer']);
  const allowed = new Map([['engine/b/y => engine/a/x', 'why']]);
  assert.deepEqual(layerProblems([['engine/b/y', 'engine/a/x']], layers, allowed), [], 'an allowed upward import');
  assert.deepEqual(
    layerProblems([['engine/b/w', 'engine/a/x']], layers, allowed),
    [
      'allowance "engine/b/y => engine/a/x" is no longer needed: remove it',
      'engine/b/w (bottom) imports engine/a/x (top, a layer above)',
    ],
    'only that file',
  );
});

test('the circle checker finds circles between folders, however long, and only those', () => {
  assert.deepEqual(
    unitCircles([
      ['engine/a/x', 'engine/b/y'],
      ['engine/b/y', 'engine/c/z'],
    ]),
    [],
    'a chain',
  );
  assert.deepEqual(
    unitCircles([
      ['engine/a/x', 'engine/a/y'],
      ['engine/a/y', 'engine/a/x'],
    ]),
    [],
    'within one folder',
  );
  assert.deepEqual(
    unitCircles([
      ['engine/util/p', 'engine/repository/t'],
      ['engine/repository/t', 'engine/util/q'],
    ]),
    [['engine/repository', 'engine/util']],
  );
  assert.deepEqual(
    unitCircles([
      ['engine/jobs/h', 'engine/copy/e'],
      ['engine/copy/r', 'engine/repository/o'],
      ['engine/repository/o', 'engine/jobs/s'],
      ['engine/x/a', 'engine/jobs/h'],
    ]),
    [['engine/copy', 'engine/jobs', 'engine/repository']],
    'jobs → copy → repository → jobs, as before issue 18',
  );
});

test('the layer table names every engine folder and file, each once', () => {
  const units = ENGINE_LAYERS.flatMap(l => l.units);
  assert.equal(new Set(units).size, units.length);
  const present = new Set(files(join(SOURCE, 'engine')).map(f => unitOf(relative(SOURCE, f))));
  assert.deepEqual(
    [...present].filter(u => !units.includes(u)),
    [],
  );
});
