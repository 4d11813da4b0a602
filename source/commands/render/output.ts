/**
 * Shared output helpers for commands: JSON to stdout, aligned tables, the
 * engine's byte and time formatting and its text sanitiser (util/safe-text.ts,
 * shared with the TUI), and the top-level error printer (one sentence, a
 * hint, no stack trace unless BACKHAUL_DEBUG is set).
 */
import {BackhaulError, EXIT, isBackhaulError} from '../../engine/errors.js';
import type {CommandContext} from '../command.js';
import {formatBytes, formatDuration} from '../../engine/util/format.js';
import {safeText} from '../../engine/util/safe-text.js';

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out.write(JSON.stringify(value, null, 2) + '\n');
}

export {formatBytes, formatDuration, safeText};

export function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows].map(r => r.map(cell => safeText(cell)));
  const widths = header.map((_, i) => Math.max(...all.map(r => (r[i] ?? '').length)));
  return (
    all
      .map(r =>
        r
          .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}

export function printError(err: NodeJS.WritableStream, e: unknown): number {
  // Messages quote what was typed (quoted()), but whatever else reaches here is still shown, never obeyed.
  if (isBackhaulError(e)) {
    err.write(`backhaul: ${safeText(e.message)}\n`);
    if (e.hint) err.write(`hint: ${safeText(e.hint)}\n`);
    return e.exitCode;
  }
  const error = e as Error;
  err.write(`backhaul: internal error: ${safeText(error?.message ?? String(e))}\n`);
  err.write(
    process.env.BACKHAUL_DEBUG
      ? `${error?.stack}\n`
      : 'hint: this is a bug in Backhaul; run again with BACKHAUL_DEBUG=1 for details and report it.\n',
  );
  return EXIT.failure;
}

export {BackhaulError};
