/**
 * Where the password of an encrypted repository comes from when a face
 * opens one by name (resolveRepository): the face sets the rule once per
 * run (the CLI: --password-file, BACKHAUL_PASSWORD, a prompt on the
 * terminal); without one — a worker thread, a caller of the engine — it is
 * the environment variable BACKHAUL_PASSWORD. Asked only when a repository
 * turns out to be encrypted; never stored anywhere.
 */
import {usageError} from '../errors.js';
import type {PasswordSource} from '../repository/codec.js';

export type PasswordRule = (location: string) => PasswordSource;

const fromEnvironment: PasswordRule = location => async () => {
  const password = process.env.BACKHAUL_PASSWORD;
  if (password === undefined || password === '') {
    throw usageError(
      `${location} is encrypted, and no password was given.`,
      'Give --password-file FILE or set BACKHAUL_PASSWORD.',
    );
  }
  return password;
};

let rule: PasswordRule = fromEnvironment;

/** Sets this process's rule (the CLI, before a command runs). */
export function setPasswordRule(next: PasswordRule): void {
  rule = next;
}

export function passwordFor(location: string): PasswordSource {
  return rule(location);
}

/**
 * A detached run's rule (jobs, the service, copies the TUI or `copy --detach`
 * starts): nobody is there to ask, so passwords come from its environment —
 * BACKHAUL_TO_PASSWORD for the run's target when set, BACKHAUL_PASSWORD for
 * everything else.
 */
export function runPasswordRule(targetLocation: string | undefined): PasswordRule {
  return location => async () => {
    const forTarget = location === targetLocation ? process.env.BACKHAUL_TO_PASSWORD : undefined;
    const password = forTarget || process.env.BACKHAUL_PASSWORD;
    if (password === undefined || password === '') {
      throw usageError(
        `${location} is encrypted, and the run was given no password for it.`,
        'Set BACKHAUL_PASSWORD (and BACKHAUL_TO_PASSWORD for a target with another password) in the environment of the command or service that starts the run.',
      );
    }
    return password;
  };
}
