/**
 * Walks a directory into tree entries (sorted by path), with lstat calls in
 * parallel: one file at a time was the bottleneck on trees of many small files.
 * Symlinks are recorded, never followed. Sockets, FIFOs and devices are
 * skipped and reported.
 */
import * as fs from 'node:fs/promises';
import type {Stats} from 'node:fs';
import {join} from 'node:path';
import {fromSystemError} from '../errors.js';
import type {TreeEntry} from '../repository/model.js';
import {mapLimit} from '../util/concurrency.js';

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
  let level: {abs: string; rel: string}[] = [{abs: root, rel: prefix}];
  while (level.length > 0) {
    const children = await mapLimit(level, 16, async (dir) => {
      const names = (await fs.readdir(dir.abs)).sort();
      return mapLimit(names, 64, async (name) => {
        const abs = join(dir.abs, name);
        const rel = dir.rel ? `${dir.rel}/${name}` : name;
        const s = await fs.lstat(abs).catch(() => undefined);
        if (!s) return undefined; // vanished while walking
        const target = s.isSymbolicLink() ? await fs.readlink(abs) : undefined;
        const entry = toEntry(rel, s, target);
        if (!entry) skipped.push(rel);
        return entry ? {entry, abs} : undefined;
      });
    });
    const next: {abs: string; rel: string}[] = [];
    for (const group of children) {
      for (const item of group) {
        if (!item) continue;
        entries.push(item.entry);
        if (item.entry.type === 'dir') next.push({abs: item.abs, rel: item.entry.path});
      }
    }
    level = next;
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {entries, skipped};
}
