/**
 * The SQLite explorer: a database found in a restore point (by its header),
 * opened from a private copy with better-sqlite3 — read-only, the file must
 * exist, no extension loading from SQL, the schema untrusted
 * (trusted_schema=OFF) — to list its tables with row counts, copy one table
 * or the whole database to a new file, or export a table as CSV (RFC 4180;
 * NULL as an empty field, blobs as base64). A crafted database is hostile
 * input: table and row counts and cell sizes are bounded, and only a single
 * CREATE TABLE statement from its schema is ever run (in the new file).
 */
import type Database from 'better-sqlite3';
import {readFile} from 'node:fs/promises';
import {BackhaulError, corrupt, quoted, usageError} from '../errors.js';

export const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');
export const MAX_TABLES = 10_000;
export const MAX_ROWS = 50_000_000;
const MAX_CELL = 64 * 1024 * 1024;

export interface TableInfo {
  name: string;
  rows: number;
}

export function isSqlite(head: Buffer): boolean {
  return head.length >= 16 && head.subarray(0, 16).equals(SQLITE_HEADER);
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function openReadOnly(file: string): Promise<Database.Database> {
  const head = (await readFile(file)).subarray(0, 16);
  if (!isSqlite(head))
    throw usageError(
      'This file is not a SQLite database (no "SQLite format 3" header).',
      'Pick a database file; the restore browser marks them.',
    );
  // Imported here: every command loads this module, few open a database.
  const {default: Sqlite} = await import('better-sqlite3');
  try {
    const db = new Sqlite(file, {readonly: true, fileMustExist: true});
    db.pragma('trusted_schema = OFF');
    db.pragma('cell_size_check = ON');
    db.defaultSafeIntegers(true);
    return db;
  } catch (e) {
    throw damaged(e);
  }
}

function damaged(e: unknown): BackhaulError {
  if (e instanceof BackhaulError) return e;
  return corrupt(
    `The database cannot be read: ${String((e as Error)?.message ?? e).slice(0, 200)}.`,
    'Restore the file itself and inspect it with sqlite3.',
  );
}

async function withDb<T>(file: string, fn: (db: Database.Database) => T): Promise<T> {
  const db = await openReadOnly(file);
  try {
    return fn(db);
  } catch (e) {
    throw damaged(e);
  } finally {
    db.close();
  }
}

function tables(db: Database.Database): Array<{name: string; sql: string}> {
  const rows = db
    .prepare(
      `SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name LIMIT ${MAX_TABLES + 1}`,
    )
    .all() as Array<{name: string; sql: string}>;
  if (rows.length > MAX_TABLES) throw corrupt(`The database lists more than ${MAX_TABLES} tables.`);
  return rows;
}

function findTable(db: Database.Database, name: string): {name: string; sql: string} {
  const t = tables(db).find(x => x.name === name);
  if (!t)
    throw new BackhaulError(
      'not-found',
      `The database has no table ${quoted(name)}.`,
      'List its tables with `backhaul explore sqlite ... --path DB`.',
    );
  return t;
}

export async function listTables(file: string): Promise<TableInfo[]> {
  return withDb(file, db =>
    tables(db).map(t => {
      const n = db.prepare(`SELECT count(*) AS n FROM ${ident(t.name)}`).get() as {n: bigint};
      return {name: t.name, rows: Number(n.n)};
    }),
  );
}

function* rowsOf(db: Database.Database, table: string): Generator<unknown[]> {
  let n = 0;
  for (const row of db
    .prepare(`SELECT * FROM ${ident(table)}`)
    .raw(true)
    .iterate() as Iterable<unknown[]>) {
    if (++n > MAX_ROWS) throw corrupt(`Table ${quoted(table)} holds more than ${MAX_ROWS} rows.`);
    for (const cell of row)
      if ((typeof cell === 'string' || Buffer.isBuffer(cell)) && cell.length > MAX_CELL)
        throw corrupt(`Table ${quoted(table)} has a cell over ${MAX_CELL} bytes.`);
    yield row;
  }
}

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = Buffer.isBuffer(v) ? v.toString('base64') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A table as CSV: a header line with the column names, then one line per row (CRLF). */
export async function tableCsv(file: string, table: string): Promise<Buffer> {
  return withDb(file, db => {
    findTable(db, table);
    const columns = db
      .prepare(`SELECT * FROM ${ident(table)}`)
      .columns()
      .map(c => c.name);
    const lines = [columns.map(csvField).join(',')];
    for (const row of rowsOf(db, table)) lines.push(row.map(csvField).join(','));
    return Buffer.from(lines.join('\r\n') + '\r\n');
  });
}

/** Copies the whole database into `out` (a new file), consistent and compacted (VACUUM INTO). */
export async function copyDatabase(file: string, out: string): Promise<void> {
  await withDb(file, db => db.prepare('VACUUM INTO ?').run(out));
}

/** Copies one table (its CREATE TABLE statement and every row) into a new database at `out`. */
export async function copyTable(file: string, table: string, out: string): Promise<number> {
  const {default: Sqlite} = await import('better-sqlite3');
  return withDb(file, db => {
    const t = findTable(db, table);
    if (!/^\s*CREATE\s+TABLE\s/i.test(t.sql ?? ''))
      throw corrupt(`Table ${quoted(table)} is not a plain table (${quoted(String(t.sql).slice(0, 40))}).`);
    const target = new Sqlite(out, {fileMustExist: false});
    try {
      target.pragma('trusted_schema = OFF');
      target.prepare(t.sql).run();
      const width = db.prepare(`SELECT * FROM ${ident(table)}`).columns().length;
      const insert = target.prepare(`INSERT INTO ${ident(table)} VALUES (${Array(width).fill('?').join(', ')})`);
      let n = 0;
      target.transaction(() => {
        for (const row of rowsOf(db, table)) {
          insert.run(...row);
          n++;
        }
      })();
      return n;
    } finally {
      target.close();
    }
  });
}
