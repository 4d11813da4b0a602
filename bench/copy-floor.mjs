/**
 * The least any durable copy written in Node can do, as a reference for the
 * incremental copy (bench/copy-incremental.ts): start Node, walk the source
 * directory, and copy each file the target lacks (read whole, write, fsync,
 * in parallel; then fsync every directory that gained a file). It checks
 * nothing, knows nothing of chunks or restore points, and copies whole new
 * files only, as rsync does; unlike rsync it makes what it wrote durable, as
 * a backup copy must. Plain JavaScript (no tsx, no bundle) so that it pays
 * Node's own start-up and nothing more.
 *
 * Usage: node bench/copy-floor.mjs SOURCE_DIR TARGET_DIR
 */
import {existsSync, mkdirSync, readdirSync} from 'node:fs';
import {open, readFile} from 'node:fs/promises';
import {join} from 'node:path';

const [source, target] = process.argv.slice(2);
if (!source || !target) throw new Error('usage: node bench/copy-floor.mjs SOURCE_DIR TARGET_DIR');
const files = [];
const dirs = new Set();
(function walk(rel) {
  for (const entry of readdirSync(join(source, rel), {withFileTypes: true})) {
    const path = join(rel, entry.name);
    if (entry.isDirectory()) {
      mkdirSync(join(target, path), {recursive: true});
      walk(path);
    } else if (!existsSync(join(target, path))) {
      files.push(path);
      dirs.add(rel);
    }
  }
})('.');
let bytes = 0;
const sync = async (path, flags, data) => {
  const handle = await open(path, flags);
  try {
    if (data) await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
};
await Promise.all(
  files.map(async path => {
    const data = await readFile(join(source, path));
    bytes += data.length;
    await sync(join(target, path), 'w', data);
  }),
);
await Promise.all([...dirs].map(dir => sync(join(target, dir), 'r')));
console.log(JSON.stringify({files: files.length, bytes}));
