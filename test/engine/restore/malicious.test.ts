/**
 * Malicious input to delegated restore and tar export: crafted manifests
 * (`../`, absolute paths, a symlink leading out followed by a file beneath
 * it), a destination with a planted escaping symlink, and names with
 * newlines and control characters (restored faithfully, shown escaped).
 * Each refusal must leave nothing outside the destination, and nothing at all.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {describeEntry} from '../../../source/commands/audit.js';
import {safeText} from '../../../source/engine/util/safe-text.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {delegatedRestore, type Destination} from '../../../source/engine/restore/delegated.js';
import {asRoot, contextFor, craftedRepo, openTemp, type Spec} from './crafted.js';

const root = process.getuid?.() === 0;
let tmp: {dir: string; cleanup: () => Promise<void>};
let outside: string;
let n = 0;

before(async () => {
  tmp = await openTemp('malicious');
  outside = join(tmp.dir, 'outside');
  await fs.mkdir(outside);
});
after(() => tmp.cleanup());

async function attempt(
  specs: Spec[],
  destination: (dir: string) => Destination,
  prepare?: (dir: string) => Promise<void>,
) {
  const base = join(tmp.dir, `case${++n}`);
  await fs.mkdir(base);
  const {repo, backup} = await craftedRepo(join(base, 'repo'), specs);
  const dest = join(base, 'dest');
  await prepare?.(dest);
  const access = await contextFor(repo, asRoot);
  const run = delegatedRestore(repo, access, {
    backupId: backup.id,
    pointId: 'latest',
    forUser: 'root',
    reason: 'test',
    destination: destination(dest),
  });
  return {run, dest, base};
}

const dir =
  (conflict: 'keep' | 'overwrite' = 'overwrite') =>
  (d: string): Destination => ({kind: 'dir', path: d, conflict});
const tar = (d: string): Destination => ({kind: 'tar', path: `${d}.tar`});

async function assertNothingWritten(dest: string, base: string): Promise<void> {
  assert.deepEqual(await fs.readdir(outside), [], 'something was written outside the destination');
  const tarGone = await fs.lstat(`${dest}.tar`).then(
    () => false,
    () => true,
  );
  assert.ok(tarGone, 'a partial archive was left behind');
  const inDest = await fs.readdir(dest).catch(() => []);
  assert.deepEqual(inDest, [], 'something was written into the destination');
  assert.deepEqual(
    (await fs.readdir(base)).sort(),
    await fs.lstat(dest).then(
      () => ['dest', 'repo'],
      () => ['repo'],
    ),
  );
}

const crafted: Array<[string, Spec[]]> = [
  ['../ in a path', [{path: 'docs'}, {path: 'docs/../../outside/evil', content: 'x'}]],
  ['a leading ..', [{path: '../outside/evil', content: 'x'}]],
  ['an absolute path', [{path: `${'/'}tmp/evil-absolute`, content: 'x'}]],
  ['an empty component', [{path: 'docs//evil', content: 'x'}]],
  [
    'a symlink leading out, then a file beneath it',
    [
      {path: 'link', target: '../../outside'},
      {path: 'link/evil', content: 'x'},
    ],
  ],
  [
    'a symlink, then a directory and a file beneath it',
    [{path: 'a', target: '/'}, {path: 'a/tmp'}, {path: 'a/tmp/evil', content: 'x'}],
  ],
  [
    'one path twice (file, then symlink)',
    [
      {path: 'f', content: 'x'},
      {path: 'f', target: '/etc/passwd'},
    ],
  ],
];

for (const [what, specs] of crafted) {
  for (const [kind, destination] of [
    ['directory', dir()],
    ['tar', tar],
  ] as const) {
    test(`refuses a manifest with ${what} (${kind})`, async () => {
      const {run, dest, base} = await attempt(specs, destination);
      await assert.rejects(run, (e: BackhaulError) => e.code === 'corrupt' && /unsafe path/.test(e.message));
      await assertNothingWritten(dest, base);
    });
  }
}

test('refuses a destination holding a planted symlink that leads out', async () => {
  for (const conflict of ['keep', 'overwrite'] as const) {
    const {run} = await attempt(
      [{path: 'docs'}, {path: 'docs/report.txt', content: 'x'}],
      dir(conflict),
      async dest => {
        await fs.mkdir(dest);
        await fs.symlink(outside, join(dest, 'docs'));
      },
    );
    await assert.rejects(run, (e: BackhaulError) => e.code === 'denied' && /symlink \S*\/dest\/docs\./.test(e.message));
    assert.deepEqual(await fs.readdir(outside), []);
  }
});

test('a planted symlink where a file goes is replaced (overwrite) or kept (keep), never followed', async () => {
  for (const conflict of ['overwrite', 'keep'] as const) {
    const target = join(outside, `victim-${conflict}`);
    const {run, dest} = await attempt([{path: 'report.txt', content: 'restored'}], dir(conflict), async d => {
      await fs.mkdir(d);
      await fs.symlink(target, join(d, 'report.txt'));
    });
    await run;
    await assert.rejects(fs.lstat(target), 'the symlink was followed');
    const names = (await fs.readdir(dest)).sort();
    if (conflict === 'overwrite') {
      assert.equal(await fs.readFile(join(dest, 'report.txt'), 'utf8'), 'restored');
    } else {
      assert.equal(names.length, 2);
      assert.ok((await fs.lstat(join(dest, 'report.txt'))).isSymbolicLink());
    }
  }
  assert.deepEqual(await fs.readdir(outside), []);
});

test('a tar export never writes through a planted symlink at the archive path', async () => {
  const victim = join(outside, 'victim.tar');
  const {run} = await attempt([{path: 'a', content: 'x'}], tar, async d => {
    await fs.symlink(victim, `${d}.tar`);
  });
  await assert.rejects(run, (e: BackhaulError) => e.code === 'exists' || e.code === 'denied');
  await assert.rejects(fs.lstat(victim));
});

const weird = [
  'line\nbreak.txt',
  'esc\u001b[31mred.txt',
  'bell\u0007.txt',
  'tab\there.txt',
  'ünïcødé-文件.txt',
  `${'long-name-'.repeat(20)}.txt`,
];

test(
  'names with newlines, control characters, unicode and long names restore faithfully',
  {skip: !root && 'needs root'},
  async () => {
    const specs: Spec[] = [{path: 'd'}, ...weird.map((name, i) => ({path: `d/${name}`, content: `file ${i}`}))];
    const {run, dest} = await attempt(specs, dir());
    await run;
    for (const [i, name] of weird.entries())
      assert.equal(await fs.readFile(join(dest, 'd', name), 'utf8'), `file ${i}`);
    const t = await attempt(specs, tar);
    await t.run;
    const x = join(t.base, 'x');
    await fs.mkdir(x);
    const r = spawnSync('tar', ['-xf', `${t.dest}.tar`, '-C', x], {encoding: 'utf8'});
    assert.equal(r.status, 0, r.stderr);
    for (const [i, name] of weird.entries()) assert.equal(await fs.readFile(join(x, 'd', name), 'utf8'), `file ${i}`);
  },
);

test('audit output shows control characters escaped, on one line', () => {
  const line = describeEntry({
    seq: 1,
    time: 't',
    prevHash: '',
    hash: '',
    action: 'restore.delegated',
    actor: {user: 'root', uid: 0, viaSudo: false},
    result: 'ok',
    forUser: 'alice',
    paths: ['d/line\nbreak.txt'],
    reason: 'why\u001b[2J\rnot',
    destination: 'dir:/tmp/x\u0007',
  });
  assert.doesNotMatch(line, /[\u0000-\u001f\u007f]/);
  assert.match(line, /line\\nbreak/);
  assert.match(line, /why\\u001b\[2J\\u000dnot/);
  assert.equal(safeText('ok'), 'ok');
});
