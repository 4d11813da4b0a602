/** `backhaul restore`: files or disk images of one restore point, into a directory. */
import {usageError} from '../engine/errors.js';
import {restorePoint} from '../engine/restore/restore.js';
import {pickPoint} from '../engine/restore/select.js';
import {flag, str, strs, type Command} from './command.js';
import {visibleBackup} from './access-view.js';
import {createProgress} from './render/progress.js';
import {formatBytes, printJson} from './render/output.js';
import {openRepoArg} from './repo-arg.js';

export const restore: Command = {
  name: 'restore',
  summary: 'restore files or disk images from a restore point into a directory',
  help: `Usage: backhaul restore --repo NAME --backup ID --point ID|latest --to DIR
                        [--node NAME] [--disk LABEL] [--path P ...] [--overwrite] [--json]

Restores a restore point byte for byte, with modes and mtimes (and owners when run
as root). File-level disks restore their files; volume-level disks restore their
images as DIR/LABEL.img (sparse where the image had zeros). For a cluster, each
node goes to DIR/NODE unless --node picks one.

Safety: existing files are never overwritten unless --overwrite (nothing is
written if any would be); nothing is ever written outside DIR, whatever the
backup's manifest says, and never through a symlink.

Options:
  --repo NAME        repository name, path or s3:// URL
  --backup ID        the backup (see \`backhaul list\`)
  --point ID|latest  the restore point (see \`backhaul points ID\`), default latest
  --to DIR           destination directory (created if missing)
  --node NAME        only this cluster node
  --disk LABEL       only this disk
  --path P           only this path (repeatable), as shown in the backup, e.g. home/alice/doc
  --overwrite        replace existing files
  --json             print a JSON summary (files, bytes, images, seconds)
`,
  options: {
    repo: {type: 'string'}, backup: {type: 'string'}, point: {type: 'string'}, to: {type: 'string'},
    node: {type: 'string'}, disk: {type: 'string'}, path: {type: 'string', multiple: true},
    overwrite: {type: 'boolean'}, json: {type: 'boolean'},
  },
  async run(ctx, values) {
    const backupId = str(values, 'backup');
    const to = str(values, 'to');
    if (!backupId) throw usageError('Missing --backup ID.', 'Run `backhaul list` to see backup ids.');
    if (!to) throw usageError('Missing --to DIR.', 'Name the directory to restore into.');
    const repo = await openRepoArg(str(values, 'repo'));
    const backup = await visibleBackup(repo, backupId);
    const point = await pickPoint(repo, backup, str(values, 'point') ?? 'latest');
    const json = flag(values, 'json');
    const view = createProgress(ctx.err, json);
    const started = Date.now();
    try {
      const result = await restorePoint(repo, backup, point, {
        to, node: str(values, 'node'), disk: str(values, 'disk'), paths: strs(values, 'path'),
        overwrite: flag(values, 'overwrite'), signal: ctx.signal,
        onProgress: (p) => view.update('restore', {label: 'restore', done: p.bytesDone, total: p.bytesTotal, detail: `${p.filesDone}/${p.filesTotal} files`}),
      });
      view.stop();
      const seconds = (Date.now() - started) / 1000;
      if (json) printJson(ctx, {backupId: backup.id, pointId: point.id, to, files: result.files, bytes: result.bytes, images: result.images, seconds});
      else ctx.out.write(`Restored ${result.files} files${result.images.length ? ` and ${result.images.length} disk image(s)` : ''}, ${formatBytes(result.bytes)}, from ${backup.machine} point ${point.id} (${point.time}) to ${to}.\n`);
      return 0;
    } finally {
      view.stop();
    }
  },
};
