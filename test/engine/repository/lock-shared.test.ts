// Version 2's shared and exclusive locks (lock-shared.ts, FORMAT.md
// "Locking (version 2: shared and exclusive)") on a real directory:
// - shared locks coexist, each its own file; an exclusive lock refuses a
//   shared one and the other way round, naming the holder, and leaves no
//   file of the refused contender; with a wait, the contender gets the lock
//   once the holder releases it;
// - two exclusive contenders at once: never both; with a wait, one after the other;
// - a live `locks/writer` (version 1's lock: an upgrade) conflicts with every lock;
// - a stale lock file (its process gone; unreadable) is broken and said so;
// - a writer started beside another does not take the other's unindexed
//   packs as a dead writer's leftovers;
// - a writer whose lock file is deleted under it stops its run with the
//   clear error (lock.test.ts checks refresh failures for both versions);
// - a writer that opened a repository as version 1 and got locks/writer after
//   an upgrade stops instead of writing version 1 data into version 2.
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {cp, mkdtemp, readdir, rm} from 'node:fs/promises';
import {hostname, tmpdir} from 'node:os';
import {join} from 'node:path';
import {BackhaulError} from '../../../source/engine/errors.js';
import {encodeLock, newLockInfo} from '../../../source/engine/repository/lock-info.js';
import {acquireV2Lock} from '../../../source/engine/repository/lock-shared.js';
import {WriterLock, type LockNotice} from '../../../source/engine/repository/lock.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {upgradeRepository} from '../../../source/engine/repository/upgrade.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {fileURLToPath} from 'node:url';

const dirs: string[] = [];
after(() => Promise.all(dirs.map(d => rm(d, {recursive: true, force: true}))));

async function fresh(): Promise<FilesystemStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'bh-lock2-'));
  dirs.push(dir);
  return new FilesystemStorage(dir);
}

const lockFiles = async (storage: FilesystemStorage) =>
  (await readdir(join(storage.root, 'locks')).catch(() => [] as string[])).filter(n => /^[0-9a-f]{16}$/.test(n)).sort();

const isLocked = (pattern: RegExp) => (e: unknown) =>
  e instanceof BackhaulError && e.code === 'locked' && pattern.test(e.message);

function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('version 2 locks', () => {
  it('shared locks coexist, each in its own file, and are released', async () => {
    const storage = await fresh();
    const a = await acquireV2Lock(storage, 'copy a', {exclusive: false});
    const b = await acquireV2Lock(storage, 'copy b', {exclusive: false});
    assert.notEqual(a.key, b.key);
    assert.deepEqual(await lockFiles(storage), [a.key, b.key].map(k => k.slice('locks/'.length)).sort());
    assert.equal(a.alone, true, 'the first found no one');
    assert.equal(b.alone, false, 'the second found the first');
    a.assertHeld();
    b.assertHeld();
    await a.release();
    await b.release();
    assert.equal(a.lost ?? b.lost, undefined);
    assert.deepEqual(await lockFiles(storage), []);
  });

  it('an exclusive lock refuses a shared one, naming the holder, and the refused leaves nothing', async () => {
    const storage = await fresh();
    const held = await acquireV2Lock(storage, 'prune', {exclusive: true});
    await assert.rejects(
      acquireV2Lock(storage, 'copy', {exclusive: false}),
      isLocked(
        new RegExp(
          `is locked by .*@${hostname()} \\(exclusive lock, pid ${process.pid}, prune since .*\\); it is held while process ${process.pid} runs`,
        ),
      ),
    );
    assert.deepEqual(await lockFiles(storage), [held.key.slice(6)]);
    await held.release();
  });

  it('a shared lock refuses an exclusive one, naming the holder; with a wait, it gets it after the release', async () => {
    const storage = await fresh();
    const held = await acquireV2Lock(storage, 'copy from site-b', {exclusive: false});
    await assert.rejects(
      acquireV2Lock(storage, 'upgrade', {exclusive: true}),
      isLocked(/\(shared lock, pid \d+, copy from site-b since /),
    );
    assert.deepEqual(await lockFiles(storage), [held.key.slice(6)]);
    let got = false;
    const waiting = acquireV2Lock(storage, 'upgrade', {exclusive: true}, 60_000).then(l => ((got = true), l));
    await new Promise(r => setTimeout(r, 1500));
    assert.equal(got, false, 'it waits while the shared lock is held');
    await held.release();
    const mine = await waiting;
    assert.deepEqual(await lockFiles(storage), [mine.key.slice(6)]);
    await mine.release();
  });

  it('two exclusive contenders at once never both hold it; with a wait, one follows the other', async () => {
    const storage = await fresh();
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([
        acquireV2Lock(storage, 'prune 1', {exclusive: true}),
        acquireV2Lock(storage, 'prune 2', {exclusive: true}),
      ]);
      const won = results.filter((r): r is PromiseFulfilledResult<WriterLock> => r.status === 'fulfilled');
      assert.ok(won.length <= 1, 'never two exclusive holders');
      for (const r of results)
        if (r.status === 'rejected') assert.ok(isLocked(/exclusive lock/)(r.reason), String(r.reason));
      for (const w of won) await w.value.release();
    }
    const held: string[] = [];
    await Promise.all(
      [1, 2].map(async i => {
        const lock = await acquireV2Lock(storage, `prune ${i}`, {exclusive: true}, 30_000);
        held.push(...(await lockFiles(storage)));
        await new Promise(r => setTimeout(r, 300));
        await lock.release();
      }),
    );
    assert.equal(held.length, 2, 'each saw only its own lock file while it held the lock');
    assert.deepEqual(await lockFiles(storage), []);
  });

  it("a live locks/writer (version 1's lock: an upgrade finishing) conflicts with a shared lock", async () => {
    const storage = await fresh();
    const upgrade = await WriterLock.acquire(storage, 'upgrade');
    await assert.rejects(acquireV2Lock(storage, 'copy', {exclusive: false}), isLocked(/pid \d+, upgrade since/));
    await upgrade.release();
    const lock = await acquireV2Lock(storage, 'copy', {exclusive: false});
    await lock.release();
  });

  it('stale lock files (process gone; unreadable) are broken, and the taker says so', async () => {
    const storage = await fresh();
    const dead = {...newLockInfo('prune', true), pid: deadPid()};
    await storage.put('locks/00112233aabbccdd', encodeLock(dead));
    await storage.put('locks/ffeeddccbbaa9988', Buffer.from('not a lock'));
    const notices: LockNotice[] = [];
    const lock = await acquireV2Lock(storage, 'copy', {exclusive: false}, 0, {onNotice: n => notices.push(n)});
    assert.deepEqual(await lockFiles(storage), [lock.key.slice(6)], 'both stale files are gone');
    assert.equal(notices.length, 2);
    assert.ok(notices.some(n => new RegExp(`process ${dead.pid} is no longer running`).test(n.message)));
    assert.ok(notices.some(n => /it was unreadable/.test(n.message)));
    assert.equal(lock.alone, true);
    await lock.release();
    assert.deepEqual(await readdir(join(storage.root, 'locks')), [], 'no claim is left');
  });

  it("a writer started beside another leaves the other's unindexed packs for it to index", async () => {
    const storage = await fresh();
    const repo = await Repository.create(storage);
    const a = await RepositoryWriter.begin(repo, 'copy a');
    for (let i = 0; i < 3; i++) await a.addChunk(randomBytes(3_000_000));
    await a.flush(); // packs and their index
    const indexed = (await readdir(join(storage.root, 'index'))).length;
    // A pack written but not yet indexed (as a writer at work has), kept aside.
    await a.addChunk(randomBytes(9_000_000));
    await (a as unknown as {sealPack(): Promise<void>}).sealPack();
    await Promise.all((a as unknown as {inFlight: Set<Promise<void>>}).inFlight);
    const b = await RepositoryWriter.begin(await Repository.open(storage), 'copy b');
    assert.equal((await readdir(join(storage.root, 'index'))).length, indexed, "b indexed none of a's packs");
    await b.close();
    await a.flush();
    await a.close();
    assert.equal((await readdir(join(storage.root, 'index'))).length, indexed + 1, 'a indexed its own');
  });

  it('a writer whose lock file is deleted under it stops its run with the clear error', async () => {
    const storage = await fresh();
    const repo = await Repository.create(storage);
    const writer = await RepositoryWriter.begin(repo, 'agent backup', {lock: {refreshMs: 10}});
    const other = await RepositoryWriter.begin(await Repository.open(storage), 'copy');
    for (let i = 0; i < 1000 && !writer.lockLost; i++) {
      await rm(join(storage.root, writer.lockKey), {force: true});
      await new Promise(r => setTimeout(r, 10));
    }
    const removed =
      /The writer lock on .* \(locks\/[0-9a-f]{16}\) was removed by someone else while this agent backup held it; it stopped without writing more/;
    await assert.rejects(
      writer.addChunk(randomBytes(1000)).then(() => writer.flush()),
      e => removed.test((e as Error).message),
    );
    await assert.rejects(writer.close(), e => removed.test((e as Error).message));
    assert.equal(other.lockLost, undefined, 'the other writer keeps its lock');
    await other.close();
  });

  it('a writer that opened a version 1 repository and gets its lock after an upgrade stops without writing', async () => {
    const storage = await fresh();
    await cp(fileURLToPath(new URL('../../fixtures/repo-v1', import.meta.url)), storage.root, {recursive: true});
    const opened = await Repository.open(storage); // version 1, as a writer that then waited on locks/writer
    assert.equal(opened.config.version, 1);
    await upgradeRepository(await Repository.open(storage));
    await assert.rejects(
      RepositoryWriter.begin(opened, 'agent backup'),
      isLocked(/changed from format version 1 to 2 while this run waited for its lock; it stopped without writing/),
    );
    assert.deepEqual(await readdir(join(storage.root, 'locks')), [], 'its lock is released');
    const writer = await RepositoryWriter.begin(await Repository.open(storage), 'agent backup');
    assert.match(writer.lockKey, /^locks\/[0-9a-f]{16}$/, 'opened again, it takes a shared lock file');
    await writer.close();
  });
});
