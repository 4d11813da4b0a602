/**
 * Runs filesystem operations with a recipient's rights. A restore run by root
 * (directly, or for a sudo caller) must not write where the recipient could
 * not: every path-based write of a delegated or sudo restore (mkdir, open,
 * rename, symlink, utimes) runs under `asUser`, which switches the effective
 * uid, gid and groups of the whole process to the recipient and back. The
 * kernel then enforces what the recipient may write, and whatever is created
 * belongs to the recipient.
 *
 * Guarantees:
 * - Switches never overlap: calls are serialised, and each one restores root's
 *   credentials before the next starts, even when the operation throws.
 * - Reads of the repository happen outside these windows (the writers await
 *   each operation in turn), so the repository stays root-only (0700).
 * - Without root, only the process's own user can be served; anything else is
 *   refused (`denied`) before anything is written.
 * Limit: other I/O the same process runs concurrently (e.g. a TUI refresh)
 * during a window runs with the recipient's rights and may fail with EACCES;
 * it can never gain rights.
 */
import {denied} from '../errors.js';

export interface Recipient {
  uid: number;
  gid: number;
  name: string;
}

let queue: Promise<unknown> = Promise.resolve();

const isRoot = () => process.geteuid?.() === 0 && process.getuid?.() === 0;

/** An OS error from a write as the recipient, in words that say whose rights were used. */
export function recipientError(e: unknown, path: string, recipient: Recipient): unknown {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code !== 'EACCES' && code !== 'EPERM') return undefined;
  return denied(`${recipient.name} may not write ${path.slice(0, 300)}: restored files are written with ${recipient.name}'s rights.`,
    `Pick a place ${recipient.name} can write (e.g. their home directory), or create it for them first (install -d -o ${recipient.name} DIR).`);
}

/** Throws unless this process can write files as the recipient. */
export function checkCanActAs(recipient: Recipient): void {
  if (isRoot() || process.geteuid?.() === recipient.uid) return;
  throw denied(`Restoring files that belong to ${recipient.name} needs root (this process runs as uid ${process.geteuid?.()}).`,
    'Run backhaul as root, or through the documented sudo rule.');
}

/** Whether operations for the recipient run with switched credentials. */
export function switchesFor(recipient: Recipient): boolean {
  return isRoot() && recipient.uid !== 0;
}

function become(recipient: Recipient): () => void {
  const groups = process.getgroups!();
  const egid = process.getegid!();
  const restore = () => {
    process.seteuid!(0);
    process.setegid!(egid);
    process.setgroups!(groups);
  };
  try {
    try {
      (process as unknown as {initgroups(user: string, extra: number): void}).initgroups(recipient.name, recipient.gid);
    } catch {
      // A uid without a passwd entry has no group list: its primary group only.
      process.setgroups!([recipient.gid]);
    }
    process.setegid!(recipient.gid);
    process.seteuid!(recipient.uid);
  } catch (e) {
    restore();
    throw e;
  }
  return restore;
}

/** Runs `fn` as the recipient (serialised); as is, when no switch is needed. */
export function asUser<T>(recipient: Recipient, fn: () => Promise<T>): Promise<T> {
  checkCanActAs(recipient);
  if (!switchesFor(recipient)) return fn();
  const run = queue.then(async () => {
    const restore = become(recipient);
    try {
      return await fn();
    } finally {
      restore();
    }
  });
  queue = run.catch(() => undefined);
  return run;
}
