/**
 * A job's bandwidth limit as typed, in MB/s: by `job add/edit --throttle`
 * and in the TUI's job form, with the same sentence for the same mistake.
 */
import {usageError} from '../errors.js';

/** What clears the limit: nothing, `none` or `off`. */
const CLEAR = new Set(['', 'none', 'off']);

/** The limit in MB/s (a number above 0), or undefined for no limit; a usage error for anything else. */
export function throttleOf(text: string): number | undefined {
  const t = text.trim();
  if (CLEAR.has(t)) return undefined;
  const n = /^\d+(\.\d+)?$/.test(t) ? Number(t) : NaN;
  if (!(n > 0))
    throw usageError(
      `--throttle must be a number of MB/s above 0, not ${JSON.stringify(t.slice(0, 40))}.`,
      'For example --throttle 50 (50 MB/s), or --throttle 0.5.',
    );
  return n;
}
