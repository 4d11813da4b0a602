/**
 * `backhaul repo add|list|remove`: the registered names of repositories.
 * `add` creates a repository where there is none yet, and never re-points a
 * name silently: a name registered elsewhere is refused (exit 16) unless
 * --replace, before anything is created. `remove` forgets a name only; no
 * command here deletes a repository or its data.
 */
import {isDeepStrictEqual} from 'node:util';
import {BackhaulError, usageError} from '../engine/errors.js';
import {
  alreadyRegistered,
  checkRepositoryName,
  listRepositories,
  registeredEntry,
  registerRepository,
  unregisterRepository,
  type RepositoryEntry,
} from '../engine/workspace/registry.js';
import {createRepository, resolveLocation, storageFor} from '../engine/workspace/open.js';
import {parseTimeout} from '../engine/storage/timeout.js';
import {Repository} from '../engine/repository/repository.js';
import type {NewEncryption} from '../engine/repository/crypto/create.js';
import {openKey} from '../engine/repository/crypto/keys.js';
import type {MasterKey} from '../engine/repository/crypto/master-key.js';
import {passwordFor} from '../engine/workspace/passwords.js';
import {newPassword, passwordOptions} from './password.js';
import type {Storage} from '../engine/storage/storage.js';
import {defineCommand, flag, str, type Command, type CommandContext} from './command.js';
import {option} from './options.js';
import {printJson, safeText, table} from './render/output.js';
import {printNotices, sayOnStderr} from './render/notices.js';

function entryFrom(
  location: string,
  endpoint: string | undefined,
  region: string | undefined,
  timeout: string | undefined,
): RepositoryEntry {
  const base = location.startsWith('s3://')
    ? location
    : resolveLocation(location.includes('/') ? location : `./${location}`).entry.location;
  if (timeout !== undefined && !base.startsWith('s3://'))
    throw usageError('--timeout applies to object storage (s3://) only.', 'Leave it out for a directory.');
  return {
    location: base,
    ...(endpoint ? {endpoint} : {}),
    ...(region ? {region} : {}),
    ...(timeout !== undefined ? {timeout: parseTimeout(timeout, '--timeout')} : {}),
  };
}

/**
 * Opens the repository at `entry`, creating an empty one where there is none
 * (`encryption`: asked for only then; an existing plain repository is not
 * made encrypted in place).
 */
async function openOrCreate(
  entry: RepositoryEntry,
  opened: (storage: Storage) => void,
  encryption?: () => Promise<NewEncryption>,
): Promise<{repo: Repository; created: boolean}> {
  let repo: Repository;
  try {
    const storage = await storageFor(entry, {opened});
    repo = await Repository.open(storage, {password: passwordFor(storage.location)});
  } catch (e) {
    if (!(e instanceof BackhaulError && e.code === 'no-repository')) throw e;
    return {
      repo: await createRepository(entry, opened, encryption ? {encryption: await encryption()} : {}),
      created: true,
    };
  }
  if (encryption && !repo.codec.encrypted) {
    throw new BackhaulError(
      'exists',
      `${repo.location} already holds a repository, and it is not encrypted.`,
      'Encryption is chosen when a repository is made: pick a new location with --encrypt and copy into it; nothing was changed.',
    );
  }
  return {repo, created: false};
}

/** The key material of the encrypted repository `name` (--copy-key), opened with its password. */
async function keyOf(name: string): Promise<MasterKey> {
  const resolved = resolveLocation(name);
  const storage = await storageFor(resolved.entry, {registered: resolved.name !== undefined});
  const password = passwordFor(storage.location);
  const source = await Repository.open(storage, {password});
  if (!source.codec.encrypted)
    throw usageError(
      `--copy-key ${name}: ${storage.location} is not encrypted; it has no key to copy.`,
      'Name an encrypted repository, or leave --copy-key out.',
    );
  return (await openKey(storage, await password())).master;
}

function reportAdd(
  ctx: CommandContext,
  json: boolean,
  name: string,
  entry: RepositoryEntry,
  repo: Repository,
  created: boolean,
  previous: RepositoryEntry | undefined,
): void {
  const unchanged = isDeepStrictEqual(previous, entry);
  if (json) {
    printJson(ctx, {
      name,
      location: entry.location,
      id: repo.id,
      created,
      encrypted: repo.codec.encrypted,
      changed: !unchanged,
      previous: unchanged ? null : (previous ?? null),
    });
    return;
  }
  const id = repo.id.slice(0, 12);
  const encrypted = repo.codec.encrypted ? ', encrypted' : '';
  if (unchanged)
    ctx.out.write(
      `Repository ${name} is already registered at ${safeText(entry.location)} (id ${id}${encrypted}); nothing changed.\n`,
    );
  else
    ctx.out.write(
      `${created ? 'Created' : 'Registered'} repository ${name} at ${safeText(entry.location)} (id ${id}${encrypted}).\n`,
    );
  if (previous && !unchanged)
    ctx.out.write(`${name} was registered at ${safeText(previous.location)} before; nothing there was touched.\n`);
}

export const repoAdd: Command = defineCommand({
  name: 'repo add',
  summary: 'register a repository (a directory or s3://bucket/prefix), creating it if new',
  usage:
    'Usage: backhaul repo add NAME LOCATION [--endpoint URL] [--region REGION] [--timeout SECONDS] [--replace] [--json]',
  description: `Registers LOCATION under NAME so every command can say --repo NAME. LOCATION is a
directory (created with mode 0700 if missing) or s3://BUCKET/PREFIX. If no Backhaul
repository exists there yet, an empty one is created; an existing one is opened and
checked (its format version must be one this Backhaul reads).

A NAME that is already registered with another location (or endpoint, or region)
is refused (exit code 16) unless --replace; adding the very same entry again
changes nothing. Neither touches the data at the old location.`,
  options: [
    option.url(
      'endpoint',
      'URL',
      'http://127.0.0.1:7480',
      'S3 endpoint (MinIO, Ceph RGW, ...), with http:// or https://; path-style addressing is used',
    ),
    option.text('region', 'REGION', 'S3 region', {default: 'us-east-1'}),
    option.text(
      'timeout',
      'SECONDS',
      'S3: how long one request may take, its retries included (a try with no reply for a third of it, at most 20 s, is sent again); then the command fails (exit 18) saying what stalled. BACKHAUL_S3_TIMEOUT=SECONDS overrides it for one run, for every repository',
      {default: '60'},
    ),
    option.flag('replace', 'point an already registered NAME at LOCATION'),
    option.flag(
      'encrypt',
      'make the new repository encrypted (AES-256-GCM; the password from --password-file, BACKHAUL_PASSWORD or a prompt asked twice)',
    ),
    option.text(
      'copy-key',
      'SOURCE',
      'with --encrypt: use the key material of the encrypted repository SOURCE (opened with --password-file / BACKHAUL_PASSWORD), so copies between the two pass packs through; the new password from --new-password-file, BACKHAUL_NEW_PASSWORD or a prompt',
    ),
    passwordOptions.file,
    passwordOptions.newFile,
    option.flag('json', 'print the result as JSON'),
  ],
  after: `S3 credentials come from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, or a profile); Backhaul never stores them. Retried and
stalled requests are reported on stderr as they happen.

Examples:
  backhaul repo add primary /srv/backups/primary
  backhaul repo add offsite s3://backups/site-a --endpoint http://127.0.0.1:7480
  backhaul repo add primary /srv/backups/new-primary --replace
  backhaul repo add offsite s3://backups/site-a --encrypt --password-file /root/offsite.pw

Encryption (--encrypt): every object and blob is sealed with AES-256-GCM under a
master key kept in the repository only wrapped by your password (scrypt); the
password is never stored by Backhaul. Commands that open the repository read it
from --password-file FILE, BACKHAUL_PASSWORD, or ask on the terminal.`,
  positionals: true,
  async run(ctx, values, positionals) {
    const [name, location, extra] = positionals;
    if (!name || !location || extra)
      throw usageError(
        'Usage: backhaul repo add NAME LOCATION.',
        'Example: backhaul repo add primary /srv/backups/primary',
      );
    checkRepositoryName(name);
    const entry = entryFrom(location, str(values, 'endpoint'), str(values, 'region'), str(values, 'timeout'));
    const replace = flag(values, 'replace');
    // Refused before anything is created at the new location.
    const current = registeredEntry(name);
    if (current && !replace && !isDeepStrictEqual(current, entry)) throw alreadyRegistered(name, current);
    const copyKey = str(values, 'copy-key');
    if (copyKey !== undefined && !flag(values, 'encrypt'))
      throw usageError(
        '--copy-key goes with --encrypt.',
        'Example: backhaul repo add offsite s3://b/p --encrypt --copy-key primary',
      );
    const encryption = !flag(values, 'encrypt')
      ? undefined
      : async (): Promise<NewEncryption> =>
          copyKey === undefined
            ? {password: await newPassword(values, {err: ctx.err}, 'password-file', 'BACKHAUL_PASSWORD')}
            : {master: await keyOf(copyKey), password: await newPassword(values, {err: ctx.err})};
    const {repo, created} = await openOrCreate(
      entry,
      storage => void printNotices(storage, sayOnStderr(ctx)),
      encryption,
    );
    const previous = await registerRepository(name, entry, {replace});
    reportAdd(ctx, flag(values, 'json'), name, entry, repo, created, previous);
    return 0;
  },
});

export const repoList: Command = defineCommand({
  name: 'repo list',
  summary: 'list registered repositories',
  usage: 'Usage: backhaul repo list [--json]',
  description: `Lists the repositories registered with \`backhaul repo add\` (kept in
$XDG_CONFIG_HOME/backhaul/config.json, mode 0600).`,
  options: [option.flag('json', 'print a JSON array (name, location, endpoint, region)')],
  async run(ctx, values) {
    const all = listRepositories();
    const rows = Object.entries(all).map(([name, e]) => ({name, ...e}));
    if (flag(values, 'json')) printJson(ctx, rows);
    else if (rows.length === 0)
      ctx.out.write(
        'No repositories registered. Add one with `backhaul repo add NAME PATH`, or run `backhaul demo`.\n',
      );
    else
      ctx.out.write(
        table(
          rows.map(r => [r.name, r.location, r.endpoint ?? '', r.timeout !== undefined ? `${r.timeout} s` : '']),
          ['NAME', 'LOCATION', 'ENDPOINT', 'TIMEOUT'],
        ),
      );
    return 0;
  },
});

export const repoRemove: Command = defineCommand({
  name: 'repo remove',
  summary: 'forget a registered name (the repository and its data are not touched)',
  usage: 'Usage: backhaul repo remove NAME [--json]',
  description: `Unregisters NAME: commands no longer know it. The repository it named, and every
backup in it, stay where they are; \`backhaul repo add NAME LOCATION\` registers
it again. Nothing is ever deleted.`,
  options: [option.flag('json', 'print the removed entry as JSON')],
  positionals: true,
  async run(ctx, values, positionals) {
    const [name, extra] = positionals;
    if (!name || extra)
      throw usageError('Usage: backhaul repo remove NAME.', 'Run `backhaul repo list` to see the registered names.');
    const removed = await unregisterRepository(name);
    if (flag(values, 'json')) printJson(ctx, {name, ...removed, removed: true});
    else
      ctx.out.write(
        `Unregistered ${name} (${safeText(removed.location)}). The repository and its data were not touched; \`backhaul repo add ${name} ${safeText(removed.location)}\` registers it again.\n`,
      );
    return 0;
  },
});
