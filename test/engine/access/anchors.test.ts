/**
 * The audit chain's anchors outside the repository: the four ways a writer
 * of the repository can keep the chain internally consistent (rewrite forward
 * from an edit, truncate the tail, delete everything, append a forged entry)
 * verify clean without anchors — what the code before anchors saw — and fail
 * against this host's anchors, naming the entry. Also where anchors live and
 * how they are protected, repositories several hosts write, moved and
 * cloned repositories, a replaced config id, and the system log copy.
 */
import assert from 'node:assert/strict';
import {chown, cp, lstat, mkdir, readFile, rename, rm, symlink, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {anchorFile, anchorsDir} from '../../../source/engine/access/anchors.js';
import {appendAudit, readAudit, verifyAudit, type AuditInput} from '../../../source/engine/access/audit.js';
import {stateDir} from '../../../source/engine/workspace/dirs.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {carol} from './fixtures.js';
import {appendForged, deleteAll, fakeLogger, privateState, rewriteForward, truncateAfter, withPath} from './tamper.js';

const isRoot = process.getuid?.() === 0;
let state: Awaited<ReturnType<typeof privateState>>;
let n = 0;

const grant = (i: number): AuditInput => ({
  action: 'access.grant',
  actor: carol,
  result: 'ok',
  principal: 'user:alice',
  backupId: 'bcopy00000001',
  reason: `ticket ${i}`,
});

async function repository(): Promise<{storage: FilesystemStorage; repo: Repository; dir: string}> {
  const dir = join(state.dir, `repo-${++n}`);
  const storage = new FilesystemStorage(dir);
  return {storage, repo: await Repository.create(storage), dir};
}

async function withEntries(count: number) {
  const r = await repository();
  for (let i = 1; i <= count; i++) await appendAudit(r.storage, grant(i));
  return r;
}

/** What verify saw before anchors existed: the chain alone (an empty anchor store accepts every entry). */
async function chainOnly(storage: FilesystemStorage) {
  const saved = process.env['BACKHAUL_STATE_DIR'];
  const savedXdg = process.env['XDG_STATE_HOME'];
  process.env['BACKHAUL_STATE_DIR'] = join(state.dir, 'empty-root');
  process.env['XDG_STATE_HOME'] = join(state.dir, 'empty-xdg');
  try {
    return await verifyAudit(storage, {allowUnanchored: true});
  } finally {
    process.env['BACKHAUL_STATE_DIR'] = saved;
    process.env['XDG_STATE_HOME'] = savedXdg;
  }
}

before(async () => {
  delete process.env['SUDO_UID'];
  state = await privateState();
  // A logger that records its calls, so the tests neither depend on nor write the machine's system log.
  const fake = await fakeLogger(join(state.dir, 'bin'));
  process.env['PATH'] = `${fake.bin}:${process.env['PATH']}`;
});
after(() => state.cleanup());

test('(a) an edit rewritten forward verifies on the chain alone, and fails on the anchor of the edited entry', async () => {
  const {storage} = await withEntries(9);
  await rewriteForward(storage, 7, {principal: 'user:mallory'});
  assert.equal((await chainOnly(storage)).ok, true, 'the chain itself is consistent');
  const report = await verifyAudit(storage);
  assert.equal(report.ok, false);
  const file = anchorFile(report.anchor.repositoryId);
  const anchored = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map(l => JSON.parse(l))
    .find(a => a.seq === 7);
  assert.deepEqual(
    report.problems.map(p => p.seq),
    [7, 8],
  );
  assert.equal(
    report.problems[0]!.reason,
    `differs from the anchored hash recorded at ${anchored.time} in ${file}: it was edited or replaced, and the chain rewritten after it`,
  );
  assert.equal(report.problems[1]!.reason, 'differs from its anchor too, as does entry 9');
});

test('(b) a truncated tail fails: the log ends before the newest anchored entry', async () => {
  const {storage} = await withEntries(9);
  await truncateAfter(storage, 5);
  assert.equal((await chainOnly(storage)).ok, true);
  const report = await verifyAudit(storage);
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.problems.map(p => [p.seq, p.key]),
    [[9, 'audit/000000000009.json']],
  );
  assert.match(
    report.problems[0]!.reason,
    /^missing: the log ends at entry 5, but entry 9 was anchored at .* \(entries 6 to 9 were deleted\)/,
  );
});

test('(c) deleting every entry fails: the log is empty but entries were anchored', async () => {
  const {storage} = await withEntries(3);
  await deleteAll(storage);
  assert.equal((await chainOnly(storage)).ok, true);
  const report = await verifyAudit(storage);
  assert.equal(report.ok, false);
  assert.equal(report.entries.length, 0);
  assert.match(
    report.problems[0]!.reason,
    /^missing: the log is empty, but entry 3 was anchored at .* \(every entry was deleted\)/,
  );
});

test('(d) a correctly hashed forged entry fails: this host did not write it', async () => {
  const {storage} = await withEntries(9);
  await appendForged(storage, {...grant(10), principal: 'user:mallory'});
  assert.equal((await chainOnly(storage)).ok, true);
  const report = await verifyAudit(storage);
  assert.equal(report.ok, false);
  assert.deepEqual(
    report.problems.map(p => p.seq),
    [10],
  );
  assert.match(
    report.problems[0]!.reason,
    /^not written by Backhaul on this host: the newest entry anchored in .* is 9/,
  );
  assert.deepEqual(report.anchor.unanchored, {first: 10, last: 10, count: 1});
});

test('an untouched log matches its anchors; the report says where they are and what they hold', async () => {
  const {storage, repo} = await withEntries(4);
  const entries = await readAudit(storage);
  const report = await verifyAudit(storage);
  assert.deepEqual(report.problems, []);
  assert.equal(report.anchor.repositoryId, repo.id);
  assert.equal(report.anchor.file, join(stateDir(), 'audit-anchors', `${repo.id}.jsonl`));
  assert.deepEqual({...report.anchor.head, time: undefined}, {seq: 4, hash: entries[3]!.hash, time: undefined});
  assert.equal(report.anchor.count, 4);
  assert.equal(report.anchor.unanchored, undefined);
  assert.deepEqual(report.anchor.syslog, {failed: 0, error: undefined});
});

test('anchors: one JSON line per entry, in a 0700 directory and a 0600 file', async () => {
  const {storage, repo} = await withEntries(2);
  const file = anchorFile(repo.id);
  const lines = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map(l => JSON.parse(l));
  const entries = await readAudit(storage);
  assert.deepEqual(
    lines.map(l => [l.repo, l.location, l.seq, l.hash, l.pid]),
    entries.map(e => [repo.id, storage.location, e.seq, e.hash, process.pid]),
  );
  assert.ok(lines.every(l => typeof l.time === 'string'));
  assert.equal((await lstat(file)).mode & 0o777, 0o600);
  assert.equal((await lstat(anchorsDir())).mode & 0o777, 0o700);
  assert.equal((await lstat(stateDir())).mode & 0o777, 0o700);
});

test('a symlinked anchor file or state directory is refused before anything is written', async () => {
  const {storage, repo} = await withEntries(1);
  const file = anchorFile(repo.id);
  const decoy = join(state.dir, 'decoy');
  await writeFile(decoy, '');
  await rm(file);
  await symlink(decoy, file);
  await assert.rejects(
    appendAudit(storage, grant(2)),
    (e: Error & {exitCode?: number}) => e.exitCode === 15 && /is not safe to use/.test(e.message),
  );
  assert.equal((await readAudit(storage)).length, 1, 'no entry without its anchor');
  assert.equal(await readFile(decoy, 'utf8'), '');
  await rm(file);

  const saved = process.env['BACKHAUL_STATE_DIR'];
  const savedXdg = process.env['XDG_STATE_HOME'];
  const target = join(state.dir, 'elsewhere');
  const parent = join(state.dir, 'linked');
  await mkdir(target, {mode: 0o700});
  await mkdir(parent);
  await symlink(target, join(parent, 'backhaul'));
  process.env['BACKHAUL_STATE_DIR'] = join(parent, 'backhaul');
  process.env['XDG_STATE_HOME'] = parent;
  try {
    await assert.rejects(appendAudit(storage, grant(2)), /backhaul is not safe to use .*: it is a symlink/);
  } finally {
    process.env['BACKHAUL_STATE_DIR'] = saved;
    process.env['XDG_STATE_HOME'] = savedXdg;
  }
  assert.equal((await readAudit(storage)).length, 1);
});

test('an anchor file that belongs to someone else is refused', {skip: !isRoot && 'chown needs root'}, async () => {
  const {storage, repo} = await withEntries(1);
  await chown(anchorFile(repo.id), 65534, 65534);
  try {
    await assert.rejects(appendAudit(storage, grant(2)), /belongs to uid 65534/);
    await assert.rejects(verifyAudit(storage), /belongs to uid 65534/);
    assert.equal((await readAudit(storage)).length, 1);
  } finally {
    await chown(anchorFile(repo.id), 0, 0);
  }
});

test("a repository several hosts write: --allow-unanchored accepts what came after this host's newest anchor, and still checks the rest", async () => {
  const {storage} = await withEntries(3);
  // Another host: another state directory.
  const here = process.env['BACKHAUL_STATE_DIR'];
  const hereXdg = process.env['XDG_STATE_HOME'];
  process.env['BACKHAUL_STATE_DIR'] = join(state.dir, 'host-b');
  process.env['XDG_STATE_HOME'] = join(state.dir, 'host-b');
  await appendAudit(storage, grant(4));
  await appendAudit(storage, grant(5));
  process.env['BACKHAUL_STATE_DIR'] = here;
  process.env['XDG_STATE_HOME'] = hereXdg;

  const strict = await verifyAudit(storage);
  assert.deepEqual(
    strict.problems.map(p => p.seq),
    [4],
  );
  assert.match(strict.problems[0]!.reason, /not written by Backhaul on this host, nor was entry 5/);
  const shared = await verifyAudit(storage, {allowUnanchored: true});
  assert.equal(shared.ok, true);
  assert.deepEqual(shared.anchor.unanchored, {first: 4, last: 5, count: 2});

  await rewriteForward(storage, 2, {principal: 'user:mallory'});
  assert.deepEqual(
    (await verifyAudit(storage, {allowUnanchored: true})).problems.map(p => p.seq),
    [2, 3],
  );
});

test('a moved repository is checked against the anchors recorded where it was', async () => {
  const {dir} = await withEntries(3);
  await rename(dir, `${dir}-moved`);
  const moved = new FilesystemStorage(`${dir}-moved`);
  const report = await verifyAudit(moved);
  assert.equal(report.ok, true, JSON.stringify(report.problems));
  assert.equal(report.anchor.fromOtherLocations, true);
  await truncateAfter(moved, 1);
  assert.match((await verifyAudit(moved)).problems[0]!.reason, /the log ends at entry 1, but entry 3 was anchored/);
});

test('two copies of one repository that diverge each answer for their own entries', async () => {
  const {storage, dir} = await withEntries(2);
  await cp(dir, `${dir}-clone`, {recursive: true});
  const clone = new FilesystemStorage(`${dir}-clone`);
  await appendAudit(storage, grant(3));
  await appendAudit(clone, grant(30));
  await appendAudit(clone, grant(40));
  assert.deepEqual((await verifyAudit(storage)).problems, []);
  assert.deepEqual((await verifyAudit(clone)).problems, []);
});

test('a replaced config id cannot hide the anchors: the location was anchored as another repository', async () => {
  const {storage, repo} = await withEntries(3);
  await deleteAll(storage);
  const config = JSON.parse((await storage.get('config')).toString());
  await storage.put('config', Buffer.from(JSON.stringify({...config, id: 'f'.repeat(32)})));
  const report = await verifyAudit(storage);
  assert.equal(report.ok, false);
  assert.equal(report.problems[0]!.key, 'config');
  assert.match(
    report.problems[0]!.reason,
    new RegExp(`anchored as repository ${repo.id} \\(up to entry 3, .*now says it is f{32}`),
  );
  assert.match(report.problems[0]!.reason, new RegExp(`rename ${anchorFile(repo.id)}`));
});

test('each entry goes to the system log once: logger -t backhaul --id=PID -p auth.info', async () => {
  const bin = join(state.dir, 'bin');
  const calls = join(bin, 'calls');
  await rm(calls, {force: true});
  const {storage, repo} = await withEntries(2);
  const entries = await readAudit(storage);
  const lines = (await readFile(calls, 'utf8')).trim().split('\n');
  assert.equal(lines.length, 2);
  for (const [i, line] of lines.entries()) {
    assert.ok(
      line.startsWith(
        `[-t][backhaul][--id=${process.pid}][-p][auth.info][--][audit entry repository=${repo.id} seq=${i + 1} hash=${entries[i]!.hash} action=access.grant result=ok actor="carol"`,
      ),
      line,
    );
  }
});

test('a missing or hanging logger does not fail the append; verify says so once', async () => {
  const empty = join(state.dir, 'no-logger');
  await mkdir(empty, {recursive: true});
  const {storage} = await withEntries(0);
  await withPath(empty, async () => {
    await appendAudit(storage, grant(1));
    await appendAudit(storage, grant(2));
  });
  let report = await verifyAudit(storage);
  assert.equal(report.ok, true);
  assert.deepEqual(report.anchor.syslog, {failed: 2, error: 'logger not found'});

  const hanging = await fakeLogger(join(state.dir, 'hanging'), 'exec /bin/sleep 30');
  await withPath(hanging.bin, () => appendAudit(storage, grant(3)));
  report = await verifyAudit(storage);
  assert.equal(report.ok, true);
  assert.deepEqual(report.anchor.syslog, {failed: 3, error: 'logger did not finish within 2 s'});
});
