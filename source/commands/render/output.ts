/**
 * Shared output helpers for commands: JSON to stdout, aligned tables, byte
 * and time formatting, and the top-level error printer (one sentence, a hint,
 * no stack trace unless BACKHAUL_DEBUG is set).
 */
import {BackhaulError, EXIT, isBackhaulError} from '../../engine/errors.js';
import type {CommandContext} from '../command.js';
import {formatBytes} from '../../engine/util/format.js';

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.out.write(JSON.stringify(value, null, 2) + '\n');
}

export {formatBytes};

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const m = Math.floor(seconds / 60);
  const s = Math.round(seconds % 60);
  return m < 60 ? `${m}m${String(s).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** Shows control characters visibly so a crafted name cannot drive the terminal. */
export function safe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

export function table(rows: string[][], header: string[]): string {
  const all = [header, ...rows].map((r) => r.map(safe));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n') + '\n';
}

export function printError(err: NodeJS.WritableStream, e: unknown): number {
  // Messages quote what was typed (quoted()), but whatever else reaches here is still shown, never obeyed.
  if (isBackhaulError(e)) {
    err.write(`backhaul: ${safe(e.message)}\n`);
    if (e.hint) err.write(`hint: ${safe(e.hint)}\n`);
    return e.exitCode;
  }
  const error = e as Error;
  err.write(`backhaul: internal error: ${safe(error?.message ?? String(e))}\n`);
  err.write(process.env.BACKHAUL_DEBUG ? `${error?.stack}\n` : 'hint: this is a bug in Backhaul; run again with BACKHAUL_DEBUG=1 for details and report it.\n');
  return EXIT.failure;
}

export {BackhaulError};
