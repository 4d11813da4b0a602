/**
 * Where an encrypted repository's password comes from, in this order:
 * `--password-file FILE` (its first line), the environment variable
 * BACKHAUL_PASSWORD, or a prompt on the terminal with no echo. Backhaul never
 * stores a password (not in its configuration, not in the repository).
 * With none of them and no terminal to ask on, the command fails with a usage
 * error saying how to give one, before anything is read or written.
 *
 * A new password (repo add --encrypt, repo passwd, repo key add) comes from
 * `--new-password-file`, BACKHAUL_NEW_PASSWORD, or a prompt asked twice.
 */
import {readFile} from 'node:fs/promises';
import {BackhaulError, fromSystemError, quoted, usageError} from '../engine/errors.js';
import type {PasswordRule} from '../engine/workspace/passwords.js';
import {option} from './options.js';
import {str, type CommandContext, type Values} from './command.js';

/** Asked only when a repository turns out to be encrypted. */
export type PasswordSource = () => Promise<string>;

export const passwordOptions = {
  file: option.text(
    'password-file',
    'FILE',
    'encrypted repositories: read the password from the first line of FILE (else BACKHAUL_PASSWORD, else a prompt on the terminal)',
  ),
  toFile: option.text(
    'to-password-file',
    'FILE',
    "the target's password when it differs from the source's (else BACKHAUL_TO_PASSWORD, else as for --password-file)",
  ),
  newFile: option.text(
    'new-password-file',
    'FILE',
    'the new password, from the first line of FILE (else BACKHAUL_NEW_PASSWORD, else a prompt asked twice)',
  ),
};

interface Prompting {
  input?: NodeJS.ReadStream;
  err: CommandContext['err'];
}

async function fromFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw fromSystemError(e, `password file ${quoted(path)}`) ?? e;
  }
  const password = text.split(/\r?\n/, 1)[0] ?? '';
  if (password === '')
    throw usageError(`The password file ${quoted(path)} is empty.`, 'Put the password on its first line.');
  return password;
}

/** Reads one line from the terminal without echoing it. */
export function promptHidden(prompt: string, io: Prompting): Promise<string> {
  const input = io.input ?? process.stdin;
  return new Promise((resolve, reject) => {
    io.err.write(prompt);
    const wasRaw = input.isRaw;
    input.setRawMode(true);
    input.resume();
    let typed = '';
    const done = (error?: Error) => {
      input.off('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      io.err.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004')
          return done(new BackhaulError('cancelled', 'Cancelled.', 'Nothing was read or written.'));
        if (ch === '\u007f' || ch === '\b') typed = [...typed].slice(0, -1).join('');
        else if (ch >= ' ') typed += ch;
      }
    };
    input.on('data', onData);
  });
}

const noTerminal = (envName: string, optionName: string) =>
  usageError(
    'This repository is encrypted, and there is no password and no terminal to ask for one on.',
    `Give --${optionName} FILE or set ${envName}.`,
  );

function canPrompt(io: Prompting): boolean {
  const input = io.input ?? process.stdin;
  return input.isTTY === true && typeof input.setRawMode === 'function';
}

/** Where one repository's password is looked for first (a copy's target: --to-password-file, BACKHAUL_TO_PASSWORD). */
export interface OwnPassword {
  file: string;
  env: string;
}

/**
 * The password of an existing encrypted repository, asked for lazily:
 * `own` first (when given), then --password-file, BACKHAUL_PASSWORD, a prompt.
 */
export function passwordSource(values: Values, io: Prompting, label = 'repository', own?: OwnPassword): PasswordSource {
  let asked: Promise<string> | undefined;
  return () =>
    (asked ??= (async () => {
      const ownFile = own ? str(values, own.file) : undefined;
      if (ownFile !== undefined) return fromFile(ownFile);
      const ownEnv = own ? process.env[own.env] : undefined;
      if (ownEnv !== undefined && ownEnv !== '') return ownEnv;
      const file = str(values, 'password-file');
      if (file !== undefined) return fromFile(file);
      const env = process.env.BACKHAUL_PASSWORD;
      if (env !== undefined && env !== '') return env;
      if (!canPrompt(io)) throw noTerminal('BACKHAUL_PASSWORD', 'password-file');
      const typed = await promptHidden(`Password for ${label}: `, io);
      if (typed === '') throw usageError('No password was typed.', 'Type the password, or give --password-file FILE.');
      return typed;
    })());
}

/** A new password: from --new-password-file, BACKHAUL_NEW_PASSWORD, or typed twice. */
export async function newPassword(
  values: Values,
  io: Prompting,
  fileOption = 'new-password-file',
  envName = 'BACKHAUL_NEW_PASSWORD',
): Promise<string> {
  const file = str(values, fileOption);
  if (file !== undefined) return fromFile(file);
  const env = process.env[envName];
  if (env !== undefined && env !== '') return env;
  if (!canPrompt(io)) {
    throw usageError(
      'A new password is needed, and there is none and no terminal to ask for one on.',
      `Give --${fileOption} FILE or set ${envName}.`,
    );
  }
  const first = await promptHidden('New password: ', io);
  if (first === '') throw usageError('An empty password is not accepted.', 'Type a password.');
  const again = await promptHidden('The same password again: ', io);
  if (again !== first) throw usageError('The two passwords differ; nothing was changed.', 'Run the command again.');
  return first;
}

/**
 * The rule a command run opens encrypted repositories by (set in cli.tsx):
 * the command's --password-file if it has one, else BACKHAUL_PASSWORD, else
 * a prompt naming the repository, asked once per repository.
 */
export function commandPasswords(
  values: Values,
  io: Prompting,
  own: ReadonlyMap<string, OwnPassword> = new Map(),
): PasswordRule {
  const asked = new Map<string, PasswordSource>();
  return location => {
    let source = asked.get(location);
    if (!source) asked.set(location, (source = passwordSource(values, io, location, own.get(location))));
    return source;
  };
}
