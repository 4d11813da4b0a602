// The TUI left open while an agent backup commits a new restore point (issue
// 13, item 11): the Backups and Restore points screens show it within
// seconds, without a key, and the copy plan counts its bytes (not 0 B, no
// "chunk is missing") although the TUI opened the repository before it.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {planCopy} from '../../../source/engine/copy/plan.js';
import {resolveRepository} from '../../../source/engine/workspace/open.js';
import {formatBytes} from '../../../source/ui/format.js';
import {makeWorld, openTui, type World} from './world.js';
import {KEYS} from '../helpers.js';

let world: World;
before(async () => {
  world = await makeWorld();
});
after(async () => world?.cleanup());

/** Another process's agent backup of alice-laptop (its own handle on the repository), with new data. */
async function agentBackup(round: number): Promise<void> {
  const root = join(world.dir, 'src', 'alice');
  await writeFile(join(root, `docs/new-${round}.bin`), randomBytes(1536 * 1024));
  await runBackup(await resolveRepository('demo-primary'), {
    job: 'laptops',
    machine: 'alice-laptop',
    kind: 'workstation',
    owner: 'alice',
    nodes: [{name: 'alice-laptop', disks: [{name: 'files', kind: 'files', roots: [{root, prefix: ''}]}]}],
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('an agent backup committed while the TUI is open shows up on Backups and Restore points; its copy plan counts its bytes', async () => {
  const r = await openTui({columns: 120, rows: 40});
  let frame = await r.waitFor(/alice-laptop\s+workstation\s+alice\s+\d/); // counted (the rows show before)
  assert.match(frame, /alice-laptop\s+workstation\s+alice\s+3\s+\d+d ago/);

  await agentBackup(1);
  frame = await r.waitFor(/alice-laptop\s+workstation\s+alice\s+4\s+just now/, 30_000);
  assert.match(frame, /demo-primary: 3 backups/);

  await r.press('/alice', KEYS.enter, 'c');
  frame = await r.waitFor(/1 restore point to copy/);
  const [source, target] = await Promise.all([resolveRepository('demo-primary'), resolveRepository('demo-secondary')]);
  const alice = (await source.listBackups()).find(b => b.machine === 'alice-laptop')!;
  const expected = await planCopy(source, target, {backups: [alice.id], points: 'latest'});
  assert.ok(expected.transferBytes > 1536 * 1024, 'the new point holds the new data');
  assert.match(
    frame,
    new RegExp(
      `alice-laptop \\(workstation\\)\\s+1\\s+3\\s+\\S+ \\w+\\s+${escape(formatBytes(expected.transferBytes))}\\s`,
    ),
  );
  assert.match(
    frame,
    new RegExp(`To transfer \\(each missing chunk once\\)\\s+${escape(formatBytes(expected.transferBytes))}`),
  );
  assert.doesNotMatch(frame, /missing from|not copied/);

  await r.press(KEYS.esc, KEYS.enter);
  frame = await r.waitFor(/4 restore points/);
  await agentBackup(2);
  frame = await r.waitFor(/5 restore points/, 30_000);
  assert.match(frame, /Time \(UTC\)[^\n]*\n[› ][ ●] \S+ \S+\s+just now\s+incremental/, 'the new point on top');
  await r.unmount();
});
