// The writer lock on a real filesystem repository (FORMAT.md "Locking"):
// - a live lock refuses a second writer, saying who holds it, how old it is
//   and when it counts as stale; a lock of an older Backhaul (no nonce) too;
// - a stale lock (its process gone, not refreshed for 120 s, unreadable) is
//   taken over, and the taker says so;
// - many contenders on one stale lock whose DELETE is slowed: exactly one
//   wins, the others are refused naming it (the old read/compare/delete let
//   two in); a contender that read the stale lock long ago never deletes the
//   winner's fresh one; a live breaker's claim makes others wait, a dead
//   one's is passed over;
// - a writer whose lock is removed, replaced, not confirmed in time, or whose
//   refresh fails, stops with that error and writes nothing more.
import {after, describe, it} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {createHash, randomBytes} from 'node:crypto';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {cp, mkdtemp, readdir, readFile, rm} from 'node:fs/promises';
import {hostname, tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {BackhaulError} from '../../../source/engine/errors.js';
import {breakStale, CLAIM_PREFIX} from '../../../source/engine/repository/lock-break.js';
import {encodeLock, LOCK_KEY, type LockInfo} from '../../../source/engine/repository/lock-info.js';
import {WriterLock, type LockNotice} from '../../../source/engine/repository/lock.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import type {Storage} from '../../../source/engine/storage/storage.js';

const FIXTURE_V1 = fileURLToPath(new URL('../../fixtures/repo-v1', import.meta.url));
const dirs: string[] = [];
after(() => Promise.all(dirs.map(d => rm(d, {recursive: true, force: true}))));

async function fresh(): Promise<FilesystemStorage> {
  const dir = await mkdtemp(join(tmpdir(), 'bh-lock-'));
  dirs.push(dir);
  return new FilesystemStorage(dir);
}

const isLocked = (pattern: RegExp) => (e: unknown) =>
  e instanceof BackhaulError && e.code === 'locked' && pattern.test(e.message);

function foreign(refreshedAgoMs: number, extra: Partial<LockInfo> = {}): LockInfo {
  const time = new Date(Date.now() - refreshedAgoMs).toISOString();
  return {
    host: 'backup-02.example',
    pid: 4242,
    user: 'ops',
    operation: 'copy from site-b',
    time,
    refreshed: time,
    ...extra,
  };
}

async function writeLock(storage: FilesystemStorage, info: LockInfo | string): Promise<Buffer> {
  const bytes = typeof info === 'string' ? Buffer.from(info) : encodeLock(info);
  await storage.put(LOCK_KEY, bytes);
  return bytes;
}

const lockOn = async (storage: FilesystemStorage) =>
  JSON.parse(await readFile(join(storage.root, LOCK_KEY), 'utf8')) as LockInfo;
const locksDir = async (storage: FilesystemStorage) => (await readdir(join(storage.root, 'locks'))).sort();

/** A pid that was running a moment ago and is not any more. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

/**
 * `storage`, with the n-th DELETE of `key` held back (n - 1) x `ms` (a slow
 * server; the contenders that come later are the slower ones): fault
 * injection around a real store.
 */
function slowDeletes(storage: Storage, key: string, ms: number): Storage {
  const slow = Object.create(storage) as Storage;
  let deletes = 0;
  slow.delete = async (k: string) => {
    if (k === key) await new Promise(r => setTimeout(r, ms * deletes++));
    return storage.delete(k);
  };
  return slow;
}

async function waitFor(what: string, ready: () => boolean): Promise<void> {
  for (let i = 0; !ready(); i++) {
    if (i > 1000) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 10));
  }
}

describe('acquiring the writer lock', () => {
  it("a live lock refuses a second writer, naming the holder, its age and when it counts as stale (an older Backhaul's lock too)", async () => {
    const storage = await fresh();
    const held = await writeLock(storage, foreign(5_000)); // written by a Backhaul without nonces
    await assert.rejects(
      WriterLock.acquire(storage, 'test'),
      isLocked(
        /locked by ops@backup-02\.example \(pid 4242, copy from site-b since .*\); last refreshed [4-9] s ago; it counts as stale 120 s after its last refresh \(in 11\d s\)/,
      ),
    );
    assert.ok((await readFile(join(storage.root, LOCK_KEY))).equals(held), "the holder's lock is untouched");
    const mine = await WriterLock.acquire(await fresh(), 'mine');
    await mine.release();
  });

  it('a holder on this host is named with its process', async () => {
    const storage = await fresh();
    const first = await WriterLock.acquire(storage, 'first writer');
    try {
      await assert.rejects(
        WriterLock.acquire(storage, 'second writer'),
        isLocked(
          new RegExp(
            `pid ${process.pid}, first writer since .*; it is held while process ${process.pid} runs on this host`,
          ),
        ),
      );
    } finally {
      await first.release();
    }
    assert.deepEqual(await locksDir(storage), [], 'released');
  });

  it('takes over a stale lock (not refreshed for 120 s, its process gone, unreadable) and says so', async () => {
    for (const [stale, reason] of [
      [foreign(10 * 60_000), /ops@backup-02\.example .*: it was last refreshed 60\d s ago \(stale after 120 s\)/],
      [foreign(0, {host: hostname(), pid: deadPid()}), /process \d+ is no longer running/],
      ['{"half a lock', /it was unreadable/],
      [foreign(0, {host: hostname(), pid: 0}), /it was unreadable/],
    ] as const) {
      const storage = await fresh();
      await writeLock(storage, stale);
      const notices: LockNotice[] = [];
      const lock = await WriterLock.acquire(storage, 'taker', 0, {onNotice: n => notices.push(n)});
      assert.equal(notices.length, 1);
      assert.match(notices[0]!.message, /^Took over a stale writer lock on /);
      assert.match(notices[0]!.message, reason);
      const now = await lockOn(storage);
      assert.equal(now.pid, process.pid);
      assert.equal(now.operation, 'taker');
      assert.match(now.nonce ?? '', /^[0-9a-f]{32}$/);
      assert.deepEqual(await locksDir(storage), ['writer'], 'no claim is left behind');
      await lock.release();
    }
  });

  it('many contenders on one stale lock whose DELETE is slow: exactly one wins, the others are refused naming it', async () => {
    for (let round = 0; round < 4; round++) {
      const storage = await fresh();
      await writeLock(storage, foreign(10 * 60_000));
      const slow = slowDeletes(storage, LOCK_KEY, 50 + round * 50);
      const results = await Promise.allSettled(
        Array.from({length: 6}, (_, i) => WriterLock.acquire(slow, `contender ${i}`)),
      );
      const won = results.filter((r): r is PromiseFulfilledResult<WriterLock> => r.status === 'fulfilled');
      assert.equal(won.length, 1, `round ${round}: ${won.length} contenders hold the lock`);
      const holder = await lockOn(storage);
      for (const r of results) {
        if (r.status === 'rejected')
          assert.ok(
            isLocked(new RegExp(`\\(pid ${process.pid}, ${holder.operation} since`))(r.reason),
            String(r.reason),
          );
      }
      await won[0]!.value.release();
      assert.deepEqual(await locksDir(storage), [], 'released, no claim left');
    }
  });

  it('a contender that read the stale lock long ago never deletes the fresh lock of the one that won', async () => {
    const storage = await fresh();
    const stale = await writeLock(storage, foreign(10 * 60_000));
    assert.equal(await breakStale(storage, stale), 'broken');
    const winner = await WriterLock.acquire(storage, 'winner');
    const theirs = await readFile(join(storage.root, LOCK_KEY));
    // The slow one wakes up with what it read before: it must see that the lock changed.
    assert.equal(await breakStale(storage, stale), 'changed');
    assert.ok((await readFile(join(storage.root, LOCK_KEY))).equals(theirs));
    await winner.release();
  });

  it("a live breaker's claim makes others wait; a dead breaker's claim is passed over", async () => {
    const storage = await fresh();
    const stale = await writeLock(storage, foreign(10 * 60_000));
    const tag = createHash('sha256').update(stale).digest('hex').slice(0, 32);
    const claim = (pid: number) =>
      Buffer.from(JSON.stringify({host: hostname(), pid, user: 'root', time: new Date().toISOString()}));
    await storage.put(`${CLAIM_PREFIX}${tag}-1`, claim(process.pid));
    assert.equal(await breakStale(storage, stale), 'busy');
    assert.ok((await readFile(join(storage.root, LOCK_KEY))).equals(stale), 'left to the live breaker');
    await storage.put(`${CLAIM_PREFIX}${tag}-1`, claim(deadPid()));
    assert.equal(await breakStale(storage, stale), 'broken');
    assert.deepEqual(
      await locksDir(storage),
      [`break-${tag}-1`],
      'the dead claim is left for the next holder to sweep; ours is gone',
    );
    const holder = await WriterLock.acquire(storage, 'holder');
    assert.deepEqual(await locksDir(storage), ['writer'], 'the holder swept it');
    await holder.release();
  });
});

for (const version of [1, 2])
  describe(`a writer whose lock is no longer its own (version ${version})`, () => {
    async function writing(storage: Storage, options: {clock?: () => number} = {}) {
      if (version === 1) await cp(FIXTURE_V1, (storage as FilesystemStorage).root, {recursive: true});
      const repo = version === 1 ? await Repository.open(storage) : await Repository.create(storage);
      assert.equal(repo.config.version, version);
      const writer = await RepositoryWriter.begin(repo, 'test copy', {lock: {refreshMs: 10, ...options}});
      // Something committed before the lock goes: a pack and its index.
      await writer.addChunk(randomBytes(300_000));
      await writer.flush();
      return writer;
    }

    async function assertStopped(storage: FilesystemStorage, writer: RepositoryWriter, pattern: RegExp): Promise<void> {
      const before = await listing(storage.root);
      await assert.rejects(
        async () => {
          await writer.addChunk(randomBytes(300_000));
          await writer.flush();
        },
        e => pattern.test((e as Error).message),
      );
      await assert.rejects(writer.close(), e => pattern.test((e as Error).message));
      assert.deepEqual(await listing(storage.root), before, 'nothing more was written');
    }

    it('stops when its lock is removed', async () => {
      const storage = await fresh();
      const writer = await writing(storage);
      // A refresh that read the lock just before it went puts it back (the refresh is read, then put): whoever
      // removes it may have to do so again; until then the writer still holds a lock no one else has.
      assert.equal(writer.lockKey, version === 1 ? LOCK_KEY : (await locksDir(storage)).map(n => `locks/${n}`)[0]);
      await waitFor('the refresh to find out', () => {
        rmSync(join(storage.root, writer.lockKey), {force: true});
        return writer.lockLost !== undefined;
      });
      await assertStopped(
        storage,
        writer,
        /The writer lock on .* was removed by someone else while this test copy held it; it stopped without writing more/,
      );
      assert.deepEqual(await locksDir(storage), [], 'the lock is not put back');
    });

    it("stops when its lock is replaced by another writer's, and leaves that one in place", async () => {
      const storage = await fresh();
      const writer = await writing(storage);
      const theirs = encodeLock(foreign(0));
      // As for a removal, a refresh already past its read may put ours back over theirs: then replace it again.
      await waitFor('the refresh to find out', () => {
        if (!readFileSync(join(storage.root, writer.lockKey)).equals(theirs))
          writeFileSync(join(storage.root, writer.lockKey), theirs);
        return writer.lockLost !== undefined;
      });
      assert.equal((writer.lockLost as BackhaulError).code, 'locked');
      await assertStopped(
        storage,
        writer,
        /was taken over by ops@backup-02\.example \(pid 4242, copy from site-b since .*\) while this test copy held it/,
      );
      assert.ok((await readFile(join(storage.root, writer.lockKey))).equals(theirs));
    });

    it('stops when it could not confirm its lock for 90 s (others may judge it stale by then)', async () => {
      const storage = await fresh();
      let now = 0;
      const writer = await writing(storage, {clock: () => now});
      now += 91_000; // as if the process had been paused, the refresh never running
      await assertStopped(storage, writer, /was not confirmed for 91 s; another writer may judge it stale/);
    });

    it("a refresh that fails is the run's error", async () => {
      const storage = await fresh();
      let failing = false;
      const flaky = Object.create(storage) as Storage;
      flaky.put = async (key: string, data: Uint8Array) => {
        if (failing && key.startsWith('locks/'))
          throw new BackhaulError('storage', 'The disk went away.', 'Check the disk.');
        return storage.put(key, data);
      };
      const writer = await writing(flaky);
      failing = true;
      await waitFor('the refresh to fail', () => writer.lockLost !== undefined);
      assert.equal((writer.lockLost as BackhaulError).code, 'storage');
      await assertStopped(
        storage,
        writer,
        /The writer lock on .* could not be refreshed, so the run stopped: The disk went away\./,
      );
    });
  });

async function listing(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, rel: string) => {
    for (const e of await readdir(dir, {withFileTypes: true})) {
      if (e.isDirectory()) await walk(join(dir, e.name), `${rel}${e.name}/`);
      else if (!rel.startsWith('locks/') && !e.name.includes('.tmp-')) out.push(`${rel}${e.name}`); // the repository's content, not its lock
    }
  };
  await walk(root, '');
  return out.sort();
}
