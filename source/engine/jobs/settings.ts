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
import {homedir} from 'node:os';
import {isAbsolute, join} from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import {BackhaulError} from '../errors.js';

export interface RepositoryEntry {
  location: string;
  endpoint?: string;
  region?: string;
}

interface Schema {
  repositories: Record<string, RepositoryEntry>;
}

export function configDir(): string {
  return join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'backhaul');
}
export function dataDir(): string {
  return join(process.env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'backhaul');
}
/** What may be deleted at any time (the TUI's compiled-code cache). */
export function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'backhaul');
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

export async function registerRepository(name: string, entry: RepositoryEntry): Promise<void> {
  // The demo registers its repositories at every start: an unchanged entry costs no write.
  if (isDeepStrictEqual(listRepositories()[checkRepositoryName(name)], entry)) return;
  const settings = await openSettings();
  settings.set('repositories', {...settings.get('repositories'), [checkRepositoryName(name)]: entry});
}
