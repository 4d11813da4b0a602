/**
 * How a restore's failures read: an OS error becomes a BackhaulError that
 * names the place and, when the writer was refused, whose rights were used
 * (restores for someone else write with that user's rights).
 */
import {BackhaulError, denied, fromSystemError} from '../errors.js';

export function throughSymlink(shown: string): BackhaulError {
  return new BackhaulError(
    'denied',
    `Refusing to restore through the symlink ${shown.slice(0, 300)}.`,
    'Remove the symlink from the destination, or restore to another directory.',
  );
}

/** An OS error as a BackhaulError that names the place and, for a refusal, whose rights were used. */
export function writeError(e: unknown, shown: string, writer: string): unknown {
  if (e instanceof BackhaulError) return e;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ELOOP') return throughSymlink(shown);
  if (code === 'EEXIST' || code === 'ENOTEMPTY' || code === 'EISDIR')
    return new BackhaulError(
      'exists',
      `${shown.slice(0, 300)} appeared during the restore.`,
      'Nothing half-written was left; run the restore again.',
    );
  if (code === 'EACCES' || code === 'EPERM') {
    return denied(
      `${writer} may not write ${shown.slice(0, 300)}: restored files are written with ${writer}'s rights.`,
      `Pick a place ${writer} can write (e.g. their home directory), or create it for them first (install -d -o ${writer} DIR).`,
    );
  }
  if (code === 'EMFILE' || code === 'ENFILE')
    return new BackhaulError(
      'failure',
      'Too many open files while restoring a very deep tree.',
      'Raise the open-file limit (ulimit -n) and run the restore again.',
    );
  return fromSystemError(e, shown) ?? e;
}
