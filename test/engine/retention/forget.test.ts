/**
 * `forget` (retention/forget.ts) on a real directory repository: 12 runs
 * with a simulated clock and a policy of last 3 + weekly 2 + monthly 1,
 * forget after each; exactly the expected points remain, each reads back
 * bit-identical (the full point the kept incrementals came from is gone:
 * every point is self-contained), the catalogue lists only them, verify
 * passes, and prune then shrinks the stored bytes. --dry-run changes
 * nothing; version 1 repositories are refused.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {BackupId} from '../../../source/engine/ids.js';
import {forget} from '../../../source/engine/retention/forget.js';
import {prune} from '../../../source/engine/retention/prune.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {ROOT} from '../../helpers/cli.js';
import {changingBackups, packBytes, pointState} from '../../helpers/retention.js';

let work: string;
before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-forget-'));
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

const POLICY = {keepLast: 3, keepWeekly: 2, keepMonthly: 1};
/** Every file under a directory with its size: what "changes nothing" compares. */
async function tree(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, {recursive: true, withFileTypes: true}))
    if (e.isFile())
      out.push(`${join(e.parentPath, e.name).slice(dir.length)} ${(await fs.stat(join(e.parentPath, e.name))).size}`);
  return out.sort();
}

test('12 runs, forget after each (last 3 + weekly 2 + monthly 1): exactly the expected points; each reads back bit-identical; verify; prune shrinks', async t => {
  const dir = join(work, 'repo');
  const repo = await Repository.create(new FilesystemStorage(dir));
  const removedFull: string[] = [];
  const states = await changingBackups(
    repo,
    join(work, 'src'),
    {runs: 12, start: '2026-01-01T00:00:00Z', hours: 18},
    async () => {
      const r = await forget(repo, POLICY);
      removedFull.push(...r.backups.flatMap(b => b.removed.filter(p => p.type === 'full').map(p => p.id)));
    },
  );
  const [backup] = await repo.listBackups();
  const left = await repo.listPoints(backup!.id);
  assert.deepEqual(
    left.map(p => p.time.slice(0, 13)),
    ['2026-01-04T18', '2026-01-07T18', '2026-01-08T12', '2026-01-09T06'],
  );
  assert.deepEqual(
    (await repo.listPointSummaries(backup!.id)).map(p => p.id),
    left.map(p => p.id),
    'the catalogue lists exactly the points whose manifests remain',
  );
  // The full point every kept incremental descends from was removed.
  assert.equal(removedFull.length, 1);
  assert.ok(left.every(p => p.type === 'incremental'));
  const last = await forget(repo, POLICY, {dryRun: true});
  assert.deepEqual(
    last.backups[0]!.kept.map(k => k.keptFor.join('+')),
    ['weekly', 'short-term', 'short-term', 'short-term+weekly+monthly'],
  );
  for (const p of left) assert.equal(await pointState(repo, backup!.id, p.id), states.get(p.id), p.id);
  assert.ok((await verifyRepository(repo)).ok);

  const before = await packBytes(dir);
  const result = await prune(repo);
  const afterBytes = await packBytes(dir);
  t.diagnostic(`prune: ${before} → ${afterBytes} bytes of packs (${JSON.stringify(result)})`);
  assert.ok(afterBytes < before * 0.75, `${before} → ${afterBytes}`);
  assert.equal(result.bytesBefore, before);
  assert.equal(result.bytesAfter, afterBytes);
  assert.ok(result.packsDeleted + result.packsRepacked > 0);
  const reopened = await Repository.open(new FilesystemStorage(dir));
  assert.ok((await verifyRepository(reopened)).ok);
  for (const p of left) assert.equal(await pointState(reopened, backup!.id, p.id), states.get(p.id), p.id);
  // A second prune finds nothing to do.
  const again = await prune(reopened);
  assert.deepEqual([again.packsDeleted, again.packsRepacked, again.bytesFreed], [0, 0, 0]);
});

test('--dry-run lists what would go and changes nothing; --backup picks one backup; an unknown one is not-found', async () => {
  const dir = join(work, 'dry');
  const repo = await Repository.create(new FilesystemStorage(dir));
  await changingBackups(repo, join(work, 'src-dry'), {runs: 6, start: '2026-05-01T00:00:00Z', hours: 24, seed: 2});
  const before = await tree(dir);
  const [backup] = await repo.listBackups();
  const dry = await forget(repo, {keepLast: 3}, {dryRun: true, backup: backup!.id});
  assert.equal(dry.dryRun, true);
  assert.deepEqual(
    dry.backups.map(b => [b.kept.length, b.removed.length]),
    [[3, 3]],
  );
  assert.deepEqual(await tree(dir), before);
  const pruned = await prune(repo, {dryRun: true});
  assert.equal(pruned.dryRun, true);
  assert.deepEqual(await tree(dir), before);
  await assert.rejects(
    forget(repo, {keepLast: 3}, {backup: 'bnothere0000'}),
    (e: unknown) => e instanceof BackhaulError && e.code === 'not-found',
  );
  const done = await forget(repo, {keepLast: 3}, {backup: backup!.id});
  assert.deepEqual(
    done.backups[0]!.removed.map(p => p.id),
    dry.backups[0]!.removed.map(p => p.id),
  );
  assert.equal((await repo.listPoints(backup!.id as BackupId)).length, 3);
});

test('a version 1 repository is refused: run `backhaul repo upgrade` first (usage, exit 2), nothing changed', async () => {
  const dir = join(work, 'v1');
  await fs.cp(join(ROOT, 'test', 'fixtures', 'repo-v1'), dir, {recursive: true});
  const before = await tree(dir);
  const repo = await Repository.open(new FilesystemStorage(dir));
  for (const run of [() => forget(repo, {keepLast: 3}), () => prune(repo)]) {
    await assert.rejects(
      run(),
      (e: unknown) =>
        e instanceof BackhaulError && e.exitCode === 2 && /run `backhaul repo upgrade` first/.test(e.message),
    );
  }
  assert.deepEqual(await tree(dir), before);
});
