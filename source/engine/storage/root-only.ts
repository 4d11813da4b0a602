/**
 * Opening a directory repository that root reads on someone else's behalf
 * (the sudo rule). Then every byte in the repository is hostile input unless
 * only root can have written it, and every path someone else can change is a
 * race. So, as sshd's StrictModes and sudo's own checks do:
 *
 * - The directory and every directory above it must be owned by root and
 *   writable by nobody else (no group or other write bit: /tmp, /var/tmp,
 *   /dev/shm and group-writable directories fail). Symlinks on the way are
 *   followed only when root owns them and they sit in a directory that
 *   passed; at most 40 of them.
 * - The walk opens each directory relative to the one before it (never by a
 *   whole path again), and the repository is then used only through the
 *   descriptor it ended on (`/proc/self/fd/N/...`): what was checked is what
 *   is read, whatever is renamed or swapped afterwards.
 * - Nothing inside may be a symlink, a device, a FIFO or a socket, or be
 *   owned by anyone but root or writable by group or others.
 *
 * Every refusal is the same error (exit 15) whatever the reason, so a caller
 * cannot use it to learn what exists in places only root can see. Nothing is
 * read from a directory before it has passed.
 */
import {closeSync, constants, fstatSync, lstatSync, openSync, readdirSync, readlinkSync, type Stats} from 'node:fs';
import {BackhaulError} from '../errors.js';

/** A directory held open after its checks; `path` reaches it through the descriptor. */
export interface RootOnlyDirectory {
  fd: number;
  path: string;
}

const MAX_SYMLINKS = 40;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

export const viaFd = (fd: number) => `/proc/self/fd/${fd}`;

/** The one refusal: says what is required, never what was found. */
export function notRootOnly(location: string): BackhaulError {
  return new BackhaulError(
    'denied',
    `Through sudo, backhaul opens only repositories that only root can change, and ${location.slice(0, 300)} is not one.`,
    'An admin can check it: the repository and every directory above it must be owned by root and writable by nobody else, ' +
      'and nothing inside it may be a symlink or writable by others. Registered S3 repositories are named by their registered name.',
  );
}

/** Owned by root and writable by nobody else. */
function rootOnly(s: Stats): boolean {
  return s.uid === 0 && (s.mode & 0o022) === 0;
}

class Refused extends Error {}

function openChild(parent: number, name: string): number | 'symlink' {
  try {
    return openSync(`${viaFd(parent)}/${name}`, DIR_FLAGS);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      if (lstatSync(`${viaFd(parent)}/${name}`).isSymbolicLink()) return 'symlink';
    }
    throw new Refused();
  }
}

/**
 * Walks `location` (absolute) from `/`, one checked directory at a time, and
 * returns the last one still open. Throws the one refusal on any failure.
 */
export function openRootOnlyDirectory(location: string): RootOnlyDirectory {
  const stack: number[] = [];
  const closeAll = () => stack.splice(0).forEach(fd => closeSync(fd));
  try {
    const pushChecked = (fd: number) => {
      stack.push(fd);
      const s = fstatSync(fd);
      if (!s.isDirectory() || !rootOnly(s)) throw new Refused();
    };
    const toRoot = () => {
      closeAll();
      pushChecked(openSync('/', constants.O_RDONLY | constants.O_DIRECTORY));
    };
    if (!location.startsWith('/')) throw new Refused();
    toRoot();
    const todo = location.split('/').filter(p => p !== '' && p !== '.');
    let links = 0;
    while (todo.length > 0) {
      const name = todo.shift()!;
      if (name === '..') {
        if (stack.length > 1) closeSync(stack.pop()!);
        continue;
      }
      const parent = stack.at(-1)!;
      const next = openChild(parent, name);
      if (next !== 'symlink') {
        pushChecked(next);
        continue;
      }
      // The link's directory passed already; the link itself must be root's too.
      const link = lstatSync(`${viaFd(parent)}/${name}`);
      if (link.uid !== 0 || ++links > MAX_SYMLINKS) throw new Refused();
      const target = readlinkSync(`${viaFd(parent)}/${name}`);
      if (target.startsWith('/')) toRoot();
      todo.unshift(...target.split('/').filter(p => p !== '' && p !== '.'));
    }
    const fd = stack.pop()!;
    closeAll();
    return {fd, path: viaFd(fd)};
  } catch (e) {
    closeAll();
    if (e instanceof Refused || (e as NodeJS.ErrnoException).code) throw notRootOnly(location);
    throw e;
  }
}

/**
 * Checks everything below an opened directory: only directories and regular
 * files, all root's and writable by nobody else. Synchronous on purpose: it
 * runs once at open, before anything is read, and a thread-pool round trip
 * per entry would cost more than the checks.
 */
export function checkTreeRootOnly(dir: RootOnlyDirectory, location: string): void {
  const visit = (path: string) => {
    for (const entry of readdirSync(path, {withFileTypes: true})) {
      const full = `${path}/${entry.name}`;
      let s: Stats;
      try {
        s = lstatSync(full);
      } catch {
        continue; // removed meanwhile (only root can: a temporary file of a writer)
      }
      if (!rootOnly(s) || !(s.isDirectory() || s.isFile())) throw notRootOnly(location);
      if (s.isDirectory()) visit(full);
    }
  };
  try {
    visit(dir.path);
  } catch (e) {
    if (e instanceof BackhaulError) throw e;
    throw notRootOnly(location);
  }
}
