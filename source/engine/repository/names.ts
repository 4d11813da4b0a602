/**
 * Names and paths read from a repository that become parts of a path on
 * disk: node and disk names (a restore's subdirectories, `DISK.img`) and the
 * paths of file-tree entries. Each name must be one safe segment and each
 * path a relative chain of them, within the limits a Linux filesystem can
 * hold, so nothing a record says can climb out of a destination, pass
 * through a symlink planted as `lnk` in `lnk/sub`, or fail half-way with
 * ENAMETOOLONG.
 *
 * The checks are char loops over the string (no regex, no allocation): a
 * large tree sends hundreds of thousands of paths through here. Each returns
 * why the value is refused, or undefined when it is fine.
 */

/** NAME_MAX of Linux and of every common filesystem: a longer name cannot be created (ENAMETOOLONG). */
export const MAX_NAME_BYTES = 255;
/** A disk image restores as `NAME.img`: the name leaves room for the suffix within NAME_MAX. */
export const MAX_DISK_NAME_BYTES = MAX_NAME_BYTES - '.img'.length;
/** PATH_MAX (4096) less its terminating NUL: the kernel refuses longer paths and symlink targets. */
export const MAX_PATH_BYTES = 4095;
/**
 * A 4095-byte path has at most 2048 components; a restore creates and checks
 * a directory for each. Real trees stay well under a hundred levels, so 1024
 * refuses nothing real and halves what one crafted entry can make a restore do.
 */
export const MAX_PATH_DEPTH = 1024;

const SLASH = 0x2f;
const DOT = 0x2e;

/** UTF-8 bytes of the UTF-16 unit at `i` (a surrogate pair counts 4 on its high half, 0 on its low half). */
function utf8Bytes(s: string, i: number, c: number): number {
  if (c < 0x80) return 1;
  if (c < 0x800) return 2;
  if (c >= 0xd800 && c <= 0xdbff) {
    const next = s.charCodeAt(i + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return 4;
  } else if (c >= 0xdc00 && c <= 0xdfff) {
    const prev = s.charCodeAt(i - 1);
    if (prev >= 0xd800 && prev <= 0xdbff) return 0;
  }
  return 3; // a lone surrogate is written as U+FFFD
}

/** UTF-8 length of `s`, counting no further than `limit` + 1. */
export function utf8Length(s: string, limit = Infinity): number {
  let bytes = 0;
  for (let i = 0; i < s.length && bytes <= limit; i++) bytes += utf8Bytes(s, i, s.charCodeAt(i));
  return bytes;
}

/** Why `name` is not one safe path segment (non-empty, no '/', not '.' or '..', no NUL, at most `maxBytes`). */
export function segmentProblem(name: unknown, maxBytes = MAX_NAME_BYTES): string | undefined {
  if (typeof name !== 'string') return 'is not a string';
  const n = name.length;
  if (n === 0) return 'is empty';
  if (n <= 2 && name.charCodeAt(0) === DOT && (n === 1 || name.charCodeAt(1) === DOT)) return 'is "." or ".."';
  if (n > maxBytes) return `is longer than ${maxBytes} bytes`;
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c === SLASH) return 'contains "/": a name must be a single path segment';
    if (c === 0) return 'contains a NUL character';
    bytes += utf8Bytes(name, i, c);
  }
  return bytes > maxBytes ? `is longer than ${maxBytes} bytes` : undefined;
}

/**
 * Why `path` is not a safe relative tree path: '/'-separated safe segments,
 * at most MAX_PATH_BYTES bytes and MAX_PATH_DEPTH components.
 */
export function pathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return 'is not a string';
  const n = path.length;
  if (n === 0) return 'is empty';
  if (n > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  if (path.charCodeAt(0) === SLASH) return 'is absolute';
  let total = 0;
  let part = 0;
  let start = 0;
  let depth = 1;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? path.charCodeAt(i) : SLASH;
    if (c !== SLASH) {
      if (c === 0) return 'contains a NUL character';
      const b = utf8Bytes(path, i, c);
      part += b;
      total += b;
      continue;
    }
    const len = i - start;
    if (len === 0) return 'has an empty component';
    if (len <= 2 && path.charCodeAt(start) === DOT && (len === 1 || path.charCodeAt(start + 1) === DOT))
      return 'has a "." or ".." component';
    if (part > MAX_NAME_BYTES) return `has a component longer than ${MAX_NAME_BYTES} bytes`;
    if (i < n && ++depth > MAX_PATH_DEPTH) return `has more than ${MAX_PATH_DEPTH} components`;
    total += i < n ? 1 : 0;
    part = 0;
    start = i + 1;
  }
  return total > MAX_PATH_BYTES ? `is longer than ${MAX_PATH_BYTES} bytes` : undefined;
}

/** Why `target` is not a storable symlink target: a non-empty string without NUL, at most MAX_PATH_BYTES. */
export function targetProblem(target: unknown): string | undefined {
  if (typeof target !== 'string') return 'is not a string';
  if (target.length === 0) return 'is empty';
  if (target.length > MAX_PATH_BYTES) return `is longer than ${MAX_PATH_BYTES} bytes`;
  if (target.indexOf('\0') >= 0) return 'contains a NUL character';
  return utf8Length(target, MAX_PATH_BYTES) > MAX_PATH_BYTES ? `is longer than ${MAX_PATH_BYTES} bytes` : undefined;
}

export const isSafeSegment = (name: unknown, maxBytes = MAX_NAME_BYTES): name is string =>
  segmentProblem(name, maxBytes) === undefined;
export const isSafePath = (path: unknown): path is string => pathProblem(path) === undefined;
