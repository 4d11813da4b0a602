import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {fileURLToPath} from 'node:url';
import {test} from 'node:test';
import {
  appendAudit,
  auditKey,
  canonicalJson,
  GENESIS_HASH,
  hashEntry,
  readAudit,
  verifyAudit,
  type AuditInput,
} from '../../../source/engine/access/audit.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {carol, tempStorage} from './fixtures.js';

const restore = (n: number): AuditInput => ({
  action: 'restore.delegated',
  actor: carol,
  forUser: 'alice',
  backupId: 'bcopy00000001',
  pointId: 'p000000000001',
  node: 'alice-pc',
  disk: 'home',
  paths: [`docs/report-${n}.odt`],
  destination: '/home/alice/restored',
  reason: `ticket ${n}`,
  startedAt: '2024-05-01T10:00:00.000Z',
  endedAt: '2024-05-01T10:01:00.000Z',
  bytes: 1000 * n,
  result: 'ok',
});

async function appendFive(storage: FilesystemStorage) {
  for (let n = 1; n <= 5; n++) await appendAudit(storage, restore(n));
}

test('canonical JSON sorts keys and drops undefined members', () => {
  assert.equal(canonicalJson({b: 1, a: {d: [1, 'x'], c: undefined}}), '{"a":{"d":[1,"x"]},"b":1}');
});

test('entries form a hash chain in seq order', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    await appendFive(storage);
    const entries = await readAudit(storage);
    assert.deepEqual(
      entries.map(e => e.seq),
      [1, 2, 3, 4, 5],
    );
    assert.equal(entries[0]!.prevHash, GENESIS_HASH);
    for (let i = 1; i < 5; i++) assert.equal(entries[i]!.prevHash, entries[i - 1]!.hash);
    for (const e of entries) assert.equal(hashEntry(e), e.hash);
    assert.deepEqual(entries[2]!.actor, {user: 'carol', uid: 1003, viaSudo: false});
    assert.equal(entries[2]!.reason, 'ticket 3');
    assert.ok((await storage.stat(auditKey(5))) !== undefined);
    const report = await verifyAudit(storage);
    assert.equal(report.ok, true);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.head, {seq: 5, hash: entries[4]!.hash});
  } finally {
    await cleanup();
  }
});

test('editing entry 3 is detected and names entry 3', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    await appendFive(storage);
    const original = JSON.parse((await storage.get(auditKey(3))).toString());
    await storage.put(auditKey(3), Buffer.from(JSON.stringify({...original, destination: '/tmp/elsewhere'})));
    const report = await verifyAudit(storage);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map(p => [p.seq, p.key]),
      [[3, 'audit/000000000003.json']],
    );
    assert.match(report.problems[0]!.reason, /edited/);
  } finally {
    await cleanup();
  }
});

test('editing entry 3 and recomputing its hash still names entry 3', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    await appendFive(storage);
    const original = JSON.parse((await storage.get(auditKey(3))).toString());
    const forged = {...original, forUser: 'mallory'};
    forged.hash = hashEntry(forged);
    await storage.put(auditKey(3), Buffer.from(JSON.stringify(forged)));
    const report = await verifyAudit(storage);
    assert.deepEqual(
      report.problems.map(p => p.seq),
      [3, 3],
    );
    assert.ok(report.problems.some(p => /entry 4 recorded a different hash/.test(p.reason)));
    assert.ok(
      report.problems.some(p => /differs from the anchored hash/.test(p.reason)),
      'the anchor names it too',
    );
  } finally {
    await cleanup();
  }
});

test('a deleted entry shows as a gap; an unreadable one is named', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    await appendFive(storage);
    await storage.delete(auditKey(2));
    await storage.put(auditKey(4), Buffer.from('garbage'));
    const report = await verifyAudit(storage);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.problems.map(p => p.seq),
      [2, 4],
    );
    assert.match(report.problems[0]!.reason, /missing/);
    assert.match(report.problems[1]!.reason, /not a readable/);
    assert.deepEqual(
      report.entries.map(e => e.seq),
      [1, 3, 5],
    );
    await assert.rejects(readAudit(storage), /Audit entry audit\/000000000004.json/);
  } finally {
    await cleanup();
  }
});

test('swapping two entries and deleting the first are detected', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    await appendFive(storage);
    const two = await storage.get(auditKey(2));
    const three = await storage.get(auditKey(3));
    await storage.put(auditKey(2), three);
    await storage.put(auditKey(3), two);
    await storage.delete(auditKey(1));
    await storage.put('audit/stray.json', Buffer.from('{}'));
    const report = await verifyAudit(storage);
    assert.equal(report.ok, false);
    const seqs = new Set(report.problems.map(p => p.seq));
    for (const seq of [null, 1, 2, 3])
      assert.ok(seqs.has(seq), `problem for ${seq}: ${JSON.stringify(report.problems)}`);
  } finally {
    await cleanup();
  }
});

test('appends after a damaged tail still chain, and verify keeps naming the damage', async () => {
  const {storage, cleanup} = await tempStorage();
  try {
    await appendFive(storage);
    await storage.put(auditKey(5), Buffer.from('garbage'));
    const sixth = await appendAudit(storage, restore(6));
    assert.equal(sixth.seq, 6);
    assert.deepEqual(
      (await verifyAudit(storage)).problems.map(p => p.seq),
      [5],
    );
  } finally {
    await cleanup();
  }
});

test('concurrent appenders in one process produce one gap-free chain', async () => {
  const {storage, dir, cleanup} = await tempStorage();
  try {
    // Separate storage objects, as separate commands would have.
    await Promise.all(Array.from({length: 24}, (_, n) => appendAudit(new FilesystemStorage(dir), restore(n))));
    const report = await verifyAudit(storage);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(
      report.entries.map(e => e.seq),
      Array.from({length: 24}, (_, i) => i + 1),
    );
    assert.equal(new Set(report.entries.map(e => e.reason)).size, 24);
  } finally {
    await cleanup();
  }
});

const auditModule = fileURLToPath(new URL('../../../source/engine/access/audit.ts', import.meta.url));
const fsModule = fileURLToPath(new URL('../../../source/engine/storage/filesystem.ts', import.meta.url));

function appendInChild(dir: string, tag: string, count: number): Promise<void> {
  const script = `
    const {appendAudit} = await import(${JSON.stringify(auditModule)});
    const {FilesystemStorage} = await import(${JSON.stringify(fsModule)});
    const storage = new FilesystemStorage(${JSON.stringify(dir)});
    await Promise.all(Array.from({length: ${count}}, (_, n) => appendAudit(storage, {action: 'access.grant', actor: {user: 'carol', uid: 1003, viaSudo: false}, result: 'ok', reason: ${JSON.stringify(tag)} + n})));
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', d => (stderr += d));
    child.on('error', reject);
    child.on('exit', code => (code === 0 ? resolve() : reject(new Error(`child ${tag} exited ${code}: ${stderr}`))));
  });
}

test('concurrent appenders in separate processes produce one gap-free chain', async () => {
  const {storage, dir, cleanup} = await tempStorage();
  try {
    await Promise.all(['a', 'b', 'c'].map(tag => appendInChild(dir, tag, 10)));
    const report = await verifyAudit(storage);
    assert.deepEqual(report.problems, []);
    assert.equal(report.entries.length, 30);
    assert.equal(new Set(report.entries.map(e => e.reason)).size, 30);
  } finally {
    await cleanup();
  }
});
