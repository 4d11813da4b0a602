/**
 * How numbers, times and names are shown in the TUI. `safeText` is the one
 * door every name from a repository goes through before it reaches the
 * terminal: control characters and escape sequences are shown, never obeyed,
 * so a file called "\u001b]0;pwned\u0007" cannot retitle or redraw the screen.
 */

import {formatBytes as engineFormatBytes, formatDuration} from '../engine/util/format.js';
import {safeText as engineSafeText} from '../engine/util/safe-text.js';

/** 1536 → '1.5 KiB'; binary units, three significant digits. */
export function formatBytes(n: number): string {
  return !Number.isFinite(n) || n < 0 ? '–' : engineFormatBytes(n);
}

/** Bytes per second → '12.3 MiB/s'. */
export const formatRate = (bytesPerSecond: number) => `${formatBytes(Math.round(bytesPerSecond))}/s`;

/** Seconds → '4.2s', '42s', '3m 05s', '1h 02m', '2d 04h': the engine's one spelling, shared with the CLI. */
export {formatDuration};

/** How long ago `then` was, as of `now`: 'just now', '5m ago', '3h ago', '2d ago'. Future times say 'in …'. */
export function formatAge(then: Date | number, now: Date | number = Date.now()): string {
  const diff = +now - +then;
  const abs = Math.abs(diff);
  if (abs < 60_000) return 'just now';
  const steps: Array<[number, string]> = [
    [86_400_000 * 365, 'y'],
    [86_400_000 * 30, 'mo'],
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'm'],
  ];
  const [unit, suffix] = steps.find(([size]) => abs >= size)!;
  const text = `${Math.floor(abs / unit)}${suffix}`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** done/total → '42%' (never NaN, never above 100%). */
export function formatPercent(done: number, total: number): string {
  if (total <= 0) return done > 0 ? '100%' : '0%';
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}

/**
 * A string that is safe to print in a cell: the engine's one sanitiser
 * (engine/util/safe-text.ts), in its TUI spelling — C0 controls as Unicode
 * control pictures (newline → ␊, ESC → ␛), one cell each; C1 controls,
 * separators, bidirectional controls and lone surrogates as `\u{…}`.
 */
export const safeText = (s: string): string => engineSafeText(s, 'picture');

/** An ISO time as the CLI shows it: '2026-11-25 09:42' (UTC, as stored). */
export const formatTime = (iso: string | undefined) => (iso ? iso.slice(0, 16).replace('T', ' ') : '–');
