/** `backhaul repo add|list`: register repositories (creating them when new). */
import {BackhaulError} from '../engine/errors.js';
import {listRepositories, registerRepository, type RepositoryEntry} from '../engine/jobs/settings.js';
import {createRepository, resolveLocation, storageFor} from '../engine/repository/open.js';
import {parseTimeout} from '../engine/storage/timeout.js';
import {Repository} from '../engine/repository/repository.js';
import {flag, str, type Command} from './command.js';
import {printJson, table} from './render/output.js';
import {printNotices, sayOnStderr} from './render/notices.js';

export const repoAdd: Command = {
  name: 'repo add',
  summary: 'register a repository (a directory or s3://bucket/prefix), creating it if new',
  help: `Usage: backhaul repo add NAME LOCATION [--endpoint URL] [--region REGION] [--timeout SECONDS] [--json]

Registers LOCATION under NAME so every command can say --repo NAME. LOCATION is a
directory (created with mode 0700 if missing) or s3://BUCKET/PREFIX. If no Backhaul
repository exists there yet, an empty one is created; an existing one is opened and
checked (its format version must be one this Backhaul reads).

Options:
  --endpoint URL    S3 endpoint (MinIO, Ceph RGW, ...); path-style addressing is used
  --region REGION   S3 region (default us-east-1)
  --timeout SECONDS S3: how long one request may take, its retries included
                    (default 60; a try with no reply for a third of it, at most
                    20 s, is sent again); then the command fails (exit 18)
                    saying what stalled. BACKHAUL_S3_TIMEOUT=SECONDS overrides
                    it for one run, for every repository.
  --json            print the result as JSON

S3 credentials come from the AWS SDK's standard chain (AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY, or a profile); Backhaul never stores them. Retried and
stalled requests are reported on stderr as they happen.

Examples:
  backhaul repo add primary /srv/backups/primary
  backhaul repo add offsite s3://backups/site-a --endpoint http://127.0.0.1:7480
`,
  options: {endpoint: {type: 'string'}, region: {type: 'string'}, timeout: {type: 'string'}, json: {type: 'boolean'}},
  positionals: true,
  async run(ctx, values, positionals) {
    const [name, location, extra] = positionals;
    if (!name || !location || extra) throw new BackhaulError('usage', 'Usage: backhaul repo add NAME LOCATION.', 'Example: backhaul repo add primary /srv/backups/primary');
    const base = location.startsWith('s3://') ? location : resolveLocation(location.includes('/') ? location : `./${location}`).entry.location;
    const timeout = str(values, 'timeout');
    if (timeout !== undefined && !base.startsWith('s3://')) throw new BackhaulError('usage', '--timeout applies to object storage (s3://) only.', 'Leave it out for a directory.');
    const entry: RepositoryEntry = {location: base, ...(str(values, 'endpoint') ? {endpoint: str(values, 'endpoint')} : {}), ...(str(values, 'region') ? {region: str(values, 'region')} : {}),
      ...(timeout !== undefined ? {timeout: parseTimeout(timeout, '--timeout')} : {})};
    let repo: Repository;
    let created = false;
    try {
      repo = await Repository.open(await storageFor(entry, {opened: (storage) => void printNotices(storage, sayOnStderr(ctx))}));
    } catch (e) {
      if (!(e instanceof BackhaulError && e.code === 'no-repository')) throw e;
      repo = await createRepository(entry, (storage) => void printNotices(storage, sayOnStderr(ctx)));
      created = true;
    }
    await registerRepository(name, entry);
    if (flag(values, 'json')) printJson(ctx, {name, location: entry.location, id: repo.id, created});
    else ctx.out.write(`${created ? 'Created' : 'Registered'} repository ${name} at ${entry.location} (id ${repo.id.slice(0, 12)}).\n`);
    return 0;
  },
};

export const repoList: Command = {
  name: 'repo list',
  summary: 'list registered repositories',
  help: `Usage: backhaul repo list [--json]

Lists the repositories registered with \`backhaul repo add\` (kept in
$XDG_CONFIG_HOME/backhaul/config.json, mode 0600).
`,
  options: {json: {type: 'boolean'}},
  async run(ctx, values) {
    const all = listRepositories();
    const rows = Object.entries(all).map(([name, e]) => ({name, ...e}));
    if (flag(values, 'json')) printJson(ctx, rows);
    else if (rows.length === 0) ctx.out.write('No repositories registered. Add one with `backhaul repo add NAME PATH`, or run `backhaul demo`.\n');
    else ctx.out.write(table(rows.map((r) => [r.name, r.location, r.endpoint ?? '', r.timeout !== undefined ? `${r.timeout} s` : '']), ['NAME', 'LOCATION', 'ENDPOINT', 'TIMEOUT']));
    return 0;
  },
};
