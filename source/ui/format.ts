/**
 * How numbers, times and names are shown in the TUI. `safeText` is the one
 * door every name from a repository goes through before it reaches the
 * terminal: control characters and escape sequences are shown, never obeyed,
 * so a file called "\u001b]0;pwned\u0007" cannot retitle or redraw the screen.
 */

import {formatBytes as engineFormatBytes} from '../engine/util/format.js';

/** 1536 → '1.5 KiB'; binary units, three significant digits. */
export function formatBytes(n: number): string {
  return !Number.isFinite(n) || n < 0 ? '–' : engineFormatBytes(n);
}

/** Bytes per second → '12.3 MiB/s'. */
export const formatRate = (bytesPerSecond: number) => `${formatBytes(Math.round(bytesPerSecond))}/s`;

const pad2 = (n: number) => String(n).padStart(2, '0');

/** Milliseconds → '42s', '3m 05s', '1h 02m', '2d 04h'. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad2(s % 60)}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${pad2(m % 60)}m`;
  return `${Math.floor(h / 24)}d ${pad2(h % 24)}h`;
}

/** How long ago `then` was, as of `now`: 'just now', '5m ago', '3h ago', '2d ago'. Future times say 'in …'. */
export function formatAge(then: Date | number, now: Date | number = Date.now()): string {
  const diff = +now - +then;
  const abs = Math.abs(diff);
  if (abs < 60_000) return 'just now';
  const steps: Array<[number, string]> = [[86_400_000 * 365, 'y'], [86_400_000 * 30, 'mo'], [86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm']];
  const [unit, suffix] = steps.find(([size]) => abs >= size)!;
  const text = `${Math.floor(abs / unit)}${suffix}`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}

/** done/total → '42%' (never NaN, never above 100%). */
export function formatPercent(done: number, total: number): string {
  if (total <= 0) return done > 0 ? '100%' : '0%';
  return `${Math.min(100, Math.floor((done / total) * 100))}%`;
}

const PICTURES: Record<string, string> = {'\n': '␊', '\r': '␍', '\t': '␉', '\u001B': '␛', '\u007F': '␡'};

/**
 * A string that is safe to print: C0 controls become Unicode control pictures
 * (newline → ␊, ESC → ␛), C1 controls, bidirectional overrides and lone
 * surrogates become `\u{…}` escapes. Printable text, including wide and
 * combining characters, passes through unchanged.
 */
export function safeText(s: string): string {
  let out = '';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (PICTURES[ch]) out += PICTURES[ch];
    else if (code < 0x20) out += String.fromCodePoint(0x2400 + code);
    else if ((code >= 0x80 && code < 0xA0) || (code >= 0x202A && code <= 0x202E) || (code >= 0x2066 && code <= 0x2069)
      || (code >= 0xD800 && code <= 0xDFFF) || code === 0xFEFF) out += `\\u{${code.toString(16)}}`;
    else out += ch;
  }
  return out;
}

/** An ISO time as the CLI shows it: '2026-11-25 09:42' (UTC, as stored). */
export const formatTime = (iso: string | undefined) => (iso ? iso.slice(0, 16).replace('T', ' ') : '–');
