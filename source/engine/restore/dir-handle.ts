/**
 * Directories a restore writes into, held open and used only through their
 * descriptors: every create, rename, link or metadata change names one entry
 * relative to an open directory (`/proc/self/fd/N/NAME`, Linux's way to reach
 * openat(2) and friends from Node), never a whole path. So no path component
 * is looked up again after it was checked, and someone who swaps a restored
 * directory for a symlink while a restore runs changes nothing: the writes go
 * on into the directory that was opened. Each directory is opened with
 * O_NOFOLLOW, each file created with O_EXCL|O_NOFOLLOW.
 *
 * The destination itself is given as a path; `openDestination` walks it from
 * `/` one directory at a time and follows a symlink on the way only when
 * nobody but root or the writer could have put it there (its owner is one of
 * them, and so is its directory's, which nobody else may write — or which is
 * sticky, as /tmp is). Missing directories are created (0700) by the writer.
 *
 * Linux only (/proc/self/fd and O_PATH); the writer may be a process that
 * dropped root's rights, which /proc/self/fd allows for its own descriptors.
 */
import {constants, type Stats} from 'node:fs';
import * as fs from 'node:fs/promises';
import {BackhaulError} from '../errors.js';
import {throughSymlink, writeError} from './write-errors.js';

/** O_PATH (Linux): a directory to look things up in, needing only search permission on it. */
const O_PATH = 0o10000000;
const LOOKUP = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const WRITABLE_DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const NEW_FILE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const MAX_SYMLINKS = 40;

const code = (e: unknown) => (e as NodeJS.ErrnoException | undefined)?.code;

export class DirHandle {
  private constructor(
    private readonly handle: fs.FileHandle,
    readonly shown: string,
  ) {}

  /** The entry `name` inside this directory, reached through its descriptor. */
  at(name: string): string {
    return `/proc/self/fd/${this.handle.fd}/${name}`;
  }

  private child(name: string): string {
    return this.shown === '/' ? `/${name}` : `${this.shown}/${name}`;
  }

  async stat(): Promise<Stats> {
    return this.handle.stat();
  }

  /** What `name` is, without following it; undefined when nothing is there. */
  async lstat(name: string): Promise<Stats | undefined> {
    try {
      return await fs.lstat(this.at(name));
    } catch (e) {
      if (code(e) === 'ENOENT') return undefined;
      throw e;
    }
  }

  /** An existing directory below this one; a symlink there is refused, never followed. */
  async openDir(name: string): Promise<DirHandle> {
    try {
      return new DirHandle(await fs.open(this.at(name), WRITABLE_DIR), this.child(name));
    } catch (e) {
      if (code(e) === 'ELOOP') throw throughSymlink(this.child(name));
      if (code(e) === 'ENOTDIR')
        throw new BackhaulError(
          'exists',
          `${this.child(name).slice(0, 300)} exists and is not a directory.`,
          'Restore to another directory, or move it away.',
        );
      throw e;
    }
  }

  /** Creates `name` (EEXIST if anything is there) and opens it. */
  async makeDir(name: string, mode = 0o700): Promise<DirHandle> {
    await fs.mkdir(this.at(name), mode);
    return this.openDir(name);
  }

  /** A new file (never over anything, never through a symlink), 0600 until its mode is applied. */
  async createFile(name: string): Promise<fs.FileHandle> {
    return fs.open(this.at(name), NEW_FILE, 0o600);
  }

  async symlink(target: string, name: string): Promise<void> {
    await fs.symlink(target, this.at(name));
  }

  /**
   * Puts the finished `temp` under `name`: a new name with link(2), which
   * fails if anything appeared there meanwhile (rename where the filesystem
   * has no hard links); `rename` (replacing, or in a directory this restore
   * made, where nobody else can have put a name) with rename(2), which swaps
   * the entry itself — a symlink there is replaced, never followed.
   */
  async place(temp: string, name: string, rename: boolean): Promise<void> {
    if (rename) {
      await fs.rename(this.at(temp), this.at(name));
      return;
    }
    try {
      await fs.link(this.at(temp), this.at(name));
    } catch (e) {
      if (code(e) !== 'EPERM' && code(e) !== 'ENOTSUP' && code(e) !== 'EOPNOTSUPP') throw e;
      if (await this.lstat(name)) throw Object.assign(new Error('exists'), {code: 'EEXIST'});
      await fs.rename(this.at(temp), this.at(name));
      return;
    }
    await fs.unlink(this.at(temp));
  }

  async remove(name: string): Promise<void> {
    await fs.unlink(this.at(name)).catch((e: unknown) => {
      if (code(e) !== 'ENOENT') throw e;
    });
  }

  async removeDir(name: string): Promise<void> {
    await fs.rmdir(this.at(name)).catch(() => undefined);
  }

  /** Owner (when given), mode and mtime of this directory itself, through its descriptor. */
  async setMeta(meta: {owner?: {uid: number; gid: number}; mode: number; mtime: number | Date}): Promise<void> {
    if (meta.owner) await this.handle.chown(meta.owner.uid, meta.owner.gid);
    await this.handle.chmod(meta.mode);
    await this.handle.utimes(meta.mtime, meta.mtime);
  }

  /** Owner and mtime of a symlink in this directory (the link itself, not what it names). */
  async setLinkMeta(name: string, meta: {owner?: {uid: number; gid: number}; mtime: number | Date}): Promise<void> {
    if (meta.owner) await fs.lchown(this.at(name), meta.owner.uid, meta.owner.gid);
    await fs.lutimes(this.at(name), meta.mtime, meta.mtime);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }

  /**
   * The destination directory at `path`, created (0700) where missing.
   * `created` lists the directories this call made, outermost first, with
   * the handle of each one's parent, so a refused restore can take them back.
   */
  static async openDestination(
    path: string,
    writer: {uid: number; name: string},
    create: boolean,
  ): Promise<{dir: DirHandle; created: Array<{parent: DirHandle; name: string}>}> {
    if (!path.startsWith('/'))
      throw new BackhaulError('usage', `The destination must be an absolute path, not ${path.slice(0, 200)}.`);
    const trusted = (s: Stats) => s.uid === 0 || s.uid === writer.uid;
    const stack: Array<{fd: fs.FileHandle; shown: string; stat: Stats}> = [];
    const created: Array<{parent: DirHandle; name: string}> = [];
    const at = (name: string) => `/proc/self/fd/${stack.at(-1)!.fd.fd}/${name}`;
    const shownOf = (name: string) => (stack.at(-1)!.shown === '/' ? `/${name}` : `${stack.at(-1)!.shown}/${name}`);
    const push = async (target: string, shown: string) => {
      const fd = await fs.open(target, LOOKUP);
      stack.push({fd, shown, stat: await fd.stat()});
    };
    const closeAll = async () => {
      for (const s of stack.splice(0)) await s.fd.close().catch(() => undefined);
    };
    let current = '/';
    try {
      await push('/', '/');
      const todo = path.split('/').filter(p => p !== '' && p !== '.');
      let links = 0;
      while (todo.length > 0) {
        const name = todo.shift()!;
        current = name === '..' ? current : shownOf(name);
        if (name === '..') {
          if (stack.length > 1) await stack.pop()!.fd.close();
          continue;
        }
        const found = await fs
          .lstat(at(name))
          .catch((e: unknown) => (code(e) === 'ENOENT' ? undefined : Promise.reject(e)));
        if (!found) {
          if (!create) throw Object.assign(new Error('missing'), {code: 'ENOENT'});
          await fs.mkdir(at(name), 0o700);
          const parent = stack.at(-1)!;
          // A second descriptor of the same directory (through its magic link, so no O_NOFOLLOW), kept to take the new one back.
          created.push({
            parent: new DirHandle(
              await fs.open(`/proc/self/fd/${parent.fd.fd}`, O_PATH | constants.O_DIRECTORY),
              parent.shown,
            ),
            name,
          });
          await push(at(name), shownOf(name));
          continue;
        }
        if (found.isSymbolicLink()) {
          const dir = stack.at(-1)!.stat;
          const dirSafe = trusted(dir) && ((dir.mode & 0o022) === 0 || (dir.mode & 0o1000) !== 0);
          if (!dirSafe || !trusted(found) || ++links > MAX_SYMLINKS) throw throughSymlink(shownOf(name));
          const target = await fs.readlink(at(name));
          if (target.startsWith('/')) {
            await closeAll();
            await push('/', '/');
          }
          todo.unshift(...target.split('/').filter(p => p !== '' && p !== '.'));
          continue;
        }
        if (!found.isDirectory())
          throw new BackhaulError(
            'exists',
            `${shownOf(name).slice(0, 300)} exists and is not a directory.`,
            'Pick a directory, or a new name.',
          );
        await push(at(name), shownOf(name));
      }
      const last = stack.at(-1)!;
      // Reopened for writing its metadata later; O_NOFOLLOW on the descriptor's own magic link is not needed (it is no symlink).
      const dir = new DirHandle(
        await fs.open(`/proc/self/fd/${last.fd.fd}`, constants.O_RDONLY | constants.O_DIRECTORY),
        last.shown,
      );
      await closeAll();
      return {dir, created};
    } catch (e) {
      await closeAll();
      for (const c of created) await c.parent.close();
      throw writeError(e, current, writer.name);
    }
  }
}
