/**
 * The exit codes of `backhaul copy` at its edges, on the built CLI: --wait
 * and --concurrency are checked before anything runs (exit 2) and --wait
 * takes durations; a selection that matches nothing exits 13 saying what was
 * asked; a run where every selected restore point failed (none is on the
 * target) exits with the failure's own code (12 for damaged source data),
 * while some failed and the others on the target (copied now or before)
 * stays partial (3). The engine's summary says the same (result, codes).
 */
import assert from 'node:assert/strict';
import {mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {planCopy} from '../../source/engine/copy/plan.js';
import {BackhaulError} from '../../source/engine/errors.js';
import type {BackupId} from '../../source/engine/ids.js';
import {WriterLock} from '../../source/engine/repository/lock.js';
import {Repository} from '../../source/engine/repository/repository.js';
import {pointChunks} from '../../source/engine/repository/verify.js';
import {FilesystemStorage} from '../../source/engine/storage/filesystem.js';
import {randomBuffer} from '../helpers/cli.js';
import {flipChunkByte} from '../helpers/damage.js';
import {emptyWorkspace, type Result, type Workspace} from '../helpers/demo-cache.js';

const open = (dir: string) => Repository.open(new FilesystemStorage(dir));

describe('backhaul copy: exit codes at the edges', () => {
  let ws: Workspace;
  let src: string;
  let dst: string;
  const copy = (...args: string[]) => ws.run(['copy', '--from', 'src', '--to', 'dst', ...args], {timeoutMs: 120_000});

  async function backup(machine: string, seed: number): Promise<void> {
    const dir = join(ws.dir, 'data-' + machine);
    await mkdir(dir, {recursive: true});
    await writeFile(join(dir, `file-${seed}.bin`), randomBuffer(300_000, seed));
    const r = await ws.run([
      'agent',
      'backup',
      '--repo',
      'src',
      '--job',
      'daily',
      '--machine',
      machine,
      '--kind',
      'workstation',
      '--path',
      dir,
    ]);
    assert.equal(r.code, 0, r.stderr);
  }

  before(async () => {
    ws = await emptyWorkspace('copy-exit');
    src = join(ws.dir, 'src');
    dst = join(ws.dir, 'dst');
    for (const [name, dir] of [
      ['src', src],
      ['dst', dst],
    ]) {
      const r = await ws.run(['repo', 'add', name!, dir!]);
      assert.equal(r.code, 0, r.stderr);
    }
    await backup('ws-01', 1);
    await backup('ws-01', 2);
    await backup('ws-02', 3);
  });
  after(async () => ws?.cleanup());

  function assertError(r: Result, code: number, message: RegExp, hint: RegExp, what: string): void {
    assert.equal(r.code, code, `${what}: exit ${r.code}\n${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.match(r.stderr, hint, `${what}: hint`);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${what}: no stack trace`);
  }

  test('--wait and --concurrency are checked at the edge (exit 2, naming the option and the value)', async () => {
    assertError(
      await copy('--wait', 'abc'),
      2,
      /--wait must be a duration, not "abc"/,
      /hint: .*500ms, 5s, 10m/,
      '--wait abc',
    );
    assertError(
      await copy('--concurrency', '0'),
      2,
      /--concurrency must be a whole number from 1 to 256, not "0"/,
      /hint: /,
      '--concurrency 0',
    );
    assertError(
      await copy('--concurrency', 'abc'),
      2,
      /--concurrency must be a whole number .*"abc"/,
      /hint: /,
      '--concurrency abc',
    );
    assert.deepEqual(await (await open(dst)).listBackups(), [], 'nothing was copied');
  });

  test('--wait 1s gives up on a target locked by a live writer (exit 11, naming it); it used to wait forever', async () => {
    const lock = await WriterLock.acquire(new FilesystemStorage(dst), 'holding it for the test');
    try {
      assertError(
        await copy('--wait', '1s'),
        11,
        new RegExp(`locked by .*pid ${process.pid}, holding it for the test`),
        /hint: /,
        '--wait 1s on a locked target',
      );
      assertError(await copy('--wait', '500ms'), 11, /locked by/, /hint: /, '--wait 500ms on a locked target');
    } finally {
      await lock.release();
    }
    assert.deepEqual(await (await open(dst)).listBackups(), [], 'nothing was copied');
  });

  test('a selection that matches no backup or no restore point exits 13, saying what was asked', async () => {
    assertError(
      await copy('--machine', 'nope-*'),
      13,
      /No backup in .*src matches --machine "nope-\*"/,
      /hint: .*backhaul list/,
      'no machine',
    );
    assertError(
      await copy('--machine', 'ws-*', '--job', 'weekly'),
      13,
      /matches --machine "ws-\*" --job "weekly"/,
      /hint: .*backhaul list/,
      'no job',
    );
    assertError(
      await copy('--points', 'since:2099-01-01'),
      13,
      /No restore point of the 2 selected backup\(s\) matches --points since:2099-01-01/,
      /hint: .*backhaul points/,
      'no point',
    );
    assertError(
      await copy('--dry-run', '--points', 'since:2099-01-01'),
      13,
      /No restore point/,
      /hint: /,
      'no point, dry run',
    );
    assertError(
      await copy('bnosuchbackup1'),
      13,
      /No backup "bnosuchbackup1"/,
      /hint: .*backhaul list/,
      'unknown backup id',
    );
    // The engine says the same, to the TUI as to the CLI.
    const [source, target] = [await open(src), await open(dst)];
    await assert.rejects(
      planCopy(source, target, {machine: 'nope-*'}),
      (e: unknown) => e instanceof BackhaulError && e.code === 'not-found' && e.exitCode === 13,
    );
    assert.deepEqual(await target.listBackups(), [], 'nothing was copied');
  });

  test("every point failing exits with the failure's code (12), not partial; some on the target and some failed stays 3", async () => {
    const source = await open(src);
    const ws2 = (await source.listBackups()).find(b => b.machine === 'ws-02')!;
    const [point] = await source.listPoints(ws2.id as BackupId);
    const trees = new Set<string>(point!.nodes.flatMap(n => n.disks.flatMap(d => d.tree ?? [])));
    const others = new Set<string>();
    for (const b of (await source.listBackups()).filter(x => x.id !== ws2.id)) {
      for (const p of await source.listPoints(b.id)) await pointChunks(source, p, others);
    }
    const own = [...(await pointChunks(source, point!))].find(id => !trees.has(id) && !others.has(id));
    assert.ok(own, 'ws-02 has a file chunk of its own');
    await flipChunkByte(src, source, own);

    const all = await copy('--machine', 'ws-02', '--points', 'all', '--json');
    assert.equal(all.code, 12, all.stderr);
    const summary = JSON.parse(all.stdout);
    assert.equal(summary.result, 'failed');
    assert.equal(summary.pointsCopied, 0);
    assert.equal(summary.pointsFailed, 1);
    assert.equal(summary.failed[0].code, 'corrupt');
    assert.match(all.stderr, /backhaul: No restore point was copied: 1 failed on damaged source data/);
    assert.match(all.stderr, /hint: .*backhaul verify/);

    const some = await copy('--points', 'all', '--json');
    assert.equal(some.code, 3, some.stderr);
    const partial = JSON.parse(some.stdout);
    assert.equal(partial.result, 'warning');
    assert.equal(partial.pointsCopied, 2);
    assert.equal(partial.pointsFailed, 1);
    assert.doesNotMatch(some.stderr, /No restore point was copied/);

    // Run again: the good points are already there (partial still), the damaged one alone still fails (12).
    const again = await copy('--points', 'all', '--json');
    assert.equal(again.code, 3, again.stderr);
    assert.deepEqual([JSON.parse(again.stdout).result, JSON.parse(again.stdout).pointsSkipped], ['warning', 2]);
    assert.equal((await copy('--machine', 'ws-02', '--points', 'all')).code, 12);
  });
});
