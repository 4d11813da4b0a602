/**
 * Delegated restore in the engine: privilege, reason, ownership by the
 * recipient (a real OS user: `nobody`), modes and mtimes, Keep/Overwrite,
 * tar export, and the audit entry. Writing files for another user needs
 * root, so those cases are skipped without it (CI runs as root).
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {readAudit} from '../../../source/engine/access/audit.js';
import {refusalsFile} from '../../../source/engine/access/refusals.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {restoredName, restoredStamp} from '../../../source/engine/restore/tree-writer.js';
import {delegatedRestore} from '../../../source/engine/restore/delegated.js';
import {listTree} from '../../../source/engine/restore/tree.js';
import {rootOnlyTempDir} from '../../helpers/root-only.js';
import {asRoot, contextFor, craftedRepo, MTIME, openTemp, plainUser} from './crafted.js';

const root = process.getuid?.() === 0;
const nobody = spawnSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).stdout.trim();
const skip = !root || !nobody ? 'needs root and the user nobody' : false;
let tmp: {dir: string; cleanup: () => Promise<void>};
let fixture: Awaited<ReturnType<typeof craftedRepo>>;

let repoBase: string;

before(async () => {
  tmp = await openTemp('delegated');
  // The plain user acts through sudo, which opens only repositories root alone can change.
  repoBase = await rootOnlyTempDir('delegated');
  fixture = await craftedRepo(join(repoBase, 'repo'), [
    {path: 'docs'},
    {path: 'docs/report.txt', content: 'quarterly numbers\n', mode: 0o640},
    {path: 'docs/empty', content: ''},
    {path: 'docs/deep'},
    {path: 'docs/deep/notes.md', content: 'x'.repeat(10_000), mode: 0o600, mtimeMs: MTIME - 86_400_000},
    {path: 'docs/latest', target: 'report.txt'},
    {path: 'bin'},
    {path: 'bin/tool', content: '#!/bin/sh\necho hi\n', mode: 0o755},
  ]);
});
after(async () => {
  await tmp.cleanup();
  await fs.rm(repoBase, {recursive: true, force: true});
});

const request = (path: string, extra: Record<string, unknown> = {}) => ({
  backupId: fixture.backup.id,
  pointId: 'latest',
  forUser: 'nobody',
  reason: 'ticket 1: lost report',
  destination: {kind: 'dir' as const, path, conflict: 'keep' as const},
  ...extra,
});

test('a plain user may not run a delegated restore; the refusal goes to the refusals log, not the repository, and nothing is written', async () => {
  const access = await contextFor(fixture.repo, plainUser);
  const to = join(tmp.dir, 'refused');
  const before = (await readAudit(fixture.repo.storage)).length;
  await assert.rejects(
    delegatedRestore(fixture.repo, access, request(to)),
    (e: BackhaulError) => e.exitCode === 15 && /restore on another user's behalf/.test(e.message),
  );
  await assert.rejects(fs.lstat(to));
  assert.equal((await readAudit(fixture.repo.storage)).length, before, "nothing added to the repository's audit log");
  const last = JSON.parse((await fs.readFile(refusalsFile(), 'utf8')).trim().split('\n').at(-1)!);
  assert.equal(last.action, 'restore.delegated');
  assert.deepEqual(last.actor, {user: 'nobody', uid: 65534, viaSudo: true});
  assert.deepEqual(last.repository, {id: fixture.repo.id, location: fixture.repo.storage.location});
  assert.equal(last.forUser, 'nobody');
  assert.equal(last.reason, 'ticket 1: lost report');
  assert.match(last.error, /may not restore on another user's behalf/);
});

test('a reason is required', async () => {
  const access = await contextFor(fixture.repo, asRoot);
  await assert.rejects(
    delegatedRestore(fixture.repo, access, request(join(tmp.dir, 'x'), {reason: '  '})),
    /needs a reason/,
  );
});

test('restored files belong to the recipient, with modes, mtimes and bytes kept; audited', {skip}, async () => {
  const access = await contextFor(fixture.repo, asRoot);
  // The recipient writes with their own rights: an admin prepares the place (install -d -o nobody).
  const to = join(tmp.dir, 'for-nobody');
  await fs.mkdir(to);
  await fs.chown(to, Number(nobody), Number(nobody));
  const result = await delegatedRestore(fixture.repo, access, request(to));
  assert.equal(result.files, 4);
  const report = await fs.lstat(join(to, 'docs/report.txt'));
  assert.equal(report.uid, Number(nobody));
  assert.equal(report.mode & 0o7777, 0o640);
  assert.equal(Math.floor(report.mtimeMs), MTIME);
  assert.equal(await fs.readFile(join(to, 'docs/report.txt'), 'utf8'), 'quarterly numbers\n');
  assert.equal((await fs.lstat(join(to, 'docs/deep/notes.md'))).mtimeMs, MTIME - 86_400_000);
  assert.equal(await fs.readlink(join(to, 'docs/latest')), 'report.txt');
  assert.equal((await fs.lstat(join(to, 'docs/latest'))).uid, Number(nobody));
  const dir = await fs.lstat(join(to, 'docs'));
  assert.equal(dir.uid, Number(nobody));
  assert.equal(dir.mode & 0o7777, 0o755);
  assert.equal((await fs.lstat(to)).uid, Number(nobody));
  const entry = result.audit;
  assert.equal(entry.action, 'restore.delegated');
  assert.equal(entry.forUser, 'nobody');
  assert.equal(entry.result, 'ok');
  assert.equal(entry.reason, 'ticket 1: lost report');
  assert.equal(entry.bytes, result.bytes);
  assert.equal(entry.pointId, fixture.point.id);
  assert.ok(entry.startedAt && entry.endedAt && entry.destination?.includes(to));
});

test('Keep writes the restored copy next to the existing file; Overwrite replaces it', {skip}, async () => {
  const access = await contextFor(fixture.repo, asRoot);
  const to = join(tmp.dir, 'conflicts');
  await fs.mkdir(join(to, 'docs'), {recursive: true});
  await fs.writeFile(join(to, 'docs/report.txt'), 'edited by alice\n');
  await fs.chown(to, Number(nobody), Number(nobody));
  await fs.chown(join(to, 'docs'), Number(nobody), Number(nobody));
  const now = new Date('2026-11-25T12:03:01Z');
  const kept = await delegatedRestore(fixture.repo, access, request(to, {paths: ['docs/report.txt']}), {
    now: () => now,
  });
  assert.equal(await fs.readFile(join(to, 'docs/report.txt'), 'utf8'), 'edited by alice\n');
  assert.equal(await fs.readFile(join(to, 'docs/report.RESTORED_20261125_120301.txt'), 'utf8'), 'quarterly numbers\n');
  assert.deepEqual(kept.renamed, [['docs/report.txt', 'docs/report.RESTORED_20261125_120301.txt']]);
  await delegatedRestore(
    fixture.repo,
    access,
    request(to, {paths: ['docs/report.txt'], destination: {kind: 'dir', path: to, conflict: 'overwrite'}}),
  );
  assert.equal(await fs.readFile(join(to, 'docs/report.txt'), 'utf8'), 'quarterly numbers\n');
  assert.equal((await fs.lstat(join(to, 'docs/report.txt'))).uid, Number(nobody));
});

test(
  'a .tar export is created by the recipient, 0600, never over an existing file, and tar reads it back',
  {skip},
  async () => {
    const access = await contextFor(fixture.repo, asRoot);
    const out = join(tmp.dir, 'tarout');
    await fs.mkdir(out, {mode: 0o777});
    await fs.chmod(out, 0o777);
    const archive = join(out, 'alice.tar');
    const result = await delegatedRestore(
      fixture.repo,
      access,
      request('', {destination: {kind: 'tar', path: archive}}),
    );
    const s = await fs.lstat(archive);
    assert.equal(s.uid, Number(nobody));
    assert.equal(s.mode & 0o777, 0o600);
    assert.equal(result.audit.destination, `tar:${archive}`);
    const listing = spawnSync('tar', ['-tvf', archive], {encoding: 'utf8'});
    assert.equal(listing.status, 0, listing.stderr);
    assert.match(listing.stdout, /nobody.*docs\/report\.txt/);
    const x = join(tmp.dir, 'extracted');
    await fs.mkdir(x);
    assert.equal(spawnSync('tar', ['-xpf', archive, '-C', x]).status, 0);
    assert.equal(await fs.readFile(join(x, 'docs/deep/notes.md'), 'utf8'), 'x'.repeat(10_000));
    assert.equal((await fs.lstat(join(x, 'bin/tool'))).mode & 0o777, 0o755);
    assert.equal(Math.floor((await fs.lstat(join(x, 'docs/report.txt'))).mtimeMs), MTIME);
    await assert.rejects(
      delegatedRestore(fixture.repo, access, request('', {destination: {kind: 'tar', path: archive}})),
      (e: BackhaulError) => e.code === 'exists',
    );
  },
);

test('listTree nests entries, sums directory sizes, directories first', async () => {
  const tree = await listTree(fixture.repo, fixture.point.nodes[0]!.disks[0]!);
  assert.deepEqual(
    tree.children!.map(c => c.name),
    ['bin', 'docs'],
  );
  const docs = tree.children![1]!;
  assert.equal(docs.size, 'quarterly numbers\n'.length + 10_000);
  assert.equal(docs.files, 3);
  assert.deepEqual(
    docs.children!.map(c => c.name),
    ['deep', 'empty', 'latest', 'report.txt'],
  );
  assert.equal(tree.size, docs.size + '#!/bin/sh\necho hi\n'.length);
});

test('restoredName puts the stamp before the extension', () => {
  const stamp = restoredStamp(new Date('2026-11-25T12:03:01Z'));
  assert.equal(stamp, 'RESTORED_20261125_120301');
  assert.equal(restoredName('report.txt', stamp), 'report.RESTORED_20261125_120301.txt');
  assert.equal(restoredName('Makefile', stamp), 'Makefile.RESTORED_20261125_120301');
  assert.equal(restoredName('.bashrc', stamp), '.bashrc.RESTORED_20261125_120301');
  assert.equal(restoredName('my.dir', stamp, true), 'my.dir.RESTORED_20261125_120301');
});
