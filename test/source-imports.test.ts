/**
 * The dependency direction of DESIGN.md, checked on every import in source/:
 * ui → engine → storage and commands → engine; the engine imports neither
 * face, the TUI imports no command, and only the TUI's own command
 * (commands/tui.ts) opens the TUI.
 */
import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {dirname, join, relative, resolve} from 'node:path';
import {test} from 'node:test';
import {ROOT} from './helpers/cli.js';

const SOURCE = join(ROOT, 'source');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** Every relative module a file imports (static, dynamic, re-exports, `import type`), as paths under source/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found = [...text.matchAll(/(?:from\s+|import\s*\(\s*|import\s+)['"](\.[^'"]+)['"]/g)].map((m) => m[1]!);
  return found.map((spec) => relative(SOURCE, resolve(dirname(file), spec)));
}

const area = (path: string) => path.split('/')[0]!;

/** What each top-level area of source/ may import, besides itself. */
const ALLOWED: Record<string, ReadonlySet<string>> = {
  engine: new Set([]),
  ui: new Set(['engine']),
  commands: new Set(['engine']),
  boot: new Set(['commands', 'engine']),
};

test('source/ keeps its dependency direction (DESIGN.md)', () => {
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
  assert.ok(files(SOURCE).some((f) => importsOf(f).some((t) => area(t) === 'engine')), 'imports of the engine');
});
