/**
 * Backhaul's own configuration (registered repositories, job defaults), kept
 * with `conf` in $XDG_CONFIG_HOME/backhaul/config.json, mode 0600. Data (the
 * demo workspace, session history) lives under $XDG_DATA_HOME/backhaul, and
 * what may be deleted at any time under $XDG_CACHE_HOME/backhaul. Evidence kept
 * outside repositories (audit anchors, refused attempts) lives in the state
 * directory (stateDir): root's is /var/lib/backhaul.
 * A corrupt config file is never silently replaced: it is moved aside and the
 * user is told where it went.
 *
 * Reads parse the file directly and `conf` is imported only to write: conf
 * loads a JSON-schema validator (ajv) that costs tens of milliseconds at every
 * start-up, and the TUI's first frame must come fast.
 */
import {readFileSync, renameSync} from 'node:fs';
import {homedir, userInfo} from 'node:os';
import {isAbsolute, join} from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import {BackhaulError} from '../errors.js';
import {actingForSudoCaller} from '../util/sudo-caller.js';

export interface RepositoryEntry {
  location: string;
  endpoint?: string;
  region?: string;
  /** Object storage: seconds one request may take, its retries included (BACKHAUL_S3_TIMEOUT overrides it). */
  timeout?: number;
}

interface Schema {
  repositories: Record<string, RepositoryEntry>;
}

/**
 * An XDG base directory. Through sudo the caller's environment is not
 * believed (sudoers may keep HOME or XDG_* variables): root's own
 * directories come from the password database, so a caller can never make
 * root read a configuration — registered repositories — of theirs.
 */
function baseDir(variable: string, fallback: string[]): string {
  if (actingForSudoCaller()) return join(userInfo().homedir, ...fallback);
  return process.env[variable] || join(homedir(), ...fallback);
}

export function configDir(): string {
  return join(baseDir('XDG_CONFIG_HOME', ['.config']), 'backhaul');
}
export function dataDir(): string {
  return join(baseDir('XDG_DATA_HOME', ['.local', 'share']), 'backhaul');
}
/** What may be deleted at any time (the TUI's compiled-code cache). */
export function cacheDir(): string {
  return join(baseDir('XDG_CACHE_HOME', ['.cache']), 'backhaul');
}

/** What stateDir reads from the process, as plain input so it can be tested. */
export interface StateProcess {
  uid: number;
  env: Record<string, string | undefined>;
}

const currentProcess = (): StateProcess => ({uid: process.getuid?.() ?? -1, env: process.env});

/** Root's state directory: fixed, so that no caller can name or own it. */
export const ROOT_STATE_DIR = '/var/lib/backhaul';

/**
 * Where evidence kept outside repositories lives (audit anchors, refused
 * attempts). As uid 0 — root itself or root acting for a sudo caller — it is
 * /var/lib/backhaul, never a directory the caller names: BACKHAUL_STATE_DIR
 * moves it only for root without sudo (tests, which run as root, must not
 * write the real one). Other users keep theirs in $XDG_STATE_HOME/backhaul.
 */
export function stateDir(proc: StateProcess = currentProcess()): string {
  if (proc.uid === 0) {
    // Any SUDO_UID at all (even root's own) keeps the fixed place: the override is for tests run as root.
    const viaSudo = proc.env['SUDO_UID'] !== undefined && proc.env['SUDO_UID'] !== '';
    const override = proc.env['BACKHAUL_STATE_DIR'];
    return !viaSudo && override && isAbsolute(override) ? override : ROOT_STATE_DIR;
  }
  const xdg = proc.env['XDG_STATE_HOME'];
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state'), 'backhaul');
}

const configFile = () => join(configDir(), 'config.json');

function corruptConfig(): BackhaulError {
  const file = configFile();
  const aside = `${file}.corrupt-${Date.now()}`;
  renameSync(file, aside);
  return new BackhaulError('format', `The configuration file ${file} is not valid JSON; it was moved to ${aside}.`,
    'Fix and move it back, or register your repositories again with `backhaul repo add`.');
}

function readSettings(): Partial<Schema> {
  let text: string;
  try {
    text = readFileSync(configFile(), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  try {
    return JSON.parse(text) as Partial<Schema>;
  } catch {
    throw corruptConfig();
  }
}

async function openSettings() {
  const {default: Conf} = await import('conf');
  const options = {projectName: 'backhaul', projectSuffix: '', cwd: configDir(), configFileMode: 0o600, defaults: {repositories: {}}};
  try {
    return new Conf<Schema>(options);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw corruptConfig();
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function checkRepositoryName(name: string): string {
  if (!NAME.test(name)) throw new BackhaulError('usage', `"${name}" is not a valid repository name.`, 'Use letters, digits, ".", "_" and "-" (up to 64).');
  return name;
}

export function listRepositories(): Record<string, RepositoryEntry> {
  return readSettings().repositories ?? {};
}

/** The entry registered as `name` (an own key only: "constructor" is no repository). */
export function registeredEntry(name: string): RepositoryEntry | undefined {
  const all = listRepositories();
  return Object.hasOwn(all, name) ? all[name] : undefined;
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
  throw new BackhaulError('usage', `The S3 endpoint ${JSON.stringify(endpoint.slice(0, 80))} is not an http:// or https:// URL naming a host.`, `Write it as ${guess}.`);
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
export async function registerRepository(name: string, entry: RepositoryEntry, options: RegisterOptions = {}): Promise<RepositoryEntry | undefined> {
  checkRepositoryName(name);
  if (entry.endpoint !== undefined) checkEndpoint(entry.endpoint);
  const current = registeredEntry(name);
  if (isDeepStrictEqual(current, entry)) return current;
  if (current && !options.replace) throw alreadyRegistered(name, current);
  const settings = await openSettings();
  settings.set('repositories', {...settings.get('repositories'), [name]: entry});
  return current;
}

export function alreadyRegistered(name: string, current: RepositoryEntry): BackhaulError {
  const where = current.endpoint ? `${current.location} (endpoint ${current.endpoint})` : current.location;
  return new BackhaulError('exists', `A repository named "${name}" is already registered, at ${where}.`,
    `Pass --replace to point "${name}" at the new location, or run \`backhaul repo remove ${name}\` first; neither touches any data.`);
}

/** Forgets the name `name` (its repository and data are not touched); returns the entry it had. */
export async function unregisterRepository(name: string): Promise<RepositoryEntry> {
  const current = registeredEntry(name);
  if (!current) {
    throw new BackhaulError('no-repository', `No repository is registered as ${JSON.stringify(name.slice(0, 80))}.`, 'Run `backhaul repo list` to see the registered names.');
  }
  const settings = await openSettings();
  const {[name]: _removed, ...rest} = settings.get('repositories');
  settings.set('repositories', rest);
  return current;
}
