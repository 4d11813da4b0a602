/**
 * The streaming directory walk (its own thread): every entry with its
 * metadata as lstat sees it, symlinks recorded and not followed, special
 * files skipped and named, many entries arriving in several batches while
 * the walk goes on, and clear errors for a missing or unreadable root.
 */
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import {Walk, walkTree} from '../../../source/engine/agent/walk.js';

let work: string;
let root: string;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-walk-'));
  root = join(work, 'data');
  await fs.mkdir(join(root, 'a', 'b'), {recursive: true});
  await fs.mkdir(join(root, 'empty'));
  await fs.writeFile(join(root, 'a', 'b', 'deep.txt'), 'deep');
  await fs.writeFile(join(root, 'top.bin'), Buffer.alloc(5000, 7));
  await fs.chmod(join(root, 'top.bin'), 0o640);
  await fs.symlink('../outside/not-followed', join(root, 'a', 'link'));
  execFileSync('mkfifo', [join(root, 'a', 'pipe')]);
  await fs.mkdir(join(root, 'many'));
  await Promise.all(Array.from({length: 2500}, (_, i) => fs.writeFile(join(root, 'many', `f${i}`), String(i))));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test('entries carry what lstat says; symlinks are recorded, special files skipped', async () => {
  const {entries, skipped} = await walkTree(root, 'data');
  const byPath = new Map(entries.map(e => [e.path, e]));
  assert.equal(byPath.get('data')?.type, 'dir');
  const top = byPath.get('data/top.bin')!;
  const st = await fs.lstat(join(root, 'top.bin'));
  assert.deepEqual(top, {
    path: 'data/top.bin',
    mode: 0o640,
    uid: st.uid,
    gid: st.gid,
    mtimeMs: Math.floor(st.mtimeMs),
    size: 5000,
    type: 'file',
    ino: st.ino,
    ctimeMs: Math.floor(st.ctimeMs),
  });
  assert.deepEqual(
    Object.keys(top),
    ['path', 'mode', 'uid', 'gid', 'mtimeMs', 'size', 'type', 'ino', 'ctimeMs'],
    'key order of earlier points',
  );
  assert.equal(byPath.get('data/a/link')?.type, 'symlink');
  assert.equal(byPath.get('data/a/link')?.target, '../outside/not-followed');
  assert.equal(byPath.get('data/empty')?.type, 'dir');
  assert.equal(byPath.get('data/a/b/deep.txt')?.size, 4);
  assert.equal(byPath.has('data/a/pipe'), false);
  assert.deepEqual(skipped, ['data/a/pipe']);
  assert.equal(entries.length, 1 + 7 + 2500, 'data; a, a/b, deep.txt, link, top.bin, empty, many; the files in many');
  const paths = entries.map(e => e.path);
  assert.deepEqual(paths, [...paths].sort(), 'walkTree sorts by path');
});

test('a large directory arrives in several batches, each naming its root', async () => {
  const walk = new Walk([
    {root: join(root, 'many'), prefix: 'm'},
    {root: join(root, 'a'), prefix: 'x'},
  ]);
  const sizes: number[] = [];
  const roots = new Set<number>();
  for await (const batch of walk.batches()) {
    sizes.push(batch.entries.length);
    roots.add(batch.root);
    for (const e of batch.entries) assert.ok(e.path.startsWith(batch.root === 0 ? 'm' : 'x'));
  }
  await walk.close();
  assert.ok(sizes.length >= 3, `expected several batches, got ${sizes.join(', ')}`);
  assert.equal(
    sizes.reduce((a, b) => a + b, 0),
    2501 + 4,
    'm and its files; x, b, deep.txt, link',
  );
  assert.deepEqual([...roots], [0, 1]);
});

test('a missing root is a clear not-found error', async () => {
  await assert.rejects(walkTree(join(work, 'nope'), 'nope'), (e: unknown) => {
    assert.ok(e instanceof BackhaulError);
    assert.equal(e.code, 'not-found');
    assert.match(e.message, /nope/);
    return true;
  });
});

test('a root that is a file is refused as not a directory', async () => {
  await assert.rejects(walkTree(join(root, 'top.bin'), 'f'), /Not a directory/);
});

test(
  'an unreadable directory below the root stops the walk naming it',
  {skip: process.getuid?.() === 0 ? false : 'needs root to run the walk as another user (sudo -u nobody)'},
  async () => {
    const locked = join(work, 'locked');
    await fs.mkdir(join(locked, 'secret'), {recursive: true});
    await fs.chmod(work, 0o755);
    await fs.chmod(locked, 0o755);
    await fs.chmod(join(locked, 'secret'), 0o700);
    const script = `import('${new URL('../../../source/engine/agent/walk.ts', import.meta.url).href}').then(({walkTree}) => walkTree(${JSON.stringify(locked)}, 'l')).then(() => console.log('ok'), (e) => console.log(e.code, e.message))`;
    const out = execFileSync('sudo', ['-u', 'nobody', process.execPath, '--import', 'tsx', '-e', script], {
      encoding: 'utf8',
      cwd: process.cwd(),
    });
    assert.match(out, /denied Permission denied: .*secret/);
  },
);
