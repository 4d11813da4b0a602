/**
 * Passwords of encrypted repositories in the TUI. BACKHAUL_PASSWORD wins when
 * set; otherwise, when a screen opens an encrypted repository, the shell asks
 * in a masked dialog naming it. A typed password is remembered for the
 * session once it opened the repository — in this process's memory only,
 * never written anywhere. A wrong one is refused with the engine's one
 * sentence, shown in the dialog asked again; Esc cancels (the screen then
 * says the repository was not opened). One dialog at a time: asks for
 * several repositories wait their turn.
 */
import {BackhaulError} from '../engine/errors.js';
import {wrongPassword} from '../engine/repository/crypto/keys.js';
import type {PasswordRule} from '../engine/workspace/passwords.js';
import type {PromptOptions} from './shell-state.js';

/** How the shell asks (Shell.prompt). */
export type Ask = (options: PromptOptions) => Promise<string | undefined>;

/** Opened with this password: asked again never in this session. */
const remembered = new Map<string, string>();
/** Typed, not yet known to open the repository. */
const typed = new Map<string, string>();
/** Why the last password typed for a location was refused, shown when asking again. */
const refusals = new Map<string, string>();
let queue: Promise<unknown> = Promise.resolve();

/** The rule the TUI opens repositories by (engine/workspace/passwords.ts), asking through `ask`. */
export function tuiPasswordRule(ask: Ask): PasswordRule {
  return location => async () => {
    const env = process.env.BACKHAUL_PASSWORD;
    if (env !== undefined && env !== '') return env;
    const known = remembered.get(location);
    if (known !== undefined) return known;
    const turn = queue.then(() => askFor(ask, location));
    queue = turn.catch(() => undefined);
    return turn;
  };
}

async function askFor(ask: Ask, location: string): Promise<string> {
  const known = remembered.get(location); // typed meanwhile, in a dialog asked for another screen
  if (known !== undefined) return known;
  const refused = refusals.get(location);
  refusals.delete(location);
  const password = await ask({
    title: 'Encrypted repository',
    label: `Password for ${location}:`,
    masked: true,
    validate: v => (v === '' ? 'Type the password, or Esc to cancel.' : undefined),
    ...(refused ? {error: refused} : {}),
  });
  if (password === undefined)
    throw new BackhaulError(
      'cancelled',
      `No password was typed; ${location} was not opened.`,
      'Open it again to be asked again (r picks a repository).',
    );
  typed.set(location, password);
  return password;
}

/** The repository at `location` opened: a password typed for it is remembered for the session. */
export function opened(location: string): void {
  const password = typed.get(location);
  typed.delete(location);
  if (password !== undefined) remembered.set(location, password);
}

/**
 * Whether `error`, from opening the repository at `location`, refuses a
 * password typed in the dialog: then it is forgotten and the next ask shows
 * why (the caller opens again). A wrong BACKHAUL_PASSWORD is not retried.
 */
export function refusedTyped(location: string, error: unknown): boolean {
  if (!typed.has(location)) return false;
  typed.delete(location);
  if (!(error instanceof BackhaulError) || error.message !== wrongPassword(location).message) return false;
  refusals.set(location, error.message);
  return true;
}

/** The password this session opened `location` with (BACKHAUL_PASSWORD when set): handed to a run the TUI starts. */
export function knownPassword(location: string): string | undefined {
  const env = process.env.BACKHAUL_PASSWORD;
  if (env !== undefined && env !== '') return env;
  return remembered.get(location);
}
