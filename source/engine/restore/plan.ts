/**
 * What a delegated (or sudo) restore will write, worked out before anything
 * is written: the selected disks, their entries filtered by path, and every
 * destination path, checked as untrusted input.
 *
 * Guarantees: a plan never holds a path that is absolute, has '.', '..' or
 * empty components, a NUL, or lies beneath a symlink of the same plan (a
 * crafted manifest with `link -> /etc` followed by `link/passwd`), nor two
 * entries for one path. Such a manifest is refused as a whole (`corrupt`).
 */
import {BackhaulError} from '../errors.js';
import type {DiskManifest, PointManifest, TreeEntry} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {checkEntryPath} from './safe-path.js';
import {pickDisks} from './select.js';

export interface PlannedEntry {
  /** Destination-relative parts (disk subdir + entry path). */
  parts: string[];
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtimeMs: number;
  size: number;
  chunks: TreeEntry['chunks'];
  target?: string;
}

export interface RestorePlan {
  entries: PlannedEntry[];
  files: number;
  bytes: number;
  /** "node:disk" of every disk in the plan, for the audit entry. */
  disks: string[];
}

export interface PlanRequest {
  node?: string;
  disk?: string;
  paths?: string[];
}

function wanted(path: string, filters: string[]): boolean {
  if (filters.length === 0) return true;
  return filters.some((f) => path === f || path.startsWith(f + '/') || f.startsWith(path + '/'));
}

const unsafe = (path: string, why: string) =>
  new BackhaulError('corrupt', `Refusing unsafe path in manifest: ${JSON.stringify(path).slice(0, 200)} (${why}).`, 'The backup may have been tampered with; nothing was written.');

function imageEntry(disk: DiskManifest, subdir: string[], mtimeMs: number): PlannedEntry {
  checkEntryPath(disk.name);
  const size = disk.image?.size ?? disk.logicalBytes;
  return {parts: [...subdir, `${disk.name}.img`], type: 'file', mode: 0o600, mtimeMs, size, chunks: disk.image?.chunks ?? []};
}

export async function planRestore(repo: Repository, point: PointManifest, request: PlanRequest): Promise<RestorePlan> {
  const filters = (request.paths ?? []).map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean);
  const entries: PlannedEntry[] = [];
  const disks: string[] = [];
  for (const s of pickDisks(point, request.node, request.disk)) {
    for (const part of s.subdir) checkEntryPath(part);
    disks.push(`${s.node.name}:${s.disk.name}`);
    if (s.disk.kind === 'image') {
      entries.push(imageEntry(s.disk, s.subdir, Date.parse(point.time)));
      continue;
    }
    for await (const e of repo.readTree(s.disk)) {
      const parts = checkEntryPath(e.path);
      if (!wanted(e.path, filters)) continue;
      if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink') throw unsafe(e.path, `unknown type ${String(e.type).slice(0, 20)}`);
      entries.push({parts: [...s.subdir, ...parts], type: e.type, mode: e.mode, mtimeMs: e.mtimeMs, size: e.type === 'file' ? e.size : 0, chunks: e.chunks, target: e.target});
    }
  }
  addParents(entries, Date.parse(point.time));
  checkPlan(entries);
  const files = entries.filter((e) => e.type === 'file');
  return {entries, files: files.length, bytes: files.reduce((t, e) => t + e.size, 0), disks};
}

/** Adds the directories the plan needs but does not list (node/disk subdirs, parents of a --path). */
function addParents(entries: PlannedEntry[], mtimeMs: number): void {
  const have = new Set(entries.map((e) => e.parts.join('/')));
  for (const e of [...entries]) {
    for (let i = 1; i < e.parts.length; i++) {
      const key = e.parts.slice(0, i).join('/');
      if (have.has(key)) continue;
      have.add(key);
      entries.push({parts: e.parts.slice(0, i), type: 'dir', mode: 0o700, mtimeMs, size: 0, chunks: undefined});
    }
  }
}

/** Refuses duplicates and anything beneath a symlink or a file of the same plan. */
export function checkPlan(entries: readonly PlannedEntry[]): void {
  const byPath = new Map<string, PlannedEntry>();
  for (const e of entries) {
    const key = e.parts.join('/');
    if (byPath.has(key)) throw unsafe(key, 'listed twice');
    byPath.set(key, e);
  }
  for (const e of entries) {
    for (let i = 1; i < e.parts.length; i++) {
      const parent = byPath.get(e.parts.slice(0, i).join('/'));
      if (parent && parent.type !== 'dir') throw unsafe(e.parts.join('/'), `beneath the ${parent.type} ${parent.parts.join('/')}`);
    }
  }
}
