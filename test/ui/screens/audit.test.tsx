// The Audit screen on a real repository: entries newest first with the one
// under the cursor in full, the hash-chain status (intact, or damaged naming
// the entry), crafted text shown escaped, and plain users refused.
import {after, before, test} from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {appendAudit, auditKey} from '../../../source/engine/access/audit.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {KEYS} from '../helpers.js';
import {assertFits, makeWorld, openTui, type World} from './world.js';

let world: World;
const actor = {user: 'root', uid: 0, viaSudo: false};
before(async () => {
  world = await makeWorld();
  const storage = new FilesystemStorage(world.primary);
  await appendAudit(storage, {
    action: 'access.grant',
    actor,
    result: 'ok',
    principal: 'user:alice',
    backupId: 'b000000000001',
    reason: 'e2e',
  });
  await appendAudit(storage, {
    action: 'restore.delegated',
    actor: {user: 'hadmin', uid: 1005, viaSudo: true},
    result: 'failed',
    forUser: 'alice',
    backupId: 'b000000000001',
    pointId: 'p000000000001',
    node: 'pc',
    disk: 'files',
    paths: ['docs/evil\nname\u001b[31m.txt'],
    destination: 'dir:/home/alice/r (keep)',
    reason: 'ticket\n9\u001b[2J',
    bytes: 12,
    error: 'Permission denied: /home/alice/r.',
  });
});
after(async () => world?.cleanup());

test('audit: newest first, the entry under the cursor in full, control characters escaped, chain intact', async () => {
  const size = {columns: 100, rows: 24};
  const r = await openTui(size);
  await r.waitFor(/sql-cluster/);
  await r.press('A');
  let frame = await r.waitFor(/Hash chain intact: 2 entries/);
  assert.match(frame, /demo-primary › audit/);
  assert.match(frame, /›\s+2 \S+ \S+ hadmin\*\s+restore\.delegated\s+alice\s+failed\s+ticket␊9␛\[2J/);
  assert.match(frame, /\n\s+1 \S+ \S+ root\s+access\.grant\s+user:alice\s+ok\s+e2e/);
  assert.match(frame, /#2 restore\.delegated by hadmin \(uid 1005, via sudo\) for alice · failed/);
  assert.match(frame, /paths docs\/evil␊name␛\[31m\.txt → dir:\/home\/alice\/r \(keep\)/);
  assert.match(
    frame,
    /\nreason: ticket␊9␛\[2J · error: Permission denied: \/home\/alice\/r\./,
    'the reason is shown whatever the width (the Reason column is the first to go)',
  );
  assert.doesNotMatch(frame, /\u001b/);
  assertFits(frame, size);
  await r.press(KEYS.down);
  frame = await r.waitFor(/#1 access\.grant by root/);
  await r.unmount();
});

test('audit: an edited entry is named as damaged', async () => {
  const key = join(world.primary, auditKey(1));
  const entry = JSON.parse(await fs.readFile(key, 'utf8'));
  await fs.writeFile(key, JSON.stringify({...entry, reason: 'nothing happened'}) + '\n');
  const r = await openTui({columns: 100, rows: 24});
  await r.waitFor(/sql-cluster/);
  await r.press('A');
  const frame = await r.waitFor(/Audit log damaged/);
  assert.match(frame, /entry 1 \(audit\/000000000001\.json\): edited/);
  await r.unmount();
});

test('audit: a plain user is refused in place', async () => {
  process.env['SUDO_UID'] = '65534';
  try {
    const r = await openTui({columns: 100, rows: 24});
    await r.press('A');
    // Through sudo only root's configuration and root-only repositories are used: this test world is neither.
    const frame = await r.waitFor(/may not read the audit log|Through sudo|No repository named/);
    assert.doesNotMatch(frame, /restore\.delegated/);
    await r.unmount();
  } finally {
    delete process.env['SUDO_UID'];
  }
});

test('audit at 80x24: Enter opens the entry in full — reason, destination, Keep/Overwrite, paths, error', async () => {
  const size = {columns: 80, rows: 24};
  const storage = new FilesystemStorage(world.primary);
  const destination = '/srv/restores/for-alice/a-rather-long-directory-name/that-does-not-fit-in-a-row-at-all';
  await appendAudit(storage, {
    action: 'restore.delegated',
    actor: {user: 'root', uid: 0, viaSudo: false},
    result: 'ok',
    forUser: 'alice',
    backupId: 'b000000000001',
    pointId: 'p000000000001',
    node: 'pc',
    disk: 'files',
    paths: ['docs/a.txt', 'docs/b.txt'],
    destination: `dir:${destination} (overwrite)`,
    reason: 'ticket 4712: the quarterly report was deleted by mistake on Friday',
    bytes: 2048,
  });
  const r = await openTui(size);
  await r.waitFor(/sql-cluster/);
  await r.press('A');
  let frame = await r.waitFor(/Hash chain|Audit log damaged/);
  assert.match(frame.split('\n').at(-1)!, /Enter open/);
  await r.press('g', KEYS.enter);
  frame = await r.waitFor(/Details/);
  assertFits(frame, size);
  const flat = frame.replace(/\s+/g, ' ');
  assert.match(flat, /Reason: ticket 4712: the quarterly report was deleted by mistake on Friday/);
  // A path longer than a line is broken across lines, never cut.
  assert.ok(frame.replace(/\s+/g, '').includes(`Destination:directory${destination}`), frame);
  assert.match(frame, /Existing files: Overwrite: they were replaced/);
  assert.match(frame, /Paths:\s+docs\/a\.txt\n\s+docs\/b\.txt/);
  assert.match(frame, /For:\s+alice/);
  await r.press(KEYS.esc);
  await r.waitFor(/Hash chain|Audit log damaged/);
  await r.unmount();
});
