/**
 * `backhaul repo passwd|key list|key add|key rm NAME`: the passwords of an
 * encrypted repository (FORMAT.md, "Encryption"). Each password is a key
 * file wrapping the same master key; changing one writes the new key file
 * first and only then deletes the old, so a crash leaves both working.
 * A wrong password is refused (exit 15) before anything is written.
 */
import {BackhaulError, usageError} from '../engine/errors.js';
import {
  addKey,
  changePassword,
  listKeys,
  openKey,
  removeKey,
  type OpenedKey,
} from '../engine/repository/crypto/keys.js';
import {Repository} from '../engine/repository/repository.js';
import type {Storage} from '../engine/storage/storage.js';
import {resolveLocation, storageFor} from '../engine/workspace/open.js';
import {passwordFor} from '../engine/workspace/passwords.js';
import {defineCommand, flag, type Command, type CommandContext, type Values} from './command.js';
import {option} from './options.js';
import {newPassword, passwordOptions} from './password.js';
import {printJson, safeText, table} from './render/output.js';

/** The repository's storage and the key its password opens; refused unless it is encrypted. */
async function openKeyOf(name: string): Promise<{storage: Storage; opened: OpenedKey}> {
  const resolved = resolveLocation(name);
  const storage = await storageFor(resolved.entry, {registered: resolved.name !== undefined});
  const password = passwordFor(storage.location);
  const repo = await Repository.open(storage, {password});
  if (!repo.codec.encrypted) {
    throw new BackhaulError(
      'usage',
      `${storage.location} is not encrypted; it has no passwords.`,
      'Encryption is chosen when a repository is made: `backhaul repo add NAME LOCATION --encrypt`, then copy into it.',
    );
  }
  return {storage, opened: await openKey(storage, await password())};
}

function oneName(positionals: string[], usage: string): string {
  const [name, extra] = positionals;
  if (!name || extra) throw usageError(usage, 'Run `backhaul repo list` to see the registered names.');
  return name;
}

const io = (ctx: CommandContext) => ({err: ctx.err});

export const repoPasswd: Command = defineCommand({
  name: 'repo passwd',
  summary: 'change the password of an encrypted repository',
  usage: 'Usage: backhaul repo passwd NAME [--password-file FILE] [--new-password-file FILE] [--json]',
  description: `Changes the password that opens NAME: writes a key file wrapping the same master
key under the new password, then deletes the old key file (a crash in between
leaves both passwords working). The data is not rewritten. The current password
comes from --password-file, BACKHAUL_PASSWORD or a prompt; the new one from
--new-password-file, BACKHAUL_NEW_PASSWORD or a prompt asked twice.`,
  options: [
    passwordOptions.file,
    passwordOptions.newFile,
    option.flag('json', 'print the old and new key ids as JSON'),
  ],
  positionals: true,
  async run(ctx, values, positionals) {
    const name = oneName(positionals, 'Usage: backhaul repo passwd NAME.');
    const {storage, opened} = await openKeyOf(name);
    const id = await changePassword(storage as Storage, opened, await newPassword(values, io(ctx)));
    if (flag(values, 'json')) printJson(ctx, {name, oldKey: opened.id, newKey: id});
    else
      ctx.out.write(
        `Changed the password of ${name} (key ${opened.id.slice(0, 12)} replaced by ${id.slice(0, 12)}); the old password no longer opens it.\n`,
      );
    return 0;
  },
});

export const repoKeyList: Command = defineCommand({
  name: 'repo key list',
  summary: 'list the key files (one per password) of an encrypted repository',
  usage: 'Usage: backhaul repo key list NAME [--password-file FILE] [--json]',
  description: 'Lists the key files of NAME (each opens it with one password), marking the one your password opened.',
  options: [passwordOptions.file, option.flag('json', 'print a JSON array (id, createdAt, current)')],
  positionals: true,
  async run(ctx, values, positionals) {
    const {storage, opened} = await openKeyOf(oneName(positionals, 'Usage: backhaul repo key list NAME.'));
    const keys = (await listKeys(storage)).map(k => ({...k, current: k.id === opened.id}));
    if (flag(values, 'json')) printJson(ctx, keys);
    else
      ctx.out.write(
        table(
          keys.map(k => [k.current ? '*' : '', k.id.slice(0, 16), k.createdAt || '(damaged)']),
          ['', 'KEY', 'CREATED'],
        ),
      );
    return 0;
  },
});

export const repoKeyAdd: Command = defineCommand({
  name: 'repo key add',
  summary: 'add a password to an encrypted repository',
  usage: 'Usage: backhaul repo key add NAME [--password-file FILE] [--new-password-file FILE] [--json]',
  description: `Adds a key file so NAME also opens with another password (from --new-password-file,
BACKHAUL_NEW_PASSWORD or a prompt asked twice); the current one keeps working.`,
  options: [passwordOptions.file, passwordOptions.newFile, option.flag('json', 'print the new key id as JSON')],
  positionals: true,
  async run(ctx, values: Values, positionals) {
    const name = oneName(positionals, 'Usage: backhaul repo key add NAME.');
    const {storage, opened} = await openKeyOf(name);
    const id = await addKey(storage as Storage, opened.master, await newPassword(values, io(ctx)));
    if (flag(values, 'json')) printJson(ctx, {name, key: id});
    else ctx.out.write(`Added key ${id.slice(0, 12)} to ${name}.\n`);
    return 0;
  },
});

export const repoKeyRemove: Command = defineCommand({
  name: 'repo key rm',
  summary: 'remove a password (key file) from an encrypted repository',
  usage: 'Usage: backhaul repo key rm NAME KEY [--password-file FILE] [--json]',
  description: `Deletes key file KEY (its id, or a unique prefix of 8 or more hex digits) from NAME:
its password no longer opens the repository. The key your password opened and
the last key are refused.`,
  options: [passwordOptions.file, option.flag('json', 'print the removed key id as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const [name, key, extra] = positionals;
    if (!name || !key || extra)
      throw usageError(
        'Usage: backhaul repo key rm NAME KEY.',
        'Run `backhaul repo key list NAME` to see the key ids.',
      );
    const {storage, opened} = await openKeyOf(name);
    const id = await removeKey(storage as Storage, key, opened.id);
    if (flag(values, 'json')) printJson(ctx, {name, removed: id});
    else ctx.out.write(`Removed key ${id.slice(0, 12)} from ${safeText(name)}.\n`);
    return 0;
  },
});
