// Runs every test file under test/ with Node's own runner. Node 20 does not
// expand globs or find .tsx files by itself, so the list is made here.
// Every run gets its own state directory (audit anchors, refusals): tests run
// as root, and root's is otherwise the real /var/lib/backhaul.
// tsx's ES module loader only (`tsx/esm`): the sources are ES modules, and
// tsx's CommonJS hooks would compile an ES package that code requires
// (source/engine/util/execa-sync.ts) to CommonJS, which fails; Node requires
// it as it is.
import {mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {spawnSync} from 'node:child_process';

function walk(dir) {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === 'fixtures' ? [] : walk(path);
    return /\.test\.tsx?$/.test(name) ? [path] : [];
  });
}
const only = process.argv.slice(2);
const files = (only.length > 0 ? only : walk('test')).sort();
const state = mkdtempSync(join(tmpdir(), 'backhaul-test-state-'));
const env = {...process.env, BACKHAUL_STATE_DIR: join(state, 'root'), XDG_STATE_HOME: join(state, 'xdg')};
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx/esm', '--test', '--test-force-exit', '--test-timeout=900000', '--test-concurrency=2', ...files],
  {stdio: 'inherit', env},
);
rmSync(state, {recursive: true, force: true});
process.exit(result.status ?? 1);
