/**
 * `backhaul forget` and `backhaul prune` on the CLI: --keep-last below 3
 * refused with one sentence and exit 2, changing nothing; no policy at all
 * refused; --json gives kept (with keptFor) and removed, and prune's
 * figures; --dry-run changes nothing; the text output; --help of both; a
 * version 1 repository refused with exit 2.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {Repository} from '../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../source/engine/storage/filesystem.js';
import {ROOT, runCli} from '../helpers/cli.js';
import {changingBackups} from '../helpers/retention.js';

let work: string;
let home: string;
let repoDir: string;

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-retention-cli-'));
  home = join(work, 'home');
  repoDir = join(work, 'repo');
  const repo = await Repository.create(new FilesystemStorage(repoDir));
  await changingBackups(repo, join(work, 'src'), {runs: 8, start: '2026-01-01T00:00:00Z', hours: 30, size: 50_000});
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

/** Every file under `dir` with its bytes' SHA-256. */
async function snapshotOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await files(dir)) {
    const st = await fs.stat(join(dir, name));
    if (st.isFile())
      out.push(
        `${name} ${createHash('sha256')
          .update(await fs.readFile(join(dir, name)))
          .digest('hex')}`,
      );
  }
  return out;
}

async function files(dir: string): Promise<string[]> {
  return (await fs.readdir(dir, {recursive: true})).sort();
}

test('forget --keep-last 2 is refused with one sentence and exit 2; nothing changed; no policy at all is refused too', async () => {
  const before = await files(repoDir);
  for (const n of ['2', '0']) {
    const r = await runCli(home, ['forget', '--repo', repoDir, '--keep-last', n]);
    assert.equal(r.code, 2, r.stderr);
    const first = r.stderr.split('\n')[0]!;
    assert.match(first, new RegExp(`--keep-last must be at least 3, not ${n}: [^.]*\\.$`));
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  // Checked before the repository is opened: no repository there changes nothing of that.
  const early = await runCli(home, ['forget', '--repo', join(work, 'no-such-repo'), '--keep-last', '2']);
  assert.equal(early.code, 2, early.stderr);
  assert.match(early.stderr, /--keep-last must be at least 3/);
  const none = await runCli(home, ['forget', '--repo', repoDir]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /forget needs a policy/);
  assert.deepEqual(await files(repoDir), before);
});

test('forget --dry-run --json lists kept with keptFor and removed, changing nothing; forget then prune --json do it', async () => {
  const before = await files(repoDir);
  const dry = await runCli(home, [
    'forget',
    '--repo',
    repoDir,
    '--keep-last',
    '3',
    '--keep-weekly',
    '2',
    '--dry-run',
    '--json',
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  const plan = JSON.parse(dry.stdout) as {
    dryRun: boolean;
    backups: {kept: {id: string; keptFor: string[]}[]; removed: {id: string}[]}[];
  };
  assert.equal(plan.dryRun, true);
  assert.equal(plan.backups.length, 1);
  const [b] = plan.backups;
  assert.equal(b!.kept.length + b!.removed.length, 8);
  assert.ok(b!.kept.filter(k => k.keptFor.includes('short-term')).length === 3);
  assert.ok(b!.kept.every(k => k.keptFor.every(w => ['short-term', 'weekly', 'monthly', 'yearly'].includes(w))));
  assert.ok(b!.kept.some(k => k.keptFor.includes('weekly')));
  assert.deepEqual(await files(repoDir), before);

  const text = await runCli(home, ['forget', '--repo', repoDir, '--keep-last', '3', '--keep-weekly', '2']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, new RegExp(`kept ${b!.kept.length}, removed ${b!.removed.length}`));
  assert.match(text.stdout, /keep {3}\S+ {2}\S+ {2}short-term/);
  assert.match(text.stdout, /Run `backhaul prune`/);

  const dryPrune = await runCli(home, ['prune', '--repo', repoDir, '--dry-run', '--json']);
  assert.equal(dryPrune.code, 0, dryPrune.stderr);
  const would = JSON.parse(dryPrune.stdout) as {bytesFreed: number; dryRun: boolean};
  assert.ok(would.dryRun && would.bytesFreed > 0, dryPrune.stdout);
  const pruned = await runCli(home, ['prune', '--repo', repoDir, '--json']);
  assert.equal(pruned.code, 0, pruned.stderr);
  const done = JSON.parse(pruned.stdout) as Record<string, number>;
  for (const field of ['packsDeleted', 'packsRepacked', 'bytesBefore', 'bytesAfter', 'bytesFreed'])
    assert.equal(typeof done[field], 'number', field);
  assert.equal(done.bytesFreed, done.bytesBefore! - done.bytesAfter!);
  assert.ok(done.bytesFreed! > 0);
  const again = await runCli(home, ['prune', '--repo', repoDir]);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /^Deleted 0 pack\(s\), repack 0 \(0 new\);.* 0 B freed\.\n$/);
  const v = await runCli(home, ['verify', '--repo', repoDir]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
});

test('retention on a copy target never touches the source: forget and prune the target, the source is byte for byte the same', async () => {
  const source = join(work, 'copy-source');
  const target = join(work, 'copy-target');
  const repo = await Repository.create(new FilesystemStorage(source));
  await changingBackups(repo, join(work, 'src-copy'), {
    runs: 6,
    start: '2026-04-01T00:00:00Z',
    hours: 24,
    size: 40_000,
    seed: 5,
  });
  await Repository.create(new FilesystemStorage(target));
  const copied = await runCli(home, ['copy', '--from', source, '--to', target, '--points', 'all']);
  assert.equal(copied.code, 0, copied.stdout + copied.stderr);
  const before = await snapshotOf(source);
  const f = await runCli(home, ['forget', '--repo', target, '--keep-last', '3', '--json']);
  assert.equal(f.code, 0, f.stderr);
  assert.equal((JSON.parse(f.stdout) as {backups: {removed: unknown[]}[]}).backups[0]!.removed.length, 3);
  const p = await runCli(home, ['prune', '--repo', target, '--json']);
  assert.equal(p.code, 0, p.stderr);
  assert.ok((JSON.parse(p.stdout) as {bytesFreed: number}).bytesFreed > 0);
  assert.deepEqual(await snapshotOf(source), before);
  const points = await runCli(home, ['points', (await repo.listBackups())[0]!.id, '--repo', source, '--json']);
  assert.equal((JSON.parse(points.stdout) as unknown[]).length, 6, 'the source keeps all its points');
});

test('forget and prune --help document the policy, the period days and the threshold', async () => {
  const f = await runCli(home, ['forget', '--help']);
  assert.equal(f.code, 0, f.stderr);
  for (const word of [
    '--keep-last',
    '--keep-weekly',
    '--keep-monthly',
    '--keep-yearly',
    '--weekly-day',
    '--monthly-day',
    '--yearly-month',
    '--dry-run',
    '--json',
    'at least 3',
  ])
    assert.ok(f.stdout.includes(word), `forget --help names ${word}`);
  const p = await runCli(home, ['prune', '--help']);
  assert.equal(p.code, 0, p.stderr);
  for (const word of ['--repack-threshold', '--dry-run', '--json'])
    assert.ok(p.stdout.includes(word), `prune --help names ${word}`);
});

test('a version 1 repository: forget and prune refused with exit 2, saying to run `backhaul repo upgrade` first', async () => {
  const dir = join(work, 'v1');
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v1'), dir, {recursive: true});
  for (const args of [
    ['forget', '--repo', dir, '--keep-last', '3'],
    ['prune', '--repo', dir],
  ]) {
    const r = await runCli(home, args);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /run `backhaul repo upgrade` first/);
  }
});
