/**
 * Every error a user can fix: a stable code, an exit code, one sentence and a
 * hint. Anything else that reaches the top is a bug and is reported as one.
 * Exit codes are part of the scripting contract (README, "Exit codes"): never
 * renumber them.
 */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  noRepository: 10,
  locked: 11,
  corrupt: 12,
  notFound: 13,
  noSpace: 14,
  denied: 15,
  exists: 16,
  format: 17,
  partial: 3,
  storage: 18,
  cancelled: 130,
} as const;

export type ErrorCode =
  | 'usage'
  | 'no-repository'
  | 'locked'
  | 'corrupt'
  | 'not-found'
  | 'no-space'
  | 'denied'
  | 'exists'
  | 'format'
  | 'storage'
  | 'cancelled'
  | 'partial'
  | 'failure';

const exitFor: Record<ErrorCode, number> = {
  usage: EXIT.usage,
  'no-repository': EXIT.noRepository,
  locked: EXIT.locked,
  corrupt: EXIT.corrupt,
  'not-found': EXIT.notFound,
  'no-space': EXIT.noSpace,
  denied: EXIT.denied,
  exists: EXIT.exists,
  format: EXIT.format,
  storage: EXIT.storage,
  cancelled: EXIT.cancelled,
  partial: EXIT.partial,
  failure: EXIT.failure,
};

/** The exit code of an error code (for a result that carries the code of a failure, not the error). */
export function exitCodeFor(code: ErrorCode): number {
  return exitFor[code];
}

export class BackhaulError extends Error {
  readonly exitCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint = '',
  ) {
    super(message);
    this.name = 'BackhaulError';
    this.exitCode = exitFor[code];
  }
}

export const usageError = (message: string, hint = 'Run with --help to see the options.') =>
  new BackhaulError('usage', message, hint);
/**
 * A value someone typed, as a message quotes it: in double quotes, its own
 * quotes, backslashes and control characters escaped (JSON's rules, plus the
 * bidirectional overrides), cut after `max` characters. Never `"${value}"`:
 * a value with a quote in it reads as an unbalanced quote, and one with an
 * escape sequence would drive the terminal the message is printed on.
 */
export function quoted(value: string, max = 80): string {
  const cut = [...value].length > max ? `${[...value].slice(0, max - 3).join('')}...` : value;
  return JSON.stringify(cut).replace(/[\u202A-\u202E\u2066-\u2069]/g, c => `\\u${c.charCodeAt(0).toString(16)}`);
}

export const notFound = (message: string, hint = '') => new BackhaulError('not-found', message, hint);
export const corrupt = (message: string, hint = 'Run `backhaul verify` to see every damaged restore point.') =>
  new BackhaulError('corrupt', message, hint);
export const denied = (
  message: string,
  hint = "Ask a backup administrator; copies and other users' backups are admin-only.",
) => new BackhaulError('denied', message, hint);
export const cancelled = () =>
  new BackhaulError(
    'cancelled',
    'Cancelled.',
    'Nothing half-written is visible; run the same command again to resume.',
  );

export function isBackhaulError(e: unknown): e is BackhaulError {
  return e instanceof BackhaulError;
}

/** Maps errors from the OS to ones a user can act on; returns undefined for bugs. */
export function fromSystemError(e: unknown, what: string): BackhaulError | undefined {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new BackhaulError(
        'no-space',
        `No space left while writing ${what}.`,
        'Free space on the target or pick another one; what was written is complete up to the last restore point.',
      );
    case 'EACCES':
    case 'EPERM':
      return new BackhaulError(
        'denied',
        `Permission denied: ${what}.`,
        'Run as a user who may read and write it (repositories are private to their owner).',
      );
    case 'ENOENT':
      return notFound(`Not found: ${what}.`, 'Check the path.');
    case 'ENOTDIR':
      return notFound(`Not a directory: ${what}.`, 'Check the path.');
    case 'EROFS':
      return new BackhaulError('denied', `Read-only file system: ${what}.`, 'Pick a writable location.');
    default:
      return undefined;
  }
}
