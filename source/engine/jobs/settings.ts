/**
 * Backhaul's own configuration (registered repositories, job defaults), kept
 * with `conf` in $XDG_CONFIG_HOME/backhaul/config.json, mode 0600. Data (the
 * demo workspace, session history) lives under $XDG_DATA_HOME/backhaul, and
 * what may be deleted at any time under $XDG_CACHE_HOME/backhaul.
 * A corrupt config file is never silently replaced: it is moved aside and the
 * user is told where it went.
 *
 * Reads parse the file directly and `conf` is imported only to write: conf
 * loads a JSON-schema validator (ajv) that costs tens of milliseconds at every
 * start-up, and the TUI's first frame must come fast.
 */
import {readFileSync, renameSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import {BackhaulError} from '../errors.js';

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
