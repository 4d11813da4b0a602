/**
 * Files in Backhaul's state directory (workspace/dirs.ts `stateDir`): evidence kept
 * outside repositories, private to the user the process runs as.
 *
 * Guarantees:
 * - Directories are 0700 and files 0600, owned by the effective user. A
 *   symlink, anything owned by someone else, a directory others may write, or
 *   a file with several links is refused (`denied`), never used: through
 *   sudo, root must not write where the caller could point it.
 * - Files are opened with O_NOFOLLOW, appends with O_APPEND: each line is one
 *   write(2), so concurrent writers interleave whole lines.
 * - Reading never creates anything: a missing directory or file reads as empty.
 * Limit: only the state directory itself and what is inside it are checked;
 * its ancestors (/var/lib, a home directory) are the system's.
 */
import {constants, type Stats} from 'node:fs';
import {chmod, lstat, mkdir, open, readdir, rename, type FileHandle} from 'node:fs/promises';
import {BackhaulError, denied, fromSystemError} from '../errors.js';

const {O_WRONLY, O_RDONLY, O_APPEND, O_CREAT, O_NOFOLLOW} = constants;
const euid = () => process.geteuid?.() ?? -1;

function unsafe(path: string, why: string): BackhaulError {
  return denied(
    `${path.slice(0, 300)} is not safe to use for Backhaul's records: ${why}.`,
    `It must be a directory or file owned by the user Backhaul runs as (uid ${euid()}), not a symlink, and writable by nobody else; move it aside and run again.`,
  );
}

function checkOwned(path: string, s: Stats, kind: 'dir' | 'file'): void {
  if (s.isSymbolicLink()) throw unsafe(path, 'it is a symlink');
  if (kind === 'dir' ? !s.isDirectory() : !s.isFile())
    throw unsafe(path, `it is not a ${kind === 'dir' ? 'directory' : 'regular file'}`);
  if (s.uid !== euid()) throw unsafe(path, `it belongs to uid ${s.uid}`);
  if (kind === 'file' && s.nlink > 1) throw unsafe(path, 'it has other hard links');
}

function systemError(e: unknown, what: string): unknown {
  if (e instanceof BackhaulError) return e;
  // O_NOFOLLOW on a symlink.
  if ((e as NodeJS.ErrnoException).code === 'ELOOP') return unsafe(what, 'it is a symlink');
  return fromSystemError(e, what) ?? e;
}

/** Creates `dir` (and missing parents) 0700 and checks it; returns it. */
export async function ensurePrivateDir(dir: string): Promise<string> {
  try {
    await mkdir(dir, {recursive: true, mode: 0o700});
    const s = await lstat(dir);
    checkOwned(dir, s, 'dir');
    // Ours, so tightening is safe; files planted while it was open are refused by their owner.
    if ((s.mode & 0o077) !== 0) await chmod(dir, 0o700);
    return dir;
  } catch (e) {
    throw systemError(e, dir);
  }
}

/** Whether `dir` exists as a private directory; false when missing, throws when unsafe. */
async function privateDirExists(dir: string): Promise<boolean> {
  const s = await lstat(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (!s) return false;
  checkOwned(dir, s, 'dir');
  return true;
}

/** Opens `file` (in a directory ensurePrivateDir made) for appending, creating it 0600. */
export async function openAppend(file: string): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
    checkOwned(file, await handle.stat(), 'file');
    await handle.chmod(0o600);
    return handle;
  } catch (e) {
    await handle?.close();
    throw systemError(e, file);
  }
}

/** Writes one line to a handle from openAppend. */
export async function writeLine(handle: FileHandle, file: string, line: string): Promise<void> {
  try {
    await handle.write(Buffer.from(line.endsWith('\n') ? line : line + '\n'));
  } catch (e) {
    throw systemError(e, file);
  }
}

/** Appends one line; when the file would grow past `maxBytes`, it is first renamed to `<file>.1` (replacing the previous one). */
export async function appendLine(file: string, line: string, options: {maxBytes?: number} = {}): Promise<void> {
  let handle = await openAppend(file);
  try {
    const {size} = await handle.stat();
    if (options.maxBytes !== undefined && size > 0 && size + Buffer.byteLength(line) + 1 > options.maxBytes) {
      await handle.close();
      await rename(file, `${file}.1`).catch((e: unknown) => {
        // Another writer rotated it first: append to the new file.
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw systemError(e, file);
      });
      handle = await openAppend(file);
    }
    await writeLine(handle, file, line);
  } finally {
    await handle.close();
  }
}

/**
 * Reads a private file; with `tailBytes`, only its end, from the first whole
 * line within the last `tailBytes`. A missing file reads as ''.
 */
export async function readPrivate(file: string, tailBytes?: number): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await open(file, O_RDONLY | O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw systemError(e, file);
  }
  try {
    const s = await handle.stat();
    checkOwned(file, s, 'file');
    const start = tailBytes === undefined ? 0 : Math.max(0, s.size - tailBytes);
    const buffer = Buffer.alloc(s.size - start);
    const {bytesRead} = await handle.read(buffer, 0, buffer.length, start);
    const text = buffer.subarray(0, bytesRead);
    return (start === 0 ? text : text.subarray(text.indexOf(10) + 1)).toString('utf8');
  } catch (e) {
    throw systemError(e, file);
  } finally {
    await handle.close();
  }
}

/** The names in a private directory; none when it does not exist. */
export async function listPrivate(dir: string): Promise<string[]> {
  try {
    return (await privateDirExists(dir)) ? await readdir(dir) : [];
  } catch (e) {
    throw systemError(e, dir);
  }
}
