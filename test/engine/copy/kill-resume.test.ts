// SIGKILL at random (seeded) moments during a copy of the whole demo, 20
// times, re-running each time: the target always passes verify, the final
// state restores identically, and resumed runs do not send again what a
// killed run already wrote (packs written across all runs ≈ one full copy).
//
// The kill delay counts from the moment the copy starts (its plan is printed
// on stderr), so kills land in the transfer, not in process start-up. When a
// run finishes before its kill, the target is reset to empty and the kills go
// on: every one of the 20 interrupts a copy that is moving data.
import {after, before, describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {readdir, rm, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {verifyRepository} from '../../../source/engine/repository/verify.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {collect, demoWorkspace, type Workspace} from '../../helpers/demo-cache.js';
import {seeded} from '../../helpers/cli.js';
import {assertSameRestore} from '../../helpers/restore-compare.js';

const KILLS = 20;
const SEED = Number(process.env.BH_KILL_SEED ?? 20261125);

/** Pack files on the target now: key → size (a pack may vanish while listed: it is skipped). */
async function packs(repo: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const data = join(repo, 'data');
  for (const dir of await readdir(data).catch(() => [] as string[])) {
    for (const name of await readdir(join(data, dir)).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{64}$/.test(name)) continue;
      const st = await stat(join(data, dir, name)).catch(() => undefined);
      if (st) out.set(name, st.size);
    }
  }
  return out;
}

describe(`kill -9 during a copy, ${KILLS} times (seed ${SEED})`, () => {
  let ws: Workspace;
  let pristine: string;
  let planned: number;
  const random = seeded(SEED);

  before(async () => {
    ws = await demoWorkspace('kill');
    pristine = join(ws.dir, 'empty-secondary');
    const cp = await collect(spawn('cp', ['-a', ws.secondary, pristine]));
    assert.equal(cp.code, 0, cp.stderr);
    const plan = await ws.json([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--points',
      'all',
      '--dry-run',
      '--json',
    ]);
    planned = plan.transferBytes;
    assert.ok(planned > 100 << 20, 'the copy is large enough to be killed mid-way');
  });
  after(async () => ws?.cleanup());

  const verifyTarget = async () => {
    const report = await verifyRepository(await Repository.open(new FilesystemStorage(ws.secondary)));
    assert.equal(report.ok, true, `target damaged: ${JSON.stringify({...report, badChunks: report.badChunks.length})}`);
    return report;
  };

  test('every kill leaves a target that verifies; resumed runs do not resend; the end state restores identically', async t => {
    let kills = 0;
    let runs = 0;
    let cycles = 0;
    /** Every pack that has appeared on the target during this cycle (never shrinks). */
    let seen = new Map<string, number>();
    const log: string[] = [];
    while (kills < KILLS) {
      assert.ok(runs < KILLS * 4, `too many runs: ${log.join('; ')}`);
      runs++;
      const delay = 50 + Math.floor(random() * 1450);
      // Odd runs count the delay from the plan (kills land in start-up, locking, adoption of
      // orphan packs or the first reads); even runs from the first pack this run writes (kills
      // land between packs, index files and point commits, even on a slow machine).
      const fromFirstPack = runs % 2 === 0;
      const child = ws.spawn(['copy', '--from', 'demo-primary', '--to', 'demo-secondary', '--points', 'all']);
      let timer: NodeJS.Timeout | undefined;
      let watching = false;
      let exited = false;
      let stderr = '';
      const arm = () => {
        if (!exited) timer ??= setTimeout(() => child.kill('SIGKILL'), delay);
      };
      const watchFirstPack = async () => {
        const start = (await packs(ws.secondary)).size;
        while (!exited && (await packs(ws.secondary)).size <= start) await new Promise(r => setTimeout(r, 40));
        arm();
      };
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (watching || !stderr.includes('Copy plan:')) return;
        watching = true;
        if (fromFirstPack) void watchFirstPack();
        else arm();
      });
      const result = await collect(child, 300_000);
      exited = true;
      clearTimeout(timer);
      const before = [...seen.values()].reduce((s, n) => s + n, 0);
      for (const [k, v] of await packs(ws.secondary)) seen.set(k, v);
      const added = [...seen.values()].reduce((s, n) => s + n, 0) - before;
      const report = await verifyTarget();
      if (result.signal === 'SIGKILL') {
        kills++;
        log.push(
          `run ${runs}: killed ${delay} ms after ${fromFirstPack ? 'its first pack' : 'the plan'}, +${(added / 1048576).toFixed(1)} MiB, ${report.points} points`,
        );
        continue;
      }
      assert.equal(result.code, 0, `run ${runs} failed: ${result.stderr}`);
      // The copy finished before its kill: check this cycle, then start again from an empty target.
      const sent = [...seen.values()].reduce((s, n) => s + n, 0);
      log.push(
        `run ${runs}: finished (cycle ${++cycles}: ${(sent / 1048576).toFixed(1)} MiB written for ${(planned / 1048576).toFixed(1)} MiB planned)`,
      );
      assert.ok(
        sent <= planned * 1.02 + (2 << 20),
        `cycle ${cycles}: ${sent} bytes of packs written for a ${planned}-byte copy`,
      );
      await rm(ws.secondary, {recursive: true, force: true});
      const cp = await collect(spawn('cp', ['-a', pristine, ws.secondary]));
      assert.equal(cp.code, 0, cp.stderr);
      seen = new Map();
    }

    const final = await ws.json([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--points',
      'all',
      '--json',
    ]);
    assert.equal(final.pointsFailed, 0);
    for (const [k, v] of await packs(ws.secondary)) seen.set(k, v);
    const sent = [...seen.values()].reduce((s, n) => s + n, 0);
    const onTarget = [...(await packs(ws.secondary)).values()].reduce((s, n) => s + n, 0);
    log.push(
      `final run: ${final.pointsCopied} points, ${(final.transferredBytes / 1048576).toFixed(1)} MiB; ${(sent / 1048576).toFixed(1)} MiB written over the cycle`,
    );
    // Temporary files of killed writes are invisible to the repository; say how many are left.
    const temps = (await readdir(ws.secondary, {recursive: true})).filter(e => e.includes('.tmp-'));
    log.push(`temporary files left by killed runs: ${temps.length}`);
    for (const line of log) t.diagnostic(line);
    // Resumed runs re-use what killed runs wrote: across all runs, about one full copy was written.
    assert.ok(
      sent <= planned * 1.02 + (2 << 20),
      `${sent} bytes of packs written across runs for a ${planned}-byte copy`,
    );
    assert.ok(onTarget >= planned, 'the target holds the whole copy');

    const cli = await ws.run(['verify', '--repo', 'demo-secondary']);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    const again = await ws.json([
      'copy',
      '--from',
      'demo-primary',
      '--to',
      'demo-secondary',
      '--points',
      'all',
      '--json',
    ]);
    assert.equal(again.transferredBytes, 0);

    const listed: any[] = await ws.json(['list', '--repo', 'demo-primary', '--json']);
    const id = (m: string) => listed.find(b => b.machine === m).id;
    await assertSameRestore(
      ws,
      'demo-primary',
      'demo-secondary',
      {backup: id('bob-desktop'), point: 'latest'},
      join(ws.dir, 'restore'),
    );
    await assertSameRestore(
      ws,
      'demo-primary',
      'demo-secondary',
      {backup: id('db01'), point: 'latest'},
      join(ws.dir, 'restore'),
    );
    await assertSameRestore(
      ws,
      'demo-primary',
      'demo-secondary',
      {backup: id('sql-cluster'), point: 'latest', node: 'node2'},
      join(ws.dir, 'restore'),
    );
  });
});
