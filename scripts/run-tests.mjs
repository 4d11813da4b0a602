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
// Files that take a minute or more start first, so that the run does not end
// with one of them alone on a core while the other has nothing left to do.
// (Measured on a 2-core machine; a file missing here only runs in its turn.)
const SLOW_FIRST = [
  'test/engine/restore/fuzz.test.ts',
  'test/engine/copy/kill-resume.test.ts',
  'test/ui/screens/footer-hints.test.tsx',
  'test/engine/storage/s3-copy.test.ts',
  'test/e2e/job-runs.test.ts',
  'test/engine/operations/job-retention.test.ts',
  'test/engine/retention/prune-s3.test.ts',
  'test/e2e/job-service.test.ts',
  'test/engine/storage/s3-bounds.test.ts',
  'test/engine/retention/prune.test.ts',
  'test/engine/copy/s3-faults.test.ts',
];
const only = process.argv.slice(2);
const rank = file => {
  const i = SLOW_FIRST.indexOf(file.split(/[\\/]/).join('/'));
  return i === -1 ? SLOW_FIRST.length : i;
};
const files = (only.length > 0 ? only : walk('test')).sort().sort((a, b) => rank(a) - rank(b));
const state = mkdtempSync(join(tmpdir(), 'backhaul-test-state-'));
const env = {...process.env, BACKHAUL_STATE_DIR: join(state, 'root'), XDG_STATE_HOME: join(state, 'xdg')};
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx/esm', '--test', '--test-force-exit', '--test-timeout=900000', '--test-concurrency=2', ...files],
  {stdio: 'inherit', env},
);
rmSync(state, {recursive: true, force: true});
process.exit(result.status ?? 1);
