/**
 * Loading the packages Ink depends on exactly as Ink's own files resolve them
 * (Ink nests its own string-width), for tests that compare the bundle's
 * replacements with the originals.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const inkBuild = join(root, 'node_modules/ink/build');

async function importPackage(base: string) {
  const {exports, main} = JSON.parse(readFileSync(join(base, 'package.json'), 'utf8'));
  const dot = exports?.['.'] ?? exports;
  const entry = typeof dot === 'string' ? dot : (dot?.import ?? dot?.default ?? main ?? 'index.js');
  return import(pathToFileURL(join(base, entry)).href);
}

/** Imports package `id` as a file in node_modules/ink/build would. */
export async function loadAsInkDoes(id: string) {
  let dir = inkBuild;
  while (!existsSync(join(dir, 'node_modules', id, 'package.json'))) {
    if (dir === dirname(dir)) throw new Error(`${id} is not installed`);
    dir = dirname(dir);
  }
  return importPackage(join(dir, 'node_modules', id));
}

/** Every installed copy of package `id` (top level and nested), by path. */
export async function everyCopyOf(id: string): Promise<Map<string, any>> {
  const found = new Map<string, any>();
  const visit = async (modules: string) => {
    if (!existsSync(modules)) return;
    for (const name of readdirSync(modules)) {
      if (name.startsWith('.')) continue;
      if (name.startsWith('@')) {
        for (const sub of readdirSync(join(modules, name))) await visit(join(modules, name, sub, 'node_modules'));
        continue;
      }
      const dir = join(modules, name);
      if (name === id && existsSync(join(dir, 'package.json'))) found.set(dir, await importPackage(dir));
      await visit(join(dir, 'node_modules'));
    }
  };
  await visit(join(root, 'node_modules'));
  return found;
}
