/**
 * The small predicates records.ts is built from, and `Defect`, the one thing
 * a check throws: which field is wrong and how. records.ts turns a Defect
 * into `corrupt` naming the object it was read from (or `usage` when a
 * writer is refused). Predicates allocate nothing; messages are built only
 * when a check fails.
 */
import {CHUNK_MAX} from './chunker.js';

export class Defect extends Error {
  constructor(readonly field: string, problem: string) {
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

/** A chunk id: 64 lowercase hex digits (the char loop costs less than the regex in ids.ts). */
export function isChunkId(v: unknown): v is string {
  return typeof v === 'string' && v.length === 64 && isHex(v);
}

/** One [chunk id, offset, length, raw length, encoding] entry of a pack trailer or index file. */
export function checkBlobEntry(b: unknown): boolean {
  return Array.isArray(b) && b.length >= 5 && isChunkId(b[0]) && isUint(b[1]) && isUint(b[2]) && isUint(b[3]) && b[3] <= CHUNK_MAX && (b[4] === 0 || b[4] === 1);
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
