/**
 * `--owner USER` on agent backups: only admins may record someone else as the
 * owner (a user could otherwise plant a backup in another user's name).
 */
import {denied} from '../engine/errors.js';
import type {Repository} from '../engine/repository/repository.js';

export async function checkOwnerOption(
  _repo: Repository,
  requested: string | undefined,
  self: string,
): Promise<string> {
  if (!requested || requested === self) return self;
  if (process.getuid?.() !== 0)
    throw denied(
      `Only an administrator may back up in another user's name (--owner ${requested}).`,
      'Leave out --owner: the backup belongs to you.',
    );
  return requested;
}
