/**
 * Storage notices (a request retried, a server that went silent) as lines on
 * stderr while a command runs: each stall, and retries at most one line per
 * few seconds with a count of the ones in between, so a flaky network is
 * visible without drowning the progress.
 */
import type {ReadableStorage, StorageNotice} from '../../engine/storage/storage.js';
import type {CommandContext} from '../command.js';
import {safeText} from './output.js';

const RETRY_LINE_EVERY_MS = 5_000;

/** Where a command's notices go: a line writer, which a command may point at its progress view. */
export type Say = (line: string) => void;

export function sayOnStderr(ctx: Pick<CommandContext, 'err'>): Say {
  return line => ctx.err.write(line + '\n');
}

export function noticePrinter(say: Say, now: () => number = Date.now): (notice: StorageNotice) => void {
  let lastRetry = -Infinity;
  let unsaid = 0;
  return notice => {
    if (notice.kind === 'retry' && now() - lastRetry < RETRY_LINE_EVERY_MS) {
      unsaid++;
      return;
    }
    if (notice.kind === 'retry') lastRetry = now();
    const more = unsaid > 0 ? ` (${unsaid} more ${unsaid === 1 ? 'retry' : 'retries'} since the last one shown)` : '';
    unsaid = 0;
    say(`backhaul: ${safeText(notice.message)}${more}`);
  };
}

/** Prints `storage`'s notices until the returned function is called (a no-op for backends without any). */
export function printNotices(storage: ReadableStorage, say: Say): () => void {
  return storage.watch?.(noticePrinter(say)) ?? (() => {});
}
