/**
 * Walks a directory into tree entries (sorted by path).
 * Symlinks are recorded, never followed. Sockets, FIFOs and devices are
 * skipped and reported.
 */
import * as fs from 'node:fs/promises';
import {lstatSync, readdirSync, readlinkSync, type Stats} from 'node:fs';
import {join} from 'node:path';
import {fromSystemError} from '../errors.js';
import type {TreeEntry} from '../repository/model.js';

export interface WalkResult {
  entries: TreeEntry[];
  skipped: string[];
}

function toEntry(path: string, s: Stats, target?: string): TreeEntry | undefined {
  const base = {path, mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, mtimeMs: Math.floor(s.mtimeMs), size: 0};
  if (s.isDirectory()) return {...base, type: 'dir'};
  if (s.isSymbolicLink()) return {...base, type: 'symlink', target};
  if (s.isFile()) return {...base, type: 'file', size: s.size, ino: s.ino, ctimeMs: Math.floor(s.ctimeMs)};
  return undefined;
}

/** Walks `root`; entry paths are `prefix` + the path below root ('' prefix: root's own entry is skipped). */
export async function walkTree(root: string, prefix: string): Promise<WalkResult> {
  const entries: TreeEntry[] = [];
  const skipped: string[] = [];
  let rootStat: Stats;
  try {
    rootStat = await fs.stat(root);
  } catch (e) {
    throw fromSystemError(e, root) ?? e;
  }
  if (!rootStat.isDirectory()) throw fromSystemError({code: 'ENOTDIR'}, root)!;
  if (prefix) entries.push(toEntry(prefix, rootStat)!);
  // Synchronous lstat is several times cheaper per call than a thread-pool
  // round trip when inodes are cached; yield between directories instead.
  const stack: {abs: string; rel: string}[] = [{abs: root, rel: prefix}];
  let sinceYield = 0;
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir.abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // vanished while walking
      throw fromSystemError(e, dir.abs) ?? e;
    }
    for (const name of names) {
      const abs = join(dir.abs, name);
      const rel = dir.rel ? `${dir.rel}/${name}` : name;
      let s: Stats;
      try {
        s = lstatSync(abs);
      } catch {
        continue; // vanished while walking
      }
      const entry = toEntry(rel, s, s.isSymbolicLink() ? readlinkSync(abs) : undefined);
      if (!entry) {
        skipped.push(rel);
        continue;
      }
      entries.push(entry);
      if (entry.type === 'dir') stack.push({abs, rel});
    }
    if ((sinceYield += names.length) >= 2000) {
      sinceYield = 0;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {entries, skipped};
}
