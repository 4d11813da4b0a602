// A target too small for the copy: refused up front (exit 14, clear message,
// nothing written). A target that fills up anyway mid-copy (ENOSPC): the copy
// fails cleanly with exit 14, the target still verifies, and once there is
// room a re-run completes it. Uses size-limited tmpfs mounts, so it needs root.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {mkdir, readdir, rm, statfs} from 'node:fs/promises';
import {join} from 'node:path';
import {WriterLock} from '../../../source/engine/repository/lock.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {collect, demoWorkspace, type Workspace} from '../../helpers/demo-cache.js';
import {listing} from '../../helpers/restore-compare.js';

const isRoot = process.getuid?.() === 0;
const skip = isRoot ? false : 'needs root to mount a size-limited tmpfs (CI runs as root)';

function mount(dir: string, size: string): void {
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], {encoding: 'utf8'});
  assert.equal(r.status, 0, `mount failed: ${r.stderr}`);
}

function umount(dir: string): void {
  spawnSync('umount', [dir]);
}

async function tempFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true});
  return entries.filter(e => e.includes('.tmp-'));
}

describe('a target without enough space', {skip}, () => {
  let ws: Workspace;
  let total = 0;

  before(async () => {
    ws = await demoWorkspace('disk-full');
    const listed: any[] = await ws.json(['list', '--repo', 'demo-primary', '--json']);
    total = listed.reduce((s, b) => s + b.points, 0);
  });
  after(async () => ws?.cleanup());

  test('too small for the plan: refused up front with exit 14, nothing written', async () => {
    const mnt = join(ws.dir, 'small');
    await mkdir(mnt);
    mount(mnt, '20m');
    try {
      const add = await ws.run(['repo', 'add', 'small', join(mnt, 'repo')]);
      assert.equal(add.code, 0, add.stderr);
      const before = await listing(mnt);
      const r = await ws.run(['copy', '--from', 'demo-primary', '--to', 'small', '--points', 'all']);
      assert.equal(r.code, 14, r.stderr);
      assert.match(r.stderr, /needs about [\d.]+ [KMG]iB but .*small\/repo has only [\d.]+ [KMG]?i?B free/);
      assert.match(r.stderr, /Nothing was written/);
      assert.deepEqual(await listing(mnt), before, 'the target is unchanged');
      const dry = await ws.run([
        'copy',
        '--from',
        'demo-primary',
        '--to',
        'small',
        '--points',
        'all',
        '--dry-run',
        '--json',
      ]);
      assert.equal(dry.code, 14);
      const plan = JSON.parse(dry.stdout);
      assert.equal(plan.fits, false);
      assert.ok(plan.freeBytes < plan.storeBytes);
    } finally {
      umount(mnt);
    }
  });

  test('fills up mid-copy (ENOSPC): exit 14, the target still verifies, a re-run with room completes it', async () => {
    const mnt = join(ws.dir, 'filling');
    await mkdir(mnt);
    mount(mnt, '260m');
    let lock: WriterLock | undefined;
    try {
      const add = await ws.run(['repo', 'add', 'filling', join(mnt, 'repo')]);
      assert.equal(add.code, 0, add.stderr);
      const plan = await ws.json([
        'copy',
        '--from',
        'demo-primary',
        '--to',
        'filling',
        '--points',
        'all',
        '--dry-run',
        '--json',
      ]);
      assert.equal(plan.fits, true, 'the plan sees enough room');
      const filler = join(mnt, 'filler');
      // Once the copy has planned, something else takes the space: only ~40 MiB stay free. The copy may start
      // before its plan is complete (engine/copy/stream.ts), so the test holds the target's lock until then:
      // the copy waits for it (--wait) and writes its first pack only after the space is gone.
      lock = await WriterLock.acquire(new FilesystemStorage(join(mnt, 'repo')), 'test filling the disk');
      const child = ws.spawn(['copy', '--from', 'demo-primary', '--to', 'filling', '--points', 'all', '--wait', '60']);
      let stderr = '';
      let filled = false;
      child.stderr!.on('data', async (d: Buffer) => {
        stderr += d.toString();
        if (filled || !stderr.includes('Copy plan:')) return;
        filled = true;
        const fs = await statfs(mnt);
        const size = fs.bavail * fs.bsize - (40 << 20);
        spawnSync('fallocate', ['-l', String(size), filler]);
        await lock!.release();
      });
      const r = await collect(child);
      assert.equal(filled, true);
      assert.equal(r.code, 14, `expected exit 14 (no space):\n${r.stderr}`);
      assert.match(r.stderr, /No space left/);
      assert.doesNotMatch(r.stderr, /internal error/);
      assert.deepEqual(await tempFiles(join(mnt, 'repo')), [], 'no temporary files are left behind');

      const report = await ws.json(['verify', '--repo', 'filling', '--json']);
      assert.equal(report.ok, true, 'the target still verifies');
      assert.ok(report.points < total, 'the copy did not complete');

      await rm(filler);
      const rest = await ws.json(['copy', '--from', 'demo-primary', '--to', 'filling', '--points', 'all', '--json']);
      assert.equal(rest.pointsFailed, 0);
      assert.equal(rest.pointsCopied + rest.pointsSkipped, total);
      assert.equal(rest.pointsSkipped, report.points, 'what was committed before ENOSPC is kept');
      const final = await ws.json(['verify', '--repo', 'filling', '--json']);
      assert.equal(final.ok, true);
      assert.equal(final.points, total);
    } finally {
      await lock?.release(); // a no-op once the copy has taken the lock (it is the copy's then)
      umount(mnt);
    }
  });
});
