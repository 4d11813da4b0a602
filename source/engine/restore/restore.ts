/**
 * File-level and volume-level restore of one restore point into a directory.
 * Checks everything before writing anything it can check (paths, existing
 * files), then writes directories, files, and symlinks last, so no entry of
 * the manifest can redirect a later write. Every chunk read is verified.
 */
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {BackhaulError, cancelled, fromSystemError} from '../errors.js';
import type {BackupRecord, DiskManifest, PointManifest, TreeEntry} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {mapLimit} from '../util/concurrency.js';
import {checkEntryPath, SafeDirs, TreeGuard} from './safe-path.js';
import {pickDisks} from './select.js';
import {fsTime, writeChunksTo, type Ownership} from './write-file.js';

export interface RestoreOptions {
  to: string;
  node?: string;
  disk?: string;
  /** Restore only these paths (and what is below them). */
  paths?: string[];
  overwrite?: boolean;
  /** Give every restored file to this user (delegated restore); default: original owner when root. */
  owner?: Ownership;
  signal?: AbortSignal;
  onProgress?: (p: {bytesDone: number; bytesTotal: number; filesDone: number; filesTotal: number}) => void;
}

export interface RestoreResult {
  files: number;
  bytes: number;
  images: string[];
}

function wanted(path: string, filters: string[]): boolean {
  if (filters.length === 0) return true;
  return filters.some((f) => path === f || path.startsWith(f + '/') || f.startsWith(path + '/'));
}

function ownerFor(entry: TreeEntry, options: RestoreOptions): Ownership | undefined {
  if (options.owner) return options.owner;
  return process.getuid?.() === 0 ? {uid: entry.uid, gid: entry.gid} : undefined;
}

async function collect(repo: Repository, disk: DiskManifest, filters: string[]): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const guard = new TreeGuard();
  for await (const entry of repo.readTree(disk)) {
    guard.add(entry.path, entry.type);
    if (wanted(entry.path, filters)) entries.push(entry);
  }
  guard.finish();
  return entries;
}

export async function restorePoint(repo: Repository, backup: BackupRecord, point: PointManifest, options: RestoreOptions): Promise<RestoreResult> {
  try {
    return await restoreInto(repo, point, options);
  } catch (e) {
    // Damage anywhere (a file tree, a chunk, a missing pack) names the restore point.
    if (e instanceof BackhaulError && e.code === 'corrupt') {
      throw new BackhaulError('corrupt', `Restore point ${point.id} of ${backup.machine} (${backup.id}) is damaged: ${e.message}`, e.hint);
    }
    throw e;
  }
}

async function restoreInto(repo: Repository, point: PointManifest, options: RestoreOptions): Promise<RestoreResult> {
  const filters = (options.paths ?? []).map((p) => p.replace(/^\/+|\/+$/g, '')).filter(Boolean);
  const selected = pickDisks(point, options.node, options.disk);
  for (const s of selected) for (const part of s.subdir) checkEntryPath(part);
  try {
    await fs.mkdir(options.to, {recursive: true, mode: 0o700});
  } catch (e) {
    throw fromSystemError(e, options.to) ?? e;
  }
  const plans = [];
  for (const s of selected) {
    const entries = s.disk.kind === 'files' ? await collect(repo, s.disk, filters) : [];
    plans.push({...s, entries});
  }
  const bytesTotal = plans.reduce((sum, p) => sum + (p.disk.kind === 'image' ? p.disk.logicalBytes : p.entries.reduce((t, e) => t + (e.type === 'file' ? e.size : 0), 0)), 0);
  const filesTotal = plans.reduce((sum, p) => sum + (p.disk.kind === 'image' ? 1 : p.entries.filter((e) => e.type === 'file').length), 0);
  const progress = {bytesDone: 0, bytesTotal, filesDone: 0, filesTotal};
  const onBytes = (n: number) => {
    progress.bytesDone += n;
  };
  const tick = setInterval(() => options.onProgress?.({...progress}), 200);
  const result: RestoreResult = {files: 0, bytes: 0, images: []};
  try {
    if (!options.overwrite) await refuseExisting(options.to, plans);
    const dirs = new SafeDirs(options.to);
    for (const plan of plans) {
      if (plan.disk.kind === 'image') {
        checkEntryPath(plan.disk.name);
        const dir = await dirs.ensure(plan.subdir);
        const path = join(dir, `${plan.disk.name}.img`);
        result.bytes += await writeChunksTo(repo, path, plan.disk.image?.chunks ?? [], {overwrite: !!options.overwrite, mode: 0o600, mtimeMs: Date.parse(point.time), onBytes});
        result.images.push(path);
        progress.filesDone++;
        continue;
      }
      await restoreEntries(repo, dirs, plan.subdir, plan.entries, options, onBytes, () => {
        progress.filesDone++;
        result.files++;
      });
    }
    result.bytes = progress.bytesDone;
    options.onProgress?.({...progress});
    return result;
  } finally {
    clearInterval(tick);
  }
}

async function refuseExisting(to: string, plans: {disk: DiskManifest; subdir: string[]; entries: TreeEntry[]}[]): Promise<void> {
  const clashes: string[] = [];
  for (const plan of plans) {
    const paths = plan.disk.kind === 'image' ? [[...plan.subdir, `${plan.disk.name}.img`].join('/')] :
      plan.entries.filter((e) => e.type !== 'dir').map((e) => [...plan.subdir, e.path].join('/'));
    for (const rel of paths) {
      if (await fs.lstat(join(to, rel)).then(() => true, () => false)) clashes.push(rel);
      if (clashes.length >= 5) break;
    }
  }
  if (clashes.length > 0) {
    throw new BackhaulError('exists', `${clashes.length >= 5 ? 'Files' : clashes.length === 1 ? 'A file' : 'Files'} to restore already exist in ${to}: ${clashes.join(', ')}${clashes.length >= 5 ? ', …' : ''}.`,
      'Nothing was written. Pass --overwrite to replace them, or restore to an empty directory.');
  }
}

async function restoreEntries(repo: Repository, dirs: SafeDirs, subdir: string[], entries: TreeEntry[], options: RestoreOptions, onBytes: (n: number) => void, onFile: () => void): Promise<void> {
  const overwrite = !!options.overwrite;
  const dirEntries = entries.filter((e) => e.type === 'dir');
  for (const e of dirEntries) await dirs.ensure([...subdir, ...checkEntryPath(e.path)]);
  const files = entries.filter((e) => e.type === 'file');
  await mapLimit(files, 8, async (e) => {
    if (options.signal?.aborted) throw cancelled();
    const parts = checkEntryPath(e.path);
    const dir = await dirs.ensure([...subdir, ...parts.slice(0, -1)]);
    await writeChunksTo(repo, join(dir, parts.at(-1)!), e.chunks ?? [], {overwrite, mode: e.mode, mtimeMs: e.mtimeMs, owner: ownerFor(e, options), onBytes});
    onFile();
  });
  for (const e of entries.filter((x) => x.type === 'symlink')) {
    const parts = checkEntryPath(e.path);
    const dir = await dirs.ensure([...subdir, ...parts.slice(0, -1)]);
    const path = join(dir, parts.at(-1)!);
    if (overwrite) await fs.rm(path, {force: true});
    await fs.symlink(e.target ?? '', path).catch((err: unknown) => {
      throw fromSystemError(err, path) ?? err;
    });
    const owner = ownerFor(e, options);
    if (owner) await fs.lchown(path, owner.uid, owner.gid);
    await fs.lutimes(path, fsTime(e.mtimeMs), fsTime(e.mtimeMs));
  }
  // Directories last, deepest first: writing into a directory changes its mtime.
  for (const e of dirEntries.reverse()) {
    const path = await dirs.ensure([...subdir, ...checkEntryPath(e.path)]);
    const owner = ownerFor(e, options);
    if (owner) await fs.chown(path, owner.uid, owner.gid);
    await fs.chmod(path, e.mode & 0o7777);
    await fs.utimes(path, fsTime(e.mtimeMs), fsTime(e.mtimeMs));
  }
}
