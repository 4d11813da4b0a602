/**
 * Guards every path a restore writes. A manifest is untrusted input: its
 * paths must be relative, without '.', '..' or empty components, and no
 * directory on the way from the destination to a restored file may be a
 * symlink (planted in the destination, or restored earlier from the same
 * manifest). Whatever the manifest says, nothing is written outside DEST.
 */
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {BackhaulError} from '../errors.js';

export function checkEntryPath(path: string): string[] {
  const bad = () => new BackhaulError('corrupt', `Refusing unsafe path in manifest: ${JSON.stringify(path).slice(0, 200)}.`, 'The backup may have been tampered with; nothing was written for this entry.');
  if (typeof path !== 'string' || path === '' || path.startsWith('/') || path.includes('\0')) throw bad();
  const parts = path.split('/');
  for (const part of parts) if (part === '' || part === '.' || part === '..') throw bad();
  return parts;
}

/**
 * Refuses a tree (in whatever order its entries come) that names one path
 * twice or puts an entry beneath one of its own symlinks (`link -> /etc`
 * then `link/passwd`): restoring it would either fail half-way or, without
 * SafeDirs, write through the link.
 */
export class TreeGuard {
  private readonly paths = new Set<string>();
  private readonly links = new Set<string>();

  add(path: string, type: string): void {
    checkEntryPath(path);
    if (this.paths.has(path)) throw unsafe(`the path ${JSON.stringify(path).slice(0, 200)} appears twice`);
    this.paths.add(path);
    if (type === 'symlink') this.links.add(path);
  }

  finish(): void {
    if (this.links.size === 0) return;
    for (const path of this.paths) {
      for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) {
        const parent = path.slice(0, at);
        if (this.links.has(parent)) throw unsafe(`${JSON.stringify(path).slice(0, 200)} lies beneath the symlink ${JSON.stringify(parent).slice(0, 200)}`);
      }
    }
  }
}

const unsafe = (what: string) => new BackhaulError('corrupt', `Refusing the manifest: ${what}.`, 'The backup may have been tampered with; nothing was written.');

/** Creates and checks directories below a destination root; remembers what it checked. */
export class SafeDirs {
  private readonly checked = new Set<string>(['']);
  constructor(readonly root: string, private readonly mode = 0o700) {}

  /** Ensures root/rel is a real directory reached without symlinks; returns its absolute path. */
  async ensure(parts: string[]): Promise<string> {
    let rel = '';
    for (const part of parts) {
      rel = rel ? `${rel}/${part}` : part;
      if (this.checked.has(rel)) continue;
      const abs = join(this.root, rel);
      const s = await fs.lstat(abs).catch(() => undefined);
      if (!s) {
        await fs.mkdir(abs, {mode: this.mode});
      } else if (s.isSymbolicLink()) {
        throw new BackhaulError('denied', `Refusing to restore through the symlink ${abs}.`, 'Remove the symlink from the destination, or restore to an empty directory.');
      } else if (!s.isDirectory()) {
        throw new BackhaulError('exists', `${abs} exists and is not a directory.`, 'Restore to an empty directory, or move it away.');
      }
      this.checked.add(rel);
    }
    return join(this.root, ...parts);
  }
}
