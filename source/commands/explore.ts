/**
 * `backhaul explore image|sqlite|mail`: look inside what a restore point
 * holds without restoring it whole — the files inside a volume image, the
 * tables of a SQLite database, the messages of a Maildir or mbox — and
 * restore items of it to new files, for oneself or (--delegated --for USER
 * --reason TEXT) on a user's behalf, audited with the items restored. The
 * rules are the engine's (operations/explore.ts).
 */
import {usageError} from '../engine/errors.js';
import {
  exploreImage,
  exploreMailList,
  exploreMailRestore,
  exploreSqliteRestore,
  exploreSqliteTables,
  type ExploreTarget,
} from '../engine/operations/explore.js';
import {defineCommand, flag, str, strs, type Command, type CommandContext, type Values} from './command.js';
import {option, type OptionDecl} from './options.js';
import {formatBytes, printJson, safeText, table} from './render/output.js';
import {openRepoArg} from './repo-arg.js';

const common: OptionDecl[] = [
  option.text('repo', 'NAME', 'repository name, path or s3:// URL'),
  option.text('backup', 'ID', 'the backup (see `backhaul list`)'),
  option.text('point', 'ID|latest', 'the restore point', {default: 'latest'}),
  option.text('node', 'NAME', 'the cluster node'),
  option.text('disk', 'LABEL', 'the disk (a volume image: paths are inside it)'),
  option.text('path', 'P', 'the item, as the restore browser shows it'),
];
const delegation: OptionDecl[] = [
  option.flag('delegated', "restore on another user's behalf (admins and restore operators)"),
  option.text('for', 'USER', 'the user the restored items belong to (with --delegated)'),
  option.text('reason', 'TEXT', 'why (required with --delegated; recorded in the audit log)'),
  option.flag('json', 'print JSON'),
];

function target(values: Values, needPath = true): ExploreTarget {
  const backupId = str(values, 'backup');
  if (!backupId) throw usageError('Missing --backup ID.', 'Run `backhaul list` to see backup ids.');
  const path = str(values, 'path') ?? '';
  if (needPath && !path)
    throw usageError('Missing --path P.', 'Name the database file or mailbox, e.g. --path home/alice/app.db.');
  const delegated = flag(values, 'delegated');
  const forUser = str(values, 'for');
  if (delegated !== (forUser !== undefined)) throw usageError('--delegated and --for USER go together.');
  return {
    backupId,
    pointId: str(values, 'point') ?? 'latest',
    node: str(values, 'node'),
    disk: str(values, 'disk'),
    path,
    forUser,
    reason: str(values, 'reason'),
  };
}

function delivered(
  ctx: CommandContext,
  json: boolean,
  r: {items: string[]; destination: string; bytes: number; audit?: {seq: number}},
): void {
  if (json) return printJson(ctx, {items: r.items, destination: r.destination, bytes: r.bytes, auditSeq: r.audit?.seq});
  ctx.out.write(`Restored ${r.items.length} item(s), ${formatBytes(r.bytes)}, to ${safeText(r.destination)}.\n`);
  if (r.audit) ctx.out.write(`Audit entry #${r.audit.seq}.\n`);
}

export const exploreImageCommand: Command = defineCommand({
  name: 'explore image',
  summary: 'list the files inside a volume image of a restore point',
  usage:
    'Usage: backhaul explore image --repo NAME --backup ID [--point ID|latest] [--node NAME] --disk LABEL [--path DIR] [--json]',
  description: `Lists one directory inside a volume-level disk's image (ext2/3/4, whole disk or
MBR/GPT partitions, shown as p1, p2, ...) reading only the chunks it needs.
Restore files from it with \`backhaul restore --disk LABEL --path FILE --to DIR\`.`,
  options: [...common, option.flag('json', 'print JSON')],
  async run(ctx, values) {
    const repo = await openRepoArg(str(values, 'repo'));
    const items = await exploreImage(repo, target(values, false));
    if (flag(values, 'json')) printJson(ctx, items);
    else
      ctx.out.write(
        table(
          items.map(i => [
            i.type,
            i.mode.toString(8),
            formatBytes(i.size),
            safeText(i.name) + (i.note ? ` (${i.note})` : ''),
          ]),
          ['TYPE', 'MODE', 'SIZE', 'NAME'],
        ),
      );
    return 0;
  },
});

export const exploreSqliteCommand: Command = defineCommand({
  name: 'explore sqlite',
  summary: 'list, restore or export the tables of a SQLite database in a restore point',
  usage: `Usage: backhaul explore sqlite --repo NAME --backup ID --path DB [--disk LABEL] [--json]
       backhaul explore sqlite ... --path DB [--table NAME [--csv]] --to FILE [--delegated --for USER --reason TEXT]`,
  description: `Without --to, lists the database's tables with their row counts. With --to, writes
a new file: the whole database, one table (--table) as a new database, or a table as
CSV (--csv; NULL as empty, blobs as base64). The database is read from a private
copy, read-only; it is never opened where it lies.`,
  options: [
    ...common,
    option.text('table', 'NAME', 'one table'),
    option.flag('csv', 'export --table as CSV'),
    option.text('to', 'FILE', 'the new file to write (never over an existing one)'),
    ...delegation,
  ],
  async run(ctx, values) {
    const repo = await openRepoArg(str(values, 'repo'));
    const job = target(values);
    const to = str(values, 'to');
    const json = flag(values, 'json');
    if (!to) {
      const tables = await exploreSqliteTables(repo, job);
      if (json) printJson(ctx, tables);
      else
        ctx.out.write(
          table(
            tables.map(t => [safeText(t.name), String(t.rows)]),
            ['TABLE', 'ROWS'],
          ),
        );
      return 0;
    }
    delivered(
      ctx,
      json,
      await exploreSqliteRestore(repo, {...job, table: str(values, 'table'), csv: flag(values, 'csv'), to}),
    );
    return 0;
  },
});

export const exploreMailCommand: Command = defineCommand({
  name: 'explore mail',
  summary: 'list and restore messages of a Maildir or mbox in a restore point',
  usage: `Usage: backhaul explore mail --repo NAME --backup ID --path MAILBOX [--disk LABEL] [--json]
       backhaul explore mail ... --path MAILBOX --message ID ... --to DIR|FILE [--mbox] [--delegated --for USER --reason TEXT]`,
  description: `Without --to, lists the folders and messages of a Maildir (with Maildir++ folders)
or an mbox file: id, date, from, subject. With --to, restores the chosen messages
(--message ID, repeatable) into a new Maildir folder DIR (byte for byte), or with
--mbox into a new mbox file.`,
  options: [
    ...common,
    option.texts('message', 'ID', 'a message to restore (ids as listed)'),
    option.flag('mbox', 'write an mbox file instead of a Maildir folder'),
    option.text('to', 'DIR|FILE', 'the new Maildir folder or mbox file'),
    ...delegation,
  ],
  async run(ctx, values) {
    const repo = await openRepoArg(str(values, 'repo'));
    const job = target(values);
    const to = str(values, 'to');
    const json = flag(values, 'json');
    if (!to) {
      const box = await exploreMailList(repo, job);
      if (json) printJson(ctx, box);
      else
        ctx.out.write(
          table(
            box.messages.map(m => [
              safeText(m.id),
              m.date?.slice(0, 16).replace('T', ' ') ?? '',
              safeText(m.from.slice(0, 30)),
              safeText(m.subject.slice(0, 50)),
            ]),
            ['ID', 'DATE (UTC)', 'FROM', 'SUBJECT'],
          ),
        );
      return 0;
    }
    delivered(
      ctx,
      json,
      await exploreMailRestore(repo, {
        ...job,
        ids: strs(values, 'message'),
        to,
        format: flag(values, 'mbox') ? 'mbox' : 'maildir',
      }),
    );
    return 0;
  },
});
