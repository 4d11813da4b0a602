/**
 * Backhaul's configuration file, $XDG_CONFIG_HOME/backhaul/config.json (mode
 * 0600), checked against one schema (config-schema.ts) on every read and
 * every write. A file that is not JSON, or does not match the schema, is
 * never silently replaced or half-believed: it is moved aside and the user is
 * told where it went.
 *
 * Writes go through `conf` with that schema. Reads parse the file directly
 * and check it with checkConfig: loading conf and compiling the schema's
 * validator (ajv) takes longer than the TUI's whole first frame, and every
 * start reads the registered repositories (the figures are in the commit that
 * made reads direct again; bench/tui.ts measures the first frame).
 */
import {readFileSync, renameSync} from 'node:fs';
import {join} from 'node:path';
import {BackhaulError} from '../errors.js';
import {checkConfig, CONFIG_PROPERTIES, type Config} from './config-schema.js';
import {configDir} from './dirs.js';

export const configFile = () => join(configDir(), 'config.json');

/** Moves the file aside and says so; `why` ends the first sentence ("is not valid JSON"). */
function corruptConfig(why: string): BackhaulError {
  const file = configFile();
  const aside = `${file}.corrupt-${Date.now()}`;
  renameSync(file, aside);
  return new BackhaulError(
    'format',
    `The configuration file ${file} ${why}; it was moved to ${aside}.`,
    'Fix and move it back, or register your repositories again with `backhaul repo add`.',
  );
}

const mismatch = (problems: string[]) =>
  `does not match its schema (${problems.slice(0, 3).join('; ')}${problems.length > 3 ? '; …' : ''})`;

/** The configuration as the file holds it (an empty one when there is no file). */
export function readConfig(): Partial<Config> {
  let text: string;
  try {
    text = readFileSync(configFile(), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw corruptConfig('is not valid JSON');
  }
  const problems = checkConfig(data);
  if (problems.length > 0) throw corruptConfig(mismatch(problems));
  return data as Partial<Config>;
}

const VIOLATION = 'Config schema violation:';

/**
 * Sets `key` through conf; a value the schema refuses is a usage error naming
 * what is wrong (conf writes nothing then).
 */
export async function writeConfig<K extends keyof Config>(key: K, value: Config[K]): Promise<void> {
  const config = await openConfigForWriting();
  try {
    config.set(key, value);
  } catch (e) {
    if (!(e instanceof Error && e.message.startsWith(VIOLATION))) throw e;
    throw new BackhaulError(
      'usage',
      `That setting does not fit the configuration's schema: ${e.message.slice(VIOLATION.length).trim()}.`,
      'See `backhaul repo add --help` for what a repository entry holds.',
    );
  }
}

/** conf over the same file and schema, for a write (loaded only then: see the header). */
export async function openConfigForWriting() {
  const {default: Conf} = await import('conf');
  const options = {
    projectName: 'backhaul',
    projectSuffix: '',
    cwd: configDir(),
    configFileMode: 0o600,
    defaults: {repositories: {}},
    schema: CONFIG_PROPERTIES,
  };
  try {
    return new Conf<Config>(options);
  } catch (e) {
    if (e instanceof SyntaxError) throw corruptConfig('is not valid JSON');
    if (e instanceof Error && e.message.startsWith(VIOLATION))
      throw corruptConfig(`does not match its schema (${e.message.slice(VIOLATION.length).trim()})`);
    throw e;
  }
}
