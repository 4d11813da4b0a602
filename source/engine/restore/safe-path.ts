/**
 * The shape of every name a restore turns into a place on disk. A manifest is
 * untrusted input: its paths must be relative, '/'-separated, without '.',
 * '..' or empty components, and every name that becomes one path segment —
 * a path component, a node name, a disk name — must be exactly one segment
 * (no '/', no NUL). Caps keep hostile depth and length from costing minutes
 * or failing half-way (ENAMETOOLONG): nothing the agent could have read from
 * a Linux filesystem by path is longer (PATH_MAX 4096 with its NUL, NAME_MAX
 * 255), and 1024 levels is deeper than any real tree while every level of a
 * restore holds one open directory.
 */
import {BackhaulError} from '../errors.js';

export const MAX_NAME_BYTES = 255;
export const MAX_PATH_BYTES = 4095;
export const MAX_DEPTH = 1024;

const unsafe = (what: string, value: unknown, why: string) =>
  new BackhaulError('corrupt', `Refusing unsafe ${what} in manifest: ${JSON.stringify(String(value)).slice(0, 200)} (${why}).`,
    'The backup may have been tampered with; nothing was written.');

function segmentProblem(name: string): string | undefined {
  if (name === '' ) return 'empty name';
  if (name === '.' || name === '..') return `"${name}" is not a name`;
  if (name.includes('/')) return 'a "/" inside one name';
  if (name.includes('\0')) return 'a NUL byte';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return `a name longer than ${MAX_NAME_BYTES} bytes`;
  return undefined;
}

/** A node, disk or file name that becomes exactly one path segment. */
export function checkSegment(name: unknown, what = 'name'): string {
  if (typeof name !== 'string') throw unsafe(what, name, 'not a string');
  const problem = segmentProblem(name);
  if (problem) throw unsafe(what, name, problem);
  return name;
}

/** A manifest path, split into its parts; refused unless every part is one safe segment. */
export function checkEntryPath(path: unknown): string[] {
  if (typeof path !== 'string') throw unsafe('path', path, 'not a string');
  if (path.startsWith('/')) throw unsafe('path', path, 'absolute');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw unsafe('path', path, `longer than ${MAX_PATH_BYTES} bytes`);
  const parts = path.split('/');
  if (parts.length > MAX_DEPTH) throw unsafe('path', path, `deeper than ${MAX_DEPTH} levels`);
  for (const part of parts) {
    const problem = segmentProblem(part);
    if (problem) throw unsafe('path', path, problem);
  }
  return parts;
}

/** A symlink's target is data (never followed), but must be something symlink(2) can hold. */
export function checkLinkTarget(target: unknown, path: string): string {
  if (typeof target !== 'string' || target === '') throw unsafe('symlink', path, 'no target');
  if (target.includes('\0')) throw unsafe('symlink', path, 'a NUL byte in its target');
  if (Buffer.byteLength(target) > MAX_PATH_BYTES) throw unsafe('symlink', path, `a target longer than ${MAX_PATH_BYTES} bytes`);
  return target;
}
