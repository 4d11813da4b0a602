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
