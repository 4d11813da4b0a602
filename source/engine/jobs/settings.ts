/**
 * Backhaul's own configuration (registered repositories, job defaults), kept
 * with `conf` in $XDG_CONFIG_HOME/backhaul/config.json, mode 0600. Data (the
 * demo workspace, session history) lives under $XDG_DATA_HOME/backhaul.
 * A corrupt config file is never silently replaced: it is moved aside and the
 * user is told where it went.
 */
import Conf from 'conf';
import {renameSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
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

export function openSettings(): Conf<Schema> {
  const options = {projectName: 'backhaul', projectSuffix: '', cwd: configDir(), configFileMode: 0o600, defaults: {repositories: {}}};
  try {
    return new Conf<Schema>(options);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    const file = join(configDir(), 'config.json');
    const aside = `${file}.corrupt-${Date.now()}`;
    renameSync(file, aside);
    throw new BackhaulError('format', `The configuration file ${file} is not valid JSON; it was moved to ${aside}.`,
      'Fix and move it back, or register your repositories again with `backhaul repo add`.');
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export function checkRepositoryName(name: string): string {
  if (!NAME.test(name)) throw new BackhaulError('usage', `"${name}" is not a valid repository name.`, 'Use letters, digits, ".", "_" and "-" (up to 64).');
  return name;
}

export function listRepositories(): Record<string, RepositoryEntry> {
  return openSettings().get('repositories');
}

export function registerRepository(name: string, entry: RepositoryEntry): void {
  const settings = openSettings();
  settings.set('repositories', {...settings.get('repositories'), [checkRepositoryName(name)]: entry});
}

export function unregisterRepository(name: string): boolean {
  const settings = openSettings();
  const all = {...settings.get('repositories')};
  if (!(name in all)) return false;
  delete all[name];
  settings.set('repositories', all);
  return true;
}
