/**
 * The small predicates records.ts is built from, and `Defect`, the one thing
 * a check throws: which field is wrong and how. records.ts turns a Defect
 * into `corrupt` naming the object it was read from (or `usage` when a
 * writer is refused). Predicates allocate nothing; messages are built only
 * when a check fails.
 */
import {CHUNK_MAX} from './chunker.js';

export class Defect extends Error {
  constructor(
    readonly field: string,
    problem: string,
  ) {
    super(field ? `${field} ${problem}` : problem);
    this.name = 'Defect';
  }
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A non-negative safe integer. */
export function isUint(v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

export function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Lowercase hex digits only. */
export function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

const ISO_TIME = /^[+-]?\d{4,6}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:\d\d)$/;

/** Digits s[at, at+n) as a number, or -1 if any is not a digit. */
function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * An ISO 8601 date and time as Date.parse reads it. What toISOString writes
 * (`2026-01-02T03:04:05.678Z`, every point a writer makes) is checked field
 * by field: Date.parse costs more than everything else a manifest is checked for.
 */
export function isIsoTime(s: string): boolean {
  if (
    s.length === 24 &&
    s.charCodeAt(4) === 0x2d &&
    s.charCodeAt(7) === 0x2d &&
    s.charCodeAt(10) === 0x54 &&
    s.charCodeAt(13) === 0x3a &&
    s.charCodeAt(16) === 0x3a &&
    s.charCodeAt(19) === 0x2e &&
    s.charCodeAt(23) === 0x5a &&
    digits(s, 0, 4) >= 0 &&
    digits(s, 20, 3) >= 0
  ) {
    const month = digits(s, 5, 2);
    const day = digits(s, 8, 2);
    const hour = digits(s, 11, 2);
    const minute = digits(s, 14, 2);
    const second = digits(s, 17, 2);
    return (
      month >= 1 &&
      month <= 12 &&
      day >= 1 &&
      day <= 31 &&
      hour >= 0 &&
      hour <= 23 &&
      minute >= 0 &&
      minute <= 59 &&
      second >= 0 &&
      second <= 59
    );
  }
  return ISO_TIME.test(s) && Number.isFinite(Date.parse(s));
}

/** A chunk id: 64 lowercase hex digits (the char loop costs less than the regex in ids.ts). */
export function isChunkId(v: unknown): v is string {
  return typeof v === 'string' && v.length === 64 && isHex(v);
}

/** One [chunk id, offset, length, raw length, encoding (0 raw, 1 deflate, 2 zstd)] entry of a pack trailer or index file. */
export function checkBlobEntry(b: unknown): boolean {
  return (
    Array.isArray(b) &&
    b.length >= 5 &&
    isChunkId(b[0]) &&
    isUint(b[1]) &&
    isUint(b[2]) &&
    isUint(b[3]) &&
    b[3] <= CHUNK_MAX &&
    (b[4] === 0 || b[4] === 1 || b[4] === 2)
  );
}

/** A string for a message: quoted, escaped, at most 60 characters of it. */
export function text(s: string): string {
  return JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);
}

/** What a wrong value is, for a message, without echoing much of it. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return text(v);
  if (v === undefined) return '(missing)';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return String(v).slice(0, 40);
}
