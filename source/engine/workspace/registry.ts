/**
 * Registered repositories: names a user (or root, for sudo callers) gave to
 * locations, kept in the configuration file (config.ts). Registering never
 * touches a repository's data, and never silently re-points a name. Also the
 * one rule for which repository a command or the TUI opens when none is named.
 */
import {isDeepStrictEqual} from 'node:util';
import {BackhaulError} from '../errors.js';
import {REPOSITORY_NAME, type RepositoryEntry} from './config-schema.js';
import {readConfig, writeConfig} from './config.js';

export type {RepositoryEntry} from './config-schema.js';

const NAME = new RegExp(REPOSITORY_NAME, 'u');
export function checkRepositoryName(name: string): string {
  if (!NAME.test(name))
    throw new BackhaulError(
      'usage',
      `"${name}" is not a valid repository name.`,
      'Use letters, digits, ".", "_" and "-" (up to 64).',
    );
  return name;
}

export function listRepositories(): Record<string, RepositoryEntry> {
  return readConfig().repositories ?? {};
}

/** The entry registered as `name` (an own key only: "constructor" is no repository). */
export function registeredEntry(name: string): RepositoryEntry | undefined {
  const all = listRepositories();
  return Object.hasOwn(all, name) ? all[name] : undefined;
}

/** The demo's source repository, which the TUI and the commands open when it is registered and nothing is named. */
export const DEMO_PRIMARY = 'demo-primary';

/**
 * The repository to use when none is named: the only one registered, else
 * demo-primary when registered, else none (the user must choose: a command
 * asks for --repo, the TUI opens its list of repositories). Never the first
 * of several, which would act on a repository nobody chose.
 */
export function defaultRepository(names: readonly string[] = Object.keys(listRepositories())): string | undefined {
  if (names.length === 1) return names[0];
  return names.includes(DEMO_PRIMARY) ? DEMO_PRIMARY : undefined;
}

/**
 * An S3 endpoint must be an http:// or https:// URL naming a host: the SDK
 * reads "127.0.0.1:7480" as a URL whose scheme is "127.0.0.1" and fails
 * deep inside with "Invalid URL".
 */
export function checkEndpoint(endpoint: string): string {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url && (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname) return endpoint;
  const guess = /^[\w.-]+(:\d+)?(\/.*)?$/.test(endpoint) ? `http://${endpoint}` : 'http://127.0.0.1:7480';
  throw new BackhaulError(
    'usage',
    `The S3 endpoint ${JSON.stringify(endpoint.slice(0, 80))} is not an http:// or https:// URL naming a host.`,
    `Write it as ${guess}.`,
  );
}

export interface RegisterOptions {
  /** Re-point a name registered with another entry (otherwise refused: exit 16). */
  replace?: boolean;
}

/**
 * Registers `entry` under `name`; returns the entry it replaced, if any.
 * An identical entry is left as it is (the demo registers its repositories
 * at every start, and an unchanged entry costs no write); a different one is
 * refused unless `replace`, so a typo never silently re-points a name.
 * Registering never touches the repository's data.
 */
export async function registerRepository(
  name: string,
  entry: RepositoryEntry,
  options: RegisterOptions = {},
): Promise<RepositoryEntry | undefined> {
  checkRepositoryName(name);
  if (entry.endpoint !== undefined) checkEndpoint(entry.endpoint);
  const current = registeredEntry(name);
  if (isDeepStrictEqual(current, entry)) return current;
  if (current && !options.replace) throw alreadyRegistered(name, current);
  await writeConfig('repositories', {...listRepositories(), [name]: entry});
  return current;
}

export function alreadyRegistered(name: string, current: RepositoryEntry): BackhaulError {
  const where = current.endpoint ? `${current.location} (endpoint ${current.endpoint})` : current.location;
  return new BackhaulError(
    'exists',
    `A repository named "${name}" is already registered, at ${where}.`,
    `Pass --replace to point "${name}" at the new location, or run \`backhaul repo remove ${name}\` first; neither touches any data.`,
  );
}

/** Forgets the name `name` (its repository and data are not touched); returns the entry it had. */
export async function unregisterRepository(name: string): Promise<RepositoryEntry> {
  const current = registeredEntry(name);
  if (!current) {
    throw new BackhaulError(
      'no-repository',
      `No repository is registered as ${JSON.stringify(name.slice(0, 80))}.`,
      'Run `backhaul repo list` to see the registered names.',
    );
  }
  const {[name]: _removed, ...rest} = listRepositories();
  await writeConfig('repositories', rest);
  return current;
}
