/**
 * The explorers, one entry for both faces: list what a SQLite database or a
 * mailbox in a restore point holds, and restore items of it (a table, the
 * whole database, a CSV export, chosen messages) to new files for oneself or
 * on a user's behalf — audited with the items restored (explore-access.ts).
 */
import {join} from 'node:path';
import type {AuditEntry} from '../access/audit.js';
import {BackhaulError, notFound, quoted, usageError} from '../errors.js';
import {deliver, newFile, type Produced} from '../explore/deliver.js';
import {
  describe,
  isMbox,
  maildirMessages,
  mboxMessages,
  toMbox,
  MAX_MESSAGE_BYTES,
  type MessageInfo,
} from '../explore/mail.js';
import {withPointFiles, type PointFiles} from '../explore/point-files.js';
import {copyDatabase, copyTable, listTables, tableCsv, type TableInfo} from '../explore/sqlite.js';
import {listInside, type InsideItem} from '../images/inside.js';
import {openImage} from '../images/open-image.js';
import type {Repository} from '../repository/repository.js';
import {pickDisks} from '../restore/select.js';
import {openTarget, type ExploreTarget, type Opened} from './explore-access.js';

export type {ExploreTarget} from './explore-access.js';

export interface Delivered {
  /** What was restored, as recorded in the audit entry. */
  items: string[];
  destination: string;
  bytes: number;
  audit?: AuditEntry;
}

function onlyFile(files: PointFiles, what: string) {
  const mine = files.entries.find(e => e.rel === '');
  if (!mine || mine.entry.type !== 'file')
    throw usageError(
      `${quoted(files.entries[0]?.entry.parts.join('/') ?? what)} is not a file.`,
      `Name the ${what} file with --path.`,
    );
  return mine;
}

async function withDatabase<T>(
  repo: Repository,
  opened: Opened,
  job: ExploreTarget,
  fn: (file: string) => Promise<T>,
): Promise<T> {
  return withPointFiles(repo, opened.point, job, async files => {
    const {file, dispose} = await files.toPrivateFile(onlyFile(files, 'database').index);
    try {
      return await fn(file);
    } finally {
      await dispose();
    }
  });
}

export async function exploreSqliteTables(repo: Repository, job: ExploreTarget): Promise<TableInfo[]> {
  const opened = await openTarget(repo, job);
  return withDatabase(repo, opened, job, file => listTables(file));
}

/** Runs a restore of items and its audit entry (ok or failed) when the run is audited. */
async function audited(
  opened: Opened,
  items: string[],
  destination: string,
  run: () => Promise<number>,
): Promise<Delivered> {
  try {
    const bytes = await run();
    return {items, destination, bytes, audit: await opened.audit?.(items, destination, {bytes})};
  } catch (e) {
    await opened.audit?.(items, destination, {error: e}).catch(() => undefined);
    throw e;
  }
}

/** A table (`table`), or the whole database, to a new SQLite file; or (`csv`) a table as a new CSV file. */
export async function exploreSqliteRestore(
  repo: Repository,
  job: ExploreTarget & {table?: string; csv?: boolean; to: string},
): Promise<Delivered> {
  if (job.csv && !job.table) throw usageError('--csv needs --table NAME.');
  const opened = await openTarget(repo, job);
  const {dir, name} = newFile(job.to);
  const item = `${job.path}${job.table ? `#${job.csv ? 'csv' : 'table'}:${job.table}` : ''}`;
  return audited(opened, [item], `file:${join(dir, name)}`, () =>
    withDatabase(repo, opened, job, async file => {
      const out = `${file}.out`;
      if (job.csv)
        return deliver([{parts: [name], content: {buffer: await tableCsv(file, job.table!)}}], dir, opened.writer);
      if (job.table) await copyTable(file, job.table, out);
      else await copyDatabase(file, out);
      const {stat} = await import('node:fs/promises');
      return deliver([{parts: [name], content: {file: out, size: (await stat(out)).size}}], dir, opened.writer);
    }),
  );
}

interface Mailbox {
  kind: 'maildir' | 'mbox';
  messages: Array<{info: MessageInfo; data: () => Promise<Buffer>}>;
}

async function readMailbox(files: PointFiles): Promise<Mailbox> {
  const root = files.entries.find(e => e.rel === '');
  if (!root) throw notFound('No mailbox at that path.');
  if (root.entry.type === 'file') {
    const all = await files.bytes(root.index, 16 * MAX_MESSAGE_BYTES);
    if (!isMbox(all))
      throw usageError(
        'This file is not an mbox (it does not start with "From ").',
        'Name a Maildir directory or an mbox file.',
      );
    const parts = mboxMessages(all);
    return {
      kind: 'mbox',
      messages: await Promise.all(
        parts.map(async (data, i) => ({
          info: await describe({id: String(i + 1), folder: ''}, data),
          data: async () => data,
        })),
      ),
    };
  }
  const byRel = new Map(files.entries.filter(e => e.entry.type === 'file').map(e => [e.rel, e]));
  const refs = maildirMessages([...byRel.keys()]);
  if (refs.length === 0 && ![...files.entries].some(e => e.rel === 'cur' || e.rel === 'new'))
    throw usageError('This directory is not a Maildir (no cur/ or new/).', 'Name a Maildir directory or an mbox file.');
  const messages = [];
  for (const ref of refs) {
    const e = byRel.get(ref.id)!;
    const data = await files.bytes(e.index, MAX_MESSAGE_BYTES);
    messages.push({info: await describe(ref, data), data: async () => data});
  }
  return {kind: 'maildir', messages};
}

export async function exploreMailList(
  repo: Repository,
  job: ExploreTarget,
): Promise<{kind: 'maildir' | 'mbox'; folders: string[]; messages: MessageInfo[]}> {
  const opened = await openTarget(repo, job);
  return withPointFiles(repo, opened.point, job, async files => {
    const box = await readMailbox(files);
    const messages = box.messages.map(m => m.info);
    return {kind: box.kind, folders: [...new Set(messages.map(m => m.folder))].sort(), messages};
  });
}

/** Chosen messages (by id) into a new Maildir folder at `to`, or (`mbox`) a new mbox file. */
export async function exploreMailRestore(
  repo: Repository,
  job: ExploreTarget & {ids: string[]; to: string; format: 'maildir' | 'mbox'},
): Promise<Delivered> {
  if (job.ids.length === 0) throw usageError('Choose messages with --message ID (see the listing).');
  const opened = await openTarget(repo, job);
  const items = job.ids.map(id => `${job.path}#${id}`);
  const destination = job.format === 'mbox' ? newFile(job.to) : {dir: job.to, name: ''};
  return audited(
    opened,
    items,
    `${job.format}:${job.format === 'mbox' ? join(destination.dir, destination.name) : job.to}`,
    () =>
      withPointFiles(repo, opened.point, job, async files => {
        const box = await readMailbox(files);
        const chosen = job.ids.map(id => {
          const m = box.messages.find(x => x.info.id === id);
          if (!m)
            throw new BackhaulError(
              'not-found',
              `The mailbox has no message ${quoted(id)}.`,
              'List them with `backhaul explore mail ... --path MAILBOX`.',
            );
          return m;
        });
        if (job.format === 'mbox') {
          const data = toMbox(await Promise.all(chosen.map(async m => ({data: await m.data(), date: m.info.date}))));
          return deliver([{parts: [destination.name], content: {buffer: data}}], destination.dir, opened.writer);
        }
        const used = new Set<string>();
        const produced: Produced[] = [{parts: ['cur']}];
        for (const [i, m] of chosen.entries()) {
          let name = m.info.name ?? `${Date.now()}.${i}.backhaul:2,S`;
          if (used.has(name)) name = `${i}.${name}`;
          used.add(name);
          produced.push({parts: ['cur', name], content: {buffer: await m.data()}});
        }
        produced.sort((a, b) => (a.parts.join('/') < b.parts.join('/') ? -1 : 1));
        produced.push({parts: ['new']}, {parts: ['tmp']});
        return deliver(produced, job.to, opened.writer);
      }),
  );
}

/** One directory inside a volume image of a restore point (`path` '' for its root). */
export async function exploreImage(repo: Repository, job: ExploreTarget): Promise<InsideItem[]> {
  const opened = await openTarget(repo, job);
  if (!job.disk) throw usageError('Name the volume-level disk with --disk LABEL.');
  const [picked] = pickDisks(opened.point, job.node ?? opened.point.nodes[0]?.name, job.disk);
  if (!picked || picked.disk.kind !== 'image')
    throw usageError(`Disk ${quoted(job.disk)} is not a volume image.`, 'Its files are listed by the restore browser.');
  const image = await openImage(repo, picked.disk);
  try {
    const parts = job.path.replace(/^\/+|\/+$/g, '');
    return await listInside(image, parts ? parts.split('/') : []);
  } finally {
    await image.close();
  }
}
