/**
 * `backhaul repo upgrade NAME` and `backhaul repo rebuild-catalog NAME`: the
 * repository format's maintenance (engine/repository/upgrade.ts and
 * catalogue.ts). Both are safe to interrupt and to run again.
 */
import {usageError} from '../engine/errors.js';
import {rebuildCatalogue} from '../engine/repository/catalogue.js';
import {RepositoryWriter} from '../engine/repository/writer.js';
import {upgradeRepository} from '../engine/repository/upgrade.js';
import {defineCommand, flag, type Command} from './command.js';
import {option} from './options.js';
import {printJson} from './render/output.js';
import {openRepoArg} from './repo-arg.js';

export const repoUpgrade: Command = defineCommand({
  name: 'repo upgrade',
  summary: 'convert a version 1 repository to format version 2, in place',
  usage: 'Usage: backhaul repo upgrade NAME [--json]',
  description: `Converts the repository NAME (a name, path or s3:// URL) from format version 1 to
version 2: writes the catalogue of every backup, then the new config. Its packs and
index files stay as they are. Safe to interrupt at any moment: the repository then
opens as version 1 (run the command again) or as version 2. A version 2 repository
is left unchanged. After the upgrade, Backhaul versions that read only version 1
no longer open it.`,
  options: [option.flag('json', 'print the result as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const [name, extra] = positionals;
    if (!name || extra)
      throw usageError('Usage: backhaul repo upgrade NAME.', 'Run `backhaul repo list` to see the registered names.');
    const repo = await openRepoArg(name);
    const result = await upgradeRepository(repo);
    if (flag(values, 'json')) printJson(ctx, result);
    else if (result.from === result.to)
      ctx.out.write(`${name} is already format version ${result.to}; nothing changed.\n`);
    else
      ctx.out.write(
        `Upgraded ${name} from format version ${result.from} to ${result.to} (catalogue of ${result.backups} backup(s), ${result.points} restore point(s)).\n`,
      );
    return 0;
  },
});

export const repoRebuildCatalog: Command = defineCommand({
  name: 'repo rebuild-catalog',
  summary: 'add to the catalogue the restore points it lacks (a writer killed after a manifest)',
  usage: 'Usage: backhaul repo rebuild-catalog NAME [--json]',
  description: `Reads every restore point manifest of every backup in NAME (format version 2) and
adds to the backup's catalogue the points it lacks, such as one whose writer was
killed between the manifest and its catalogue segment. Run again, it adds nothing.`,
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
    try {
      for (const backup of await repo.listBackups()) points += await rebuildCatalogue(repo, backup.id);
    } finally {
      await writer.close();
    }
    if (flag(values, 'json')) printJson(ctx, {points});
    else
      ctx.out.write(
        points === 0
          ? 'The catalogue was complete; nothing changed.\n'
          : `Added ${points} restore point(s) to the catalogue.\n`,
      );
    return 0;
  },
});
