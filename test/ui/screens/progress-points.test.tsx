// Copy progress at 80x24 (issue 18): a copy whose source has a damaged chunk
// fails the points that need it; those rows are a list that scrolls (more
// points than fit) and Enter opens one with its whole failure message. While
// the copy runs, no frame shows a processed rate of 0 B/s once bytes have
// been sent; the History shows the sent bytes with their own rate (the
// summary's figures), never the processed rate beside "Sent".
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {recordSession, readHistory} from '../../../source/engine/jobs/history.js';
import type {CopySummary} from '../../../source/engine/copy/events.js';
import {resolveRepository} from '../../../source/engine/workspace/open.js';
import {pointChunks} from '../../../source/engine/repository/verify.js';
import type {BackupId} from '../../../source/engine/ids.js';
import {formatRate} from '../../../source/ui/format.js';
import {flipChunkByte} from '../../helpers/damage.js';
import {KEYS} from '../helpers.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';

let world: World;
before(async () => {
  world = await makeWorld(24);
  const repo = await resolveRepository(world.primary);
  // More points than the pane shows at 80x24.
  for (let i = 0; i < 6; i++) {
    await runBackup(repo, {
      job: 'laptops',
      machine: 'alice-laptop',
      kind: 'workstation',
      owner: 'alice',
      time: new Date(Date.UTC(2026, 10, 24, 9, i)),
      nodes: [
        {
          name: 'alice-laptop',
          disks: [{name: 'files', kind: 'files', roots: [{root: join(world.dir, 'src', 'alice'), prefix: ''}]}],
        },
      ],
    });
  }
  // A data chunk every point of alice-laptop needs and no other backup has: each of them fails, nothing else does.
  const fresh = await resolveRepository(world.primary);
  const backups = await fresh.listBackups();
  const chunksOf = async (machine: string) => {
    const b = backups.find(x => x.machine === machine)!;
    const sets = await Promise.all((await fresh.listPoints(b.id as BackupId)).map(p => pointChunks(fresh, p)));
    return {all: new Set(sets.flatMap(s => [...s])), common: [...sets[0]!].filter(id => sets.every(s => s.has(id)))};
  };
  const alice = await chunksOf('alice-laptop');
  const others = new Set((await Promise.all(['web01', 'sql-cluster', 'bulk'].map(chunksOf))).flatMap(c => [...c.all]));
  const trees = new Set<string>(
    (await fresh.listPoints(backups.find(b => b.machine === 'alice-laptop')!.id as BackupId)).flatMap(p =>
      p.nodes.flatMap(n => n.disks.flatMap(d => d.tree ?? [])),
    ),
  );
  const victim = alice.common.find(id => !others.has(id) && !trees.has(id));
  assert.ok(victim, 'a data chunk only alice-laptop has');
  await flipChunkByte(world.primary, fresh, victim);
});
after(async () => world?.cleanup());

const BYTES = /(?:processed|transferred|sent) ([\d.]+ \w+)/g;

test('80x24: failed points are a list that scrolls; Enter opens one in full; no 0 B/s rate once bytes are sent', async () => {
  const size = {columns: 80, rows: 24};
  const r = await openTui(size);
  await r.waitFor(/alice-laptop/);
  await r.press('a', 'c');
  await r.waitFor(f => /Selection\s+4 backups/.test(f) && !/Planning the copy/.test(f));
  await r.press('p');
  await r.waitFor(
    f =>
      /every restore point of each backup/.test(f) &&
      /alice-laptop \(workstation\)\s+9\s+0\s/.test(f) &&
      !/Planning the copy/.test(f),
  );
  await r.press('G');
  let frame = await r.waitFor(/13 restore points to copy/);
  const first = r.frames.length;
  await r.press(KEYS.enter);
  frame = await r.waitFor(/Esc leaves/, 120_000);
  assertFits(frame, size);

  // While it ran: bytes sent means a processed rate above 0 B/s.
  for (const f of r.frames
    .slice(first)
    .filter(x => /Copy progress/.test(x) && !/Copy (finished|failed|cancelled)/.test(x))) {
    const sent = [...f.matchAll(BYTES)].some(m => m[1] !== '0 B');
    if (sent) assert.doesNotMatch(f, /rate 0 B\/s|\(0 B\/s\)/, `a frame says 0 B/s although bytes moved:\n${f}`);
  }
  assert.match(frame, /! Copy finished with warnings: 4 copied, 0 skipped, 9 failed/);
  assert.match(frame, /9 failed/);
  // The list scrolls: the last row comes into view, the first goes out of it.
  await r.press('G');
  frame = r.frame();
  assert.match(frame, /13\/13/);
  assert.match(frame, /›\s+✓ web01 11-22 09:30/);
  assert.doesNotMatch(frame, /alice-laptop 11-20 09:30/);
  await r.press('g');
  frame = r.frame();
  assert.match(frame, /›\s+✗ alice-laptop 11-20 09:30\s+failed/);
  await r.press(KEYS.enter);
  frame = await r.waitFor(/Details/);
  assertFits(frame, size);
  assert.match(frame, /Backup:\s+alice-laptop/);
  assert.match(frame, /Status:\s+failed/);
  const why = frame.replace(/\s+/g, ' ');
  assert.match(
    why,
    /Why: Restore point p\w+ of alice-laptop \(2026-11-20T09:30:00\.000Z\) was not copied: 1 chunk\(s\) in source pack [0-9a-f]{12} of .* are damaged \(first: [0-9a-f]{12}\)\./,
  );
  await r.press(KEYS.esc);
  frame = await r.waitFor(/Esc leaves/);
  assert.match(frame, /Copy progress/);
  await r.unmount();
});

test("History: Sent with its own rate and the processed bytes, as the session's summary has them", async () => {
  const summary: CopySummary = {
    result: 'success',
    pointsCopied: 12,
    pointsSkipped: 0,
    pointsFailed: 0,
    failed: [],
    logicalBytes: 3 * 1024 ** 3,
    readBytes: 105 * 1024,
    transferredBytes: 105 * 1024,
    storedBytes: 110 * 1024,
    seconds: 10,
    rate: 306 * 1024 ** 2,
    bottleneck: 'source read',
    startedAt: '2026-11-25T10:00:00.000Z',
    endedAt: '2026-11-25T10:00:10.000Z',
    retries: 0,
    stalls: 0,
    notices: [],
  };
  await recordSession({kind: 'copy', source: world.primary, target: world.secondary, summary, log: ['incremental']});
  assert.equal((await readHistory()).at(-1)?.summary.rate, summary.rate);
  const size = {columns: 120, rows: 40};
  const r = await openTui(size);
  await r.waitFor(/alice-laptop/);
  await r.press('H');
  let frame = await r.waitFor(/\d+ past copy sessions?/);
  assert.match(frame, /Sent\s+Sent\/s\s+Processed/);
  assert.match(frame, /›.*success\s+demo-primary → demo-secondary\s+12\s+10s\s+105 KiB\s+10\.5 KiB\/s\s+3\.00 GiB/);
  assert.doesNotMatch(
    frame,
    new RegExp(formatRate(summary.rate).replace(/[.()/]/g, '\\$&')),
    'the processed rate is not shown next to Sent',
  );
  await r.press(KEYS.enter);
  frame = await r.waitFor(/Copy session/);
  assert.match(frame, /processed 3\.00 GiB \(306 MiB\/s\) · read 105 KiB · sent 105 KiB \(10\.5 KiB\/s\)/);
  await r.unmount();
});
