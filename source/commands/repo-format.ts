/**
 * `backhaul repo upgrade NAME`, `backhaul repo rebuild-catalog NAME` and
 * `backhaul repo compact-index NAME`: the repository format's maintenance
 * (engine/repository/upgrade.ts, catalogue.ts and index-compact.ts). All are
 * safe to interrupt and to run again.
 */
import {usageError} from '../engine/errors.js';
import {rebuildCatalogueOf} from '../engine/repository/catalogue.js';
import {RepositoryWriter} from '../engine/repository/writer.js';
import {upgradeRepository} from '../engine/repository/upgrade.js';
import {compactIndex} from '../engine/repository/index-compact.js';
import {defineCommand, flag, type Command} from './command.js';
import {option} from './options.js';
import {printJson} from './render/output.js';
import {sayOnStderr} from './render/notices.js';
import {openRepoArg} from './repo-arg.js';

export const repoUpgrade: Command = defineCommand({
  name: 'repo upgrade',
  summary: 'convert a repository to the newest format in place (version 1 to 2; compact layouts)',
  usage: 'Usage: backhaul repo upgrade NAME [--json]',
  description: `Brings the repository NAME (a name, path or s3:// URL) to the newest format, in place.
From format version 1: writes the catalogue of every backup, then the version 2
config. Then, for any version 2 repository made before them, the compact layouts:
the config names catalogue segments of version 3 and index files of format 3
(binary, searched in place: the index opens several times faster), and the index
files are merged into one such file. Packs and existing catalogue segments stay
as they are. Safe to interrupt at any moment (the repository opens as version 1
or 2, and reads either kind of index file): run the command again to finish. A
repository already there is left unchanged. After an upgrade, Backhaul versions
that read only version 1 no longer open it, and versions older than index files
of format 3 see that file as damaged.`,
  options: [option.flag('json', 'print the result as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const [name, extra] = positionals;
    if (!name || extra)
      throw usageError('Usage: backhaul repo upgrade NAME.', 'Run `backhaul repo list` to see the registered names.');
    const repo = await openRepoArg(name);
    const result = await upgradeRepository(repo);
    if (flag(values, 'json')) {
      printJson(ctx, result);
      return 0;
    }
    const layouts = result.layouts;
    const compacted = layouts && (layouts.configChanged || layouts.indexRewritten);
    if (result.from !== result.to)
      ctx.out.write(
        `Upgraded ${name} from format version ${result.from} to ${result.to} (catalogue of ${result.backups} backup(s), ${result.points} restore point(s)).\n`,
      );
    if (compacted)
      ctx.out.write(
        `${name} now has the compact layouts: catalogue segments of version 3, index files of format 3 (${layouts.indexFilesBefore} index file(s) merged into ${layouts.indexFilesAfter}).\n`,
      );
    if (result.from === result.to && !compacted)
      ctx.out.write(`${name} is already format version ${result.to} with the compact layouts; nothing changed.\n`);
    return 0;
  },
});

export const repoRebuildCatalog: Command = defineCommand({
  name: 'repo rebuild-catalog',
  summary: 'add to the catalogue the restore points it lacks, replace damaged segments (from the manifests)',
  usage: 'Usage: backhaul repo rebuild-catalog NAME [--json]',
  description: `Reads every restore point manifest of every backup in NAME (format version 2) and
adds to the backup's catalogue the points it lacks, such as one whose writer was
killed between the manifest and its catalogue segment. A damaged segment (which
makes every listing of its backup fail) is replaced: one segment written from the
backup's manifests supersedes every segment, which are then deleted. Run again, it
adds nothing.`,
  options: [option.flag('json', 'print the result as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const [name, extra] = positionals;
    if (!name || extra)
      throw usageError(
        'Usage: backhaul repo rebuild-catalog NAME.',
        'Run `backhaul repo list` to see the registered names.',
      );
    const repo = await openRepoArg(name);
    if (repo.config.version < 2)
      throw usageError(
        `${name} is format version ${repo.config.version}, which has no catalogue.`,
        `Run \`backhaul repo upgrade ${name}\` to convert it.`,
      );
    const writer = await RepositoryWriter.begin(repo, 'rebuild-catalog');
    let points = 0;
    const replaced: {backup: string; segments: string[]; points: number}[] = [];
    try {
      for (const backup of await repo.listBackups()) {
        const done = await rebuildCatalogueOf(repo, backup.id);
        points += done.added;
        if (done.replaced.length > 0) replaced.push({backup: backup.id, segments: done.replaced, points: done.added});
      }
    } finally {
      await writer.close();
    }
    if (flag(values, 'json')) {
      printJson(ctx, {points, replaced});
      return 0;
    }
    for (const r of replaced)
      ctx.out.write(
        `Backup ${r.backup}: damaged catalogue segment(s) ${r.segments.join(', ')} replaced by one written from its ${r.points} restore point manifest(s).\n`,
      );
    if (points === 0) ctx.out.write('The catalogue was complete; nothing changed.\n');
    else if (replaced.length === 0) ctx.out.write(`Added ${points} restore point(s) to the catalogue.\n`);
    return 0;
  },
});

export const repoCompactIndex: Command = defineCommand({
  name: 'repo compact-index',
  summary: 'merge the index files of a repository into one',
  usage: 'Usage: backhaul repo compact-index NAME [--json]',
  description: `Merges every index file of NAME (format version 2) into one that names them as
superseded, then deletes them: a repository written by many short runs opens faster.
Takes the writer lock. Packs are not touched. Safe to interrupt at any moment: the
repository keeps every chunk indexed, and a later run finishes the work. Damaged
index files are left alone and named.`,
  options: [option.flag('json', 'print the result as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const [name, extra] = positionals;
    if (!name || extra)
      throw usageError(
        'Usage: backhaul repo compact-index NAME.',
        'Run `backhaul repo list` to see the registered names.',
      );
    const repo = await openRepoArg(name);
    const say = sayOnStderr(ctx);
    const result = await compactIndex(repo, {onNotice: n => say(n.message)});
    if (flag(values, 'json')) printJson(ctx, result);
    else {
      ctx.out.write(
        result.before === result.after
          ? `${name} has ${result.after} index file(s); nothing to merge.\n`
          : `Merged ${result.before} index files of ${name} into ${result.after} (${result.packs} pack(s)).\n`,
      );
      if (result.damaged.length > 0)
        ctx.out.write(`Left ${result.damaged.length} damaged index file(s) alone: ${result.damaged.join(', ')}.\n`);
    }
    return 0;
  },
});
