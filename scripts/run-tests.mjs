// Runs every test file under test/ with Node's own runner. Node 20 does not
// expand globs or find .tsx files by itself, so the list is made here.
import {readdirSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {spawnSync} from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : walk(path);
    return /\.test\.tsx?$/.test(name) ? [path] : [];
  });
}
const only = process.argv.slice(2);
const files = (only.length > 0 ? only : walk('test')).sort();
const result = spawnSync(process.execPath, [
  '--import', 'tsx', '--test', '--test-force-exit',
  '--test-timeout=900000', '--test-concurrency=2', ...files,
], {stdio: 'inherit'});
process.exit(result.status ?? 1);
