/**
 * Crash safety of the real process: `backhaul agent backup` is SIGKILLed at
 * seeded random moments (during start-up, while packs are written, around the
 * commit); after every kill `verify` passes and the next backup completes, and
 * in the end the latest point restores identical to the source. Also the
 * writer lock: a lock left by a dead process (or a silent other host) is
 * broken automatically; a live holder makes a writer exit 11 naming it.
 */
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {hostname, tmpdir} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {collect, randomBuffer, runCli, seeded, startCli} from '../../helpers/cli.js';
import {sameTree} from '../../helpers/tree.js';

const MiB = 1024 * 1024;
const KILLS = 8;
let work: string;
let home: string;
let repo: string;
let data: string;

async function makeDataSet(root: string): Promise<string[]> {
  const rnd = seeded(1234);
  const small: string[] = [];
  for (let d = 0; d < 30; d++) {
    await fs.mkdir(join(root, `d${d}`), {recursive: true});
    for (let f = 0; f < 50; f++) {
      const path = join(root, `d${d}`, `f${f}.bin`);
      await fs.writeFile(path, randomBuffer(Math.floor(rnd() * 24_000) + 10, d * 100 + f));
      small.push(path);
    }
  }
  // Text compresses: some packs hold deflated blobs.
  await fs.writeFile(
    join(root, 'log.txt'),
    Array.from({length: 120_000}, (_, i) => `line ${i} of a compressible log\n`).join(''),
  );
  for (let i = 0; i < 4; i++) await fs.writeFile(join(root, `big${i}.bin`), randomBuffer(20 * MiB, 50 + i));
  return small;
}

/** New content for ~7 MiB of the data set, so every run has packs to write. */
async function mutate(small: string[], round: number): Promise<void> {
  const rnd = seeded(round * 77);
  const h = await fs.open(join(data, `big${round % 4}.bin`), 'r+');
  await h.write(randomBuffer(6 * MiB, 1000 + round), 0, 6 * MiB, Math.floor(rnd() * 14) * MiB);
  await h.close();
  for (let i = 0; i < 60; i++) {
    const path = small[Math.floor(rnd() * small.length)]!;
    await fs.writeFile(path, randomBuffer(Math.floor(rnd() * 60_000) + 1, round * 1000 + i));
  }
}

const backupArgs = () => [
  'agent',
  'backup',
  '--repo',
  repo,
  '--job',
  'nightly',
  '--machine',
  'crashy',
  '--kind',
  'server',
  '--path',
  data,
];

async function verifyOk(when: string): Promise<{points: number}> {
  const r = await runCli(home, ['verify', '--repo', repo, '--json']);
  assert.equal(r.code, 0, `verify after ${when} exited ${r.code}:\n${r.stdout.slice(0, 2000)}\n${r.stderr}`);
  const report = JSON.parse(r.stdout) as {ok: boolean; points: number; brokenPoints: unknown[]};
  assert.equal(report.ok, true);
  assert.deepEqual(report.brokenPoints, []);
  return report;
}

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-kill-'));
  home = join(work, 'home');
  repo = join(work, 'repo');
  data = join(work, 'data');
  const r = await runCli(home, ['repo', 'add', 'crash', repo]);
  assert.equal(r.code, 0, r.stderr);
});
after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

test(`a backup SIGKILLed at ${KILLS} random moments leaves a repository that verifies, and the next backup completes`, async t => {
  const small = await makeDataSet(data);
  const rnd = seeded(20261125);
  let lastRunMs = 6000; // a guess for the first (full) run; measured afterwards
  let committed = 0;
  for (let round = 0; round < KILLS; round++) {
    if (round > 0) await mutate(small, round);
    const child = startCli(home, backupArgs());
    const done = collect(child);
    // Even rounds: a moment after spawning (start-up, lock, walk or data); odd rounds: after the first progress line.
    const started = Date.now();
    if (round % 2 === 1)
      await new Promise<void>(resolve => {
        child.stderr!.once('data', () => resolve());
        child.once('close', () => resolve());
      });
    const delay = Math.floor(rnd() * lastRunMs * (round % 2 === 1 ? 0.35 : 1.1));
    await new Promise(r => setTimeout(r, delay));
    child.kill('SIGKILL');
    const killed = await done;
    const at = Date.now() - started;
    if (killed.signal === null) assert.equal(killed.code, 0, `the backup failed on its own:\n${killed.stderr}`);

    const before = await verifyOk(`kill ${round}`);
    const t0 = Date.now();
    const next = await runCli(home, [...backupArgs(), '--json']);
    lastRunMs = Date.now() - t0;
    assert.equal(next.code, 0, `the backup after kill ${round} exited ${next.code}:\n${next.stderr}`);
    const point = JSON.parse(next.stdout) as {type: string};
    assert.equal(point.type, before.points === 0 ? 'full' : 'incremental');
    committed = before.points + 1;
    t.diagnostic(
      `round ${round}: killed after ${at} ms (${killed.signal ?? `exited ${killed.code}`}); next backup took ${lastRunMs} ms`,
    );
  }
  // Nothing the killed runs left behind is visible as a point, and the latest point is the data as it is now.
  const list = JSON.parse((await runCli(home, ['list', '--repo', repo, '--json'])).stdout) as {
    id: string;
    points: number;
  }[];
  assert.equal(list.length, 1);
  assert.equal(list[0]!.points, committed);
  const out = join(work, 'restored');
  const r = await runCli(home, ['restore', '--repo', repo, '--backup', list[0]!.id, '--point', 'latest', '--to', out]);
  assert.equal(r.code, 0, r.stderr);
  await sameTree(data, join(out, 'data'), {owners: process.getuid?.() === 0});
});

async function plantLock(info: {host: string; pid: number; refreshed?: string}): Promise<void> {
  await fs.mkdir(join(repo, 'locks'), {recursive: true, mode: 0o700});
  const time = info.refreshed ?? new Date().toISOString();
  await fs.writeFile(
    join(repo, 'locks', 'writer'),
    JSON.stringify({
      host: info.host,
      pid: info.pid,
      user: 'mallory',
      operation: 'copy from /srv/primary',
      time,
      refreshed: time,
    }),
    {mode: 0o600},
  );
}

const lockExists = () =>
  fs.stat(join(repo, 'locks', 'writer')).then(
    () => true,
    () => false,
  );

test('a stale lock (dead process on this host, or a silent other host) is broken automatically', async () => {
  // A pid that surely existed and is gone now.
  const dead = spawnSync('sh', ['-c', 'echo $$']).stdout.toString().trim();
  await plantLock({host: hostname(), pid: Number(dead)});
  let r = await runCli(home, [...backupArgs(), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await lockExists(), false, 'the writer releases the lock it took');
  await plantLock({host: 'other-host.example', pid: 1, refreshed: new Date(Date.now() - 3600_000).toISOString()});
  r = await runCli(home, [...backupArgs(), '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await lockExists(), false);
});

test('a live lock makes a writer exit 11 naming the holder, and changes nothing', async () => {
  const points = async () => {
    const r = await runCli(home, ['list', '--repo', repo, '--json']);
    assert.equal(r.code, 0, `readers take no lock: ${r.stderr}`);
    return (JSON.parse(r.stdout) as {points: number}[])[0]!.points;
  };
  const count = await points();
  await plantLock({host: hostname(), pid: process.pid});
  let r = await runCli(home, backupArgs());
  assert.equal(r.code, 11, r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `locked by mallory@${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(pid ${process.pid}, copy from /srv/primary`,
    ),
  );
  assert.match(r.stderr, /hint: /);
  // Another host that refreshed its lock a moment ago is alive too.
  await plantLock({host: 'other-host.example', pid: 4242});
  r = await runCli(home, backupArgs());
  assert.equal(r.code, 11, r.stderr);
  assert.match(r.stderr, /other-host\.example \(pid 4242/);
  assert.equal(await lockExists(), true, 'a live lock is left alone');
  assert.equal(await points(), count);
  await fs.rm(join(repo, 'locks', 'writer'));
});
