/**
 * The explorers on real backups: a SQLite database restored table by table
 * matches its source row for row, a CSV export parses back to the same rows,
 * the whole database copies; 3 chosen Maildir messages restore byte-identical
 * into a new Maildir folder, mbox messages list and restore; a delegated run
 * writes as the recipient and is audited with the items; a crafted database
 * is refused cleanly; a database inside a volume image is explored too.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import {execFileSync, spawnSync} from 'node:child_process';
import * as fs from 'node:fs/promises';
import {tmpdir, userInfo} from 'node:os';
import {join} from 'node:path';
import {after, before, test} from 'node:test';
import {readAudit} from '../../../source/engine/access/audit.js';
import {runBackup} from '../../../source/engine/agent/backup.js';
import {
  exploreMailList,
  exploreMailRestore,
  exploreSqliteRestore,
  exploreSqliteTables,
} from '../../../source/engine/operations/explore.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';

let work: string;
let src: string;
let repo: Repository;
let backupId: string;
let imageBackupId: string;
const nobody = spawnSync('id', ['-u', 'nobody'], {encoding: 'utf8'}).stdout.trim();

const notes: unknown[][] = [
  [1, 'plain', null],
  [2, 'comma, "quoted"\nand a newline', 2.5],
  [3, '', -7],
];

function message(n: number): string {
  return `From: Person ${n} <p${n}@example.com>\r\nTo: alice@example.com\r\nSubject: Message ${n}\r\nDate: Tue, 0${n} Dec 2026 10:00:00 +0000\r\nMessage-ID: <m${n}@example.com>\r\n\r\nBody ${n}\r\nFrom the start of a line\r\n`;
}

/** A message as an mbox holds it: LF line ends, a body line starting "From " quoted. */
const mboxBody = (n: number) => message(n).replace(/\r/g, '').replace('\nFrom the start', '\n>From the start');

before(async () => {
  work = await fs.mkdtemp(join(tmpdir(), 'backhaul-explore-'));
  src = join(work, 'src');
  await fs.mkdir(join(src, 'alice/Maildir/cur'), {recursive: true});
  await fs.mkdir(join(src, 'alice/Maildir/new'));
  await fs.mkdir(join(src, 'alice/Maildir/tmp'));
  await fs.mkdir(join(src, 'alice/Maildir/.Archive/cur'), {recursive: true});
  const db = new Database(join(src, 'alice/app.db'));
  db.exec(
    'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, score REAL, avatar BLOB); CREATE TABLE notes (id INTEGER, body TEXT, weight);',
  );
  const add = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= 500; i++) add.run(i, `user ${i}`, i / 3, i % 10 === 0 ? null : Buffer.from([i & 255, 0, 1]));
  })();
  for (const n of notes) db.prepare('INSERT INTO notes VALUES (?, ?, ?)').run(...n);
  db.close();
  for (let n = 1; n <= 4; n++)
    await fs.writeFile(
      join(src, 'alice/Maildir', n === 4 ? '.Archive/cur' : 'cur', `17000000${n}.M${n}P1.host:2,S`),
      message(n),
    );
  await fs.writeFile(
    join(src, 'alice/inbox.mbox'),
    `From p1@example.com Tue Dec  1 10:00:00 2026\n${mboxBody(1)}\nFrom p2@example.com Wed Dec  2 10:00:00 2026\n${mboxBody(2)}`,
  );
  await fs.writeFile(
    join(src, 'alice/crafted.db'),
    Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4080, 0xff)]),
  );
  repo = await Repository.create(new FilesystemStorage(join(work, 'repo')));
  backupId = (
    await runBackup(repo, {
      job: 'j',
      machine: 'mail',
      kind: 'workstation',
      owner: userInfo().username,
      nodes: [
        {name: 'mail', disks: [{name: 'files', kind: 'files', roots: [{root: join(src, 'alice'), prefix: 'alice'}]}]},
      ],
    })
  ).backupId;
  const image = join(work, 'vol.img');
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', src, image, '32M']);
  imageBackupId = (
    await runBackup(repo, {
      job: 'v',
      machine: 'vm',
      kind: 'server',
      owner: userInfo().username,
      nodes: [{name: 'vm', disks: [{name: 'data', kind: 'image', image}]}],
    })
  ).backupId;
});

after(async () => {
  await fs.rm(work, {recursive: true, force: true});
});

const job = (path: string) => ({backupId, pointId: 'latest', path});

function rows(file: string, table: string): unknown[][] {
  const db = new Database(file, {readonly: true});
  try {
    return db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).raw(true).all() as unknown[][];
  } finally {
    db.close();
  }
}

/** RFC 4180, as the export writes it. */
function parseCsv(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field);
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      field += '"';
      i++;
    } else if (quoted && c === '"') {
      quoted = false;
    } else if (quoted) {
      field += c;
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      endField();
    } else if (c === '\r' && text[i + 1] === '\n') {
      endField();
      out.push(row);
      row = [];
      i++;
    } else {
      field += c;
    }
  }
  return out;
}

test('tables with row counts; a restored table matches the source row for row; the whole database copies', async () => {
  assert.deepEqual(await exploreSqliteTables(repo, job('alice/app.db')), [
    {name: 'notes', rows: 3},
    {name: 'users', rows: 500},
  ]);
  const source = join(src, 'alice/app.db');
  const one = join(work, 'out/users.db');
  const r = await exploreSqliteRestore(repo, {...job('alice/app.db'), table: 'users', to: one});
  assert.deepEqual(r.items, ['alice/app.db#table:users']);
  assert.deepEqual(rows(one, 'users'), rows(source, 'users'));
  assert.equal((await fs.stat(one)).mode & 0o777, 0o600);
  const whole = join(work, 'out/app.db');
  await exploreSqliteRestore(repo, {...job('alice/app.db'), to: whole});
  for (const t of ['users', 'notes']) assert.deepEqual(rows(whole, t), rows(source, t));
  await assert.rejects(exploreSqliteRestore(repo, {...job('alice/app.db'), to: whole}), {code: 'exists'});
});

test('a CSV export parses back to the same rows', async () => {
  const to = join(work, 'out/notes.csv');
  await exploreSqliteRestore(repo, {...job('alice/app.db'), table: 'notes', csv: true, to});
  const parsed = parseCsv(await fs.readFile(to, 'utf8'));
  assert.deepEqual(parsed[0], ['id', 'body', 'weight']);
  assert.deepEqual(
    parsed.slice(1),
    notes.map(r => r.map(v => (v === null ? '' : String(v)))),
  );
  const users = parseCsv(
    await (async () => {
      const f = join(work, 'out/users.csv');
      await exploreSqliteRestore(repo, {...job('alice/app.db'), table: 'users', csv: true, to: f});
      return fs.readFile(f, 'utf8');
    })(),
  );
  const source = rows(join(src, 'alice/app.db'), 'users');
  assert.deepEqual(
    users.slice(1),
    source.map(r => r.map(v => (v === null ? '' : Buffer.isBuffer(v) ? v.toString('base64') : String(v)))),
  );
});

test('a crafted database is refused with a typed error, and its temporary copy is gone', async () => {
  const before = (await fs.readdir(tmpdir())).filter(n => n.startsWith('backhaul-explore-')).length;
  await assert.rejects(exploreSqliteTables(repo, job('alice/crafted.db')), {code: 'corrupt'});
  await assert.rejects(exploreSqliteTables(repo, job('alice/inbox.mbox')), {code: 'usage'});
  assert.equal((await fs.readdir(tmpdir())).filter(n => n.startsWith('backhaul-explore-')).length, before);
});

test('3 chosen Maildir messages restore byte-identical into a new Maildir folder', async () => {
  const box = await exploreMailList(repo, job('alice/Maildir'));
  assert.equal(box.kind, 'maildir');
  assert.deepEqual(box.folders, ['', '.Archive']);
  assert.deepEqual(box.messages.map(m => m.subject).sort(), ['Message 1', 'Message 2', 'Message 3', 'Message 4']);
  const m4 = box.messages.find(m => m.subject === 'Message 4')!;
  assert.equal(m4.from, '"Person 4" <p4@example.com>');
  assert.equal(m4.date, '2026-12-04T10:00:00.000Z');
  const chosen = box.messages.filter(m => m.subject !== 'Message 2');
  const to = join(work, 'out/Restored');
  const r = await exploreMailRestore(repo, {
    ...job('alice/Maildir'),
    ids: chosen.map(m => m.id),
    to,
    format: 'maildir',
  });
  assert.equal(r.items.length, 3);
  assert.deepEqual((await fs.readdir(join(to, 'cur'))).sort(), chosen.map(m => m.name!).sort());
  for (const m of chosen)
    assert.deepEqual(await fs.readFile(join(to, 'cur', m.name!)), await fs.readFile(join(src, 'alice/Maildir', m.id)));
  assert.deepEqual((await fs.readdir(to)).sort(), ['cur', 'new', 'tmp']);
});

test('mbox messages list, and restore to a new mbox file that lists the same', async () => {
  const box = await exploreMailList(repo, job('alice/inbox.mbox'));
  assert.deepEqual(
    box.messages.map(m => [m.id, m.subject]),
    [
      ['1', 'Message 1'],
      ['2', 'Message 2'],
    ],
  );
  const to = join(work, 'out/two.mbox');
  await exploreMailRestore(repo, {...job('alice/inbox.mbox'), ids: ['2'], to, format: 'mbox'});
  const text = await fs.readFile(to, 'utf8');
  assert.match(text, /^From MAILER-DAEMON /);
  assert.ok(text.includes(mboxBody(2)));
  const again = await fs.readFile(to);
  assert.deepEqual(again.subarray(again.indexOf('\n') + 1, again.length - 1).toString(), mboxBody(2));
});

test(
  'a delegated restore of one message writes as the recipient and is audited with the item',
  {skip: process.geteuid?.() !== 0 || !nobody ? 'needs root and nobody' : false},
  async () => {
    const to = join(work, 'for-nobody');
    await fs.chmod(work, 0o755);
    await fs.mkdir(to);
    await fs.chown(to, Number(nobody), Number(nobody));
    const box = await exploreMailList(repo, job('alice/Maildir'));
    const one = box.messages[0]!;
    const r = await exploreMailRestore(repo, {
      ...job('alice/Maildir'),
      forUser: 'nobody',
      reason: 'ticket 9: lost mail',
      ids: [one.id],
      to: join(to, 'Mail'),
      format: 'maildir',
    });
    const file = join(to, 'Mail/cur', one.name!);
    assert.equal((await fs.stat(file)).uid, Number(nobody));
    assert.ok(r.audit);
    const entries = await readAudit(repo.storage);
    const last = entries.at(-1)!;
    assert.equal(last.action, 'restore.delegated');
    assert.equal(last.forUser, 'nobody');
    assert.deepEqual(last.paths, [`alice/Maildir#${one.id}`]);
    assert.equal(last.reason, 'ticket 9: lost mail');
    assert.equal(last.result, 'ok');
  },
);

test('a database inside a volume image is explored like any file', async () => {
  const tables = await exploreSqliteTables(repo, {
    backupId: imageBackupId,
    pointId: 'latest',
    disk: 'data',
    path: 'alice/app.db',
  });
  assert.deepEqual(tables, [
    {name: 'notes', rows: 3},
    {name: 'users', rows: 500},
  ]);
});
