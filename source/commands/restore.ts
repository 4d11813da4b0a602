/**
 * `backhaul restore`: files or disk images of one restore point, into a
 * directory or a .tar archive. Three ways in:
 * - plain: a user (or root) restores a backup they can see, as themselves;
 * - through sudo: a user restores their own backup with the documented sudo
 *   rule; files are written with the caller's rights and the run is audited
 *   ('restore.own');
 * - `--delegated --for USER --reason TEXT`: an admin or restore operator
 *   restores on a user's behalf (typically from a copy); files belong to USER;
 *   always audited ('restore.delegated').
 * Which of the three a run is, and the restore itself, are the engine's
 * (operations/restore.ts, the entry the TUI's delegated restore uses too).
 */
import {usageError} from '../engine/errors.js';
import {restoreJob, type Destination, type RestoreDone} from '../engine/operations/restore.js';
import type {Conflict} from '../engine/restore/tree-writer.js';
import {defineCommand, flag, str, strs, type CommandContext, type Command, type Values} from './command.js';
import {option, type OptionDecl} from './options.js';
import {passwordOptions} from './password.js';
import {createProgress} from './render/progress.js';
import {formatBytes, printJson, safeText} from './render/output.js';
import {openRepoArg} from './repo-arg.js';

const usage = `Usage: backhaul restore --repo NAME --backup ID [--point ID|latest] (--to DIR | --tar FILE)
                        [--node NAME] [--disk LABEL] [--path P ...] [--overwrite] [--json]
       backhaul restore --delegated --for USER --reason TEXT --repo NAME --backup ID
                        [--point ID|latest] (--to DIR [--conflict keep|overwrite] | --tar FILE) ...`;

const description = `Restores a restore point byte for byte, with modes and mtimes (and owners when run
as root). File-level disks restore their files; volume-level disks restore their
images as DIR/LABEL.img (sparse where the image had zeros). For a cluster, each
node goes to DIR/NODE unless --node picks one.

Files inside a volume image (ext2/3/4, on the whole disk or in MBR/GPT partitions
named p1, p2, ...): name the disk and the paths inside it, --disk LABEL --path
home/alice/doc (or p1/home/alice/doc). Only the chunks those files need are read
(--json reports readBytes); device nodes, fifos and sockets are reported, not
restored. \`backhaul explore image\` lists what an image holds.

Delegated restore (admins and restore operators): restores on behalf of USER,
typically from a copy USER cannot see. Everything is written with USER's rights,
so the restored files (or the archive) belong to USER, and nothing lands where
USER could not write. A reason is required; every run is recorded in the audit
log (\`backhaul audit\`). When files exist at the destination, --conflict keep
(default) leaves them and writes the restored copy next to them as
NAME.RESTORED_YYYYMMDD_HHMMSS.EXT (UTC); --conflict overwrite replaces them.

Through sudo (see README, "Access control"), a user restores their own backups
with their own rights; such runs are audited as restore.own.

Safety: existing files are never overwritten unless asked (a plain restore writes
nothing if any would be); nothing is ever written outside DIR, whatever the
backup's manifest says, and never through a symlink; archives are created new
(never over an existing file), mode 0600.`;

const options: OptionDecl[] = [
  passwordOptions.file,
  option.text('repo', 'NAME', 'repository name, path or s3:// URL'),
  option.text('backup', 'ID', 'the backup (see `backhaul list`)'),
  option.text('point', 'ID|latest', 'the restore point (see `backhaul points ID`)', {default: 'latest'}),
  option.text('to', 'DIR', 'destination directory (created if missing)'),
  option.text('tar', 'FILE', 'write a POSIX tar archive instead (new file)'),
  option.text('node', 'NAME', 'only this cluster node'),
  option.text('disk', 'LABEL', 'only this disk'),
  option.texts('path', 'P', 'only this path, as shown in the backup, e.g. home/alice/doc (inside a --disk image too)'),
  option.flag('overwrite', 'replace existing files (same as --conflict overwrite)'),
  option.flag('delegated', "restore on another user's behalf (admins and restore operators)"),
  option.text('for', 'USER', 'the user the restored files belong to (with --delegated)'),
  option.text('reason', 'TEXT', 'why (required with --delegated; recorded in the audit log)'),
  option.oneOf(
    'conflict',
    'MODE',
    ['keep', 'overwrite', 'fail'],
    'where files exist: keep them and restore next to them (default for --delegated), overwrite them, or fail (write nothing; the default otherwise)',
  ),
  option.flag('json', 'print a JSON summary'),
];

const examples = `Examples:
  backhaul restore --repo demo-primary --backup b0123456789ab --to ~/restored
  sudo backhaul restore --delegated --for alice --reason "ticket 4711" \\
      --repo demo-secondary --backup b0123456789ab --path home/alice/docs --to /home/alice/restored`;

function dest(values: Values, defaultConflict: Conflict): Destination {
  const to = str(values, 'to');
  const tar = str(values, 'tar');
  if ((to === undefined) === (tar === undefined))
    throw usageError(
      'Give exactly one of --to DIR or --tar FILE.',
      'Name the directory to restore into, or the archive to create.',
    );
  if (tar !== undefined) return {kind: 'tar', path: tar};
  const conflict = str(values, 'conflict') ?? (flag(values, 'overwrite') ? 'overwrite' : defaultConflict);
  if (conflict !== 'keep' && conflict !== 'overwrite' && conflict !== 'fail')
    throw usageError(`--conflict must be keep or overwrite, not "${safeText(conflict.slice(0, 40))}".`);
  return {kind: 'dir', path: to!, conflict};
}

function report(ctx: CommandContext, json: boolean, r: RestoreDone, seconds: number): void {
  if (json) {
    printJson(ctx, {
      backupId: r.backup.id,
      pointId: r.point.id,
      forUser: r.audit!.forUser,
      destination: r.destination,
      files: r.files,
      bytes: r.bytes,
      renamed: r.renamed,
      replaced: r.replaced,
      setuidDropped: r.specialDropped,
      skipped: r.skipped,
      readBytes: r.readBytes,
      auditSeq: r.audit!.seq,
      seconds,
    });
    return;
  }
  ctx.out.write(
    `Restored ${r.files} files, ${formatBytes(r.bytes)}, from ${safeText(r.backup.machine)} point ${r.point.id} (${r.point.time}) for ${safeText(r.audit!.forUser ?? '')} to ${safeText(r.destination)}.\n`,
  );
  if (r.specialDropped > 0)
    ctx.out.write(
      `  dropped the setuid/setgid bits of ${r.specialDropped} file(s): only root restoring for root keeps them\n`,
    );
  for (const [from, to] of r.renamed.slice(0, 20))
    ctx.out.write(`  kept existing ${safeText(from)}; restored copy is ${safeText(to)}\n`);
  if (r.renamed.length > 20) ctx.out.write(`  … and ${r.renamed.length - 20} more kept\n`);
  if (r.replaced.length) ctx.out.write(`  replaced ${r.replaced.length} existing file(s)\n`);
  reportInside(ctx, r);
  ctx.out.write(`Audit entry #${r.audit!.seq}.\n`);
}

/** A plain restore's report: `to` as the user gave it. */
function reportPlain(ctx: CommandContext, json: boolean, r: RestoreDone, to: string, seconds: number): void {
  if (json) {
    printJson(ctx, {
      backupId: r.backup.id,
      pointId: r.point.id,
      to,
      files: r.files,
      bytes: r.bytes,
      images: r.images,
      setuidDropped: r.specialDropped,
      skipped: r.skipped,
      readBytes: r.readBytes,
      seconds,
    });
    return;
  }
  ctx.out.write(
    `Restored ${r.files} files${r.images.length ? ` and ${r.images.length} disk image(s)` : ''}, ${formatBytes(r.bytes)}, from ${safeText(r.backup.machine)} point ${r.point.id} (${r.point.time}) to ${safeText(to)}.\n`,
  );
  if (r.specialDropped > 0)
    ctx.out.write(
      `  dropped the setuid/setgid bits of ${r.specialDropped} file(s): only root restoring for root keeps them\n`,
    );
  reportInside(ctx, r);
}

/** Files from inside a volume image: what was read from the repository, and what was not restored. */
function reportInside(ctx: CommandContext, r: RestoreDone): void {
  if (r.readBytes > 0) ctx.out.write(`  read ${formatBytes(r.readBytes)} of the disk image from the repository\n`);
  for (const s of r.skipped.slice(0, 20)) ctx.out.write(`  not restored: ${safeText(s)}\n`);
  if (r.skipped.length > 20) ctx.out.write(`  … and ${r.skipped.length - 20} more not restored\n`);
}

export const restore: Command = defineCommand({
  name: 'restore',
  summary: "restore files or disk images into a directory or .tar (also on a user's behalf)",
  usage,
  description,
  options,
  after: examples,
  async run(ctx, values) {
    const backupId = str(values, 'backup');
    if (!backupId) throw usageError('Missing --backup ID.', 'Run `backhaul list` to see backup ids.');
    const delegated = flag(values, 'delegated');
    const forUser = str(values, 'for');
    if (delegated && !forUser)
      throw usageError('--delegated needs --for USER.', 'Name the user the restored files are for.');
    if (!delegated && forUser !== undefined) throw usageError('--for needs --delegated.');
    if (delegated && !str(values, 'reason')?.trim())
      throw usageError(
        '--delegated needs --reason TEXT.',
        'Say why, e.g. --reason "ticket 4711: alice deleted her report".',
      );
    const repo = await openRepoArg(str(values, 'repo'));
    const json = flag(values, 'json');
    const destination = dest(values, delegated ? 'keep' : 'fail');
    const job = {
      backupId,
      pointId: str(values, 'point') ?? 'latest',
      node: str(values, 'node'),
      disk: str(values, 'disk'),
      paths: strs(values, 'path'),
      destination,
      ...(delegated ? {forUser: forUser!, reason: str(values, 'reason')!} : {reason: str(values, 'reason')}),
    };
    const view = createProgress(ctx.err, json);
    const onProgress = (p: {bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number}) =>
      view.update('restore', {
        label: 'restore',
        done: p.bytesDone,
        total: p.bytesTotal,
        detail: `${p.filesDone}/${p.filesTotal} files`,
      });
    const started = Date.now();
    try {
      const r = await restoreJob(repo, job, {signal: ctx.signal, onProgress});
      view.stop();
      const seconds = (Date.now() - started) / 1000;
      if (r.audit) report(ctx, json, r, seconds);
      else reportPlain(ctx, json, r, destination.path, seconds);
      return 0;
    } finally {
      view.stop();
    }
  },
});
