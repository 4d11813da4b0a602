/**
 * A user's home directory inside db01's volume image, to show file-level
 * restore from an image and the explorers: alice's notes, a SQLite database
 * (her inventory app's) and a Maildir with an Archive folder. Built from its
 * own forked random stream, so the rest of the demo stays as it was; the
 * database is written with fixed statements (same bytes every build).
 */
import type {Rng} from './random.js';
import type {TreeWriter} from './tree-writer.js';

const DAY = 86_400;
export const DEMO_HOME = 'home/alice';
export const DEMO_DB = `${DEMO_HOME}/app/inventory.db`;
export const DEMO_MAILDIR = `${DEMO_HOME}/Maildir`;
const PEOPLE = ['Bob Builder <bob@example.com>', 'Carol Ops <carol@example.com>', 'Dave Finance <dave@example.com>'];

function message(rng: Rng, n: number, when: number): string {
  const date = new Date(when * 1000).toUTCString().replace('GMT', '+0000');
  const subject = `${rng.sentence().slice(0, 40)} (#${n})`;
  return [
    `From: ${rng.pick(PEOPLE)}`,
    'To: Alice Admin <alice@example.com>',
    `Subject: ${subject}`,
    `Date: ${date}`,
    `Message-ID: <demo-${n}@example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    rng.prose(600),
    '',
  ].join('\r\n');
}

export async function buildHome(w: TreeWriter, root: string, rng: Rng, now: number): Promise<void> {
  const r = rng.fork('home');
  await w.file(`${root}/${DEMO_HOME}/notes.txt`, r.prose(3000), {mode: 0o600, mtime: now - 3 * DAY});
  await w.file(`${root}/${DEMO_HOME}/.profile`, 'export EDITOR=vi\n', {mode: 0o644, mtime: now - 200 * DAY});
  for (const sub of ['cur', 'new', 'tmp', '.Archive/cur', '.Archive/new', '.Archive/tmp'])
    await w.dir(`${root}/${DEMO_MAILDIR}/${sub}`, 0o700);
  for (let n = 1; n <= 8; n++) {
    const when = now - (9 - n) * DAY;
    const folder = n <= 3 ? '.Archive/cur' : n === 8 ? 'new' : 'cur';
    const name = `${when}.M${n}P${1000 + n}.db01${folder.endsWith('new') ? '' : ':2,S'}`;
    await w.file(`${root}/${DEMO_MAILDIR}/${folder}/${name}`, message(r, n, when), {mode: 0o600, mtime: when});
  }
  await w.dir(`${root}/${DEMO_HOME}/app`, 0o755);
  const {default: Sqlite} = await import('better-sqlite3');
  const db = new Sqlite(':memory:');
  let bytes: Buffer;
  try {
    db.exec(
      'CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, price REAL);' +
        'CREATE TABLE orders (id INTEGER PRIMARY KEY, item INTEGER REFERENCES items(id), customer TEXT, placed TEXT);',
    );
    const item = db.prepare('INSERT INTO items VALUES (?, ?, ?, ?)');
    const order = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 1; i <= 120; i++) item.run(i, `${r.word()} ${r.word()}`, r.int(0, 500), r.int(100, 99_999) / 100);
      for (let i = 1; i <= 400; i++)
        order.run(
          i,
          r.int(1, 120),
          r.pick(PEOPLE).split(' <')[0],
          new Date((now - r.int(0, 60 * DAY)) * 1000).toISOString(),
        );
    })();
    bytes = db.serialize();
  } finally {
    db.close();
  }
  await w.file(`${root}/${DEMO_DB}`, bytes, {mode: 0o640, mtime: now - DAY});
}
