/**
 * Restoring one restore point: the plan (plan.ts) written to a directory or
 * an archive by a writer (write-plan.ts). `restorePlan` is the one path every
 * restore takes — plain, a user's own through sudo, delegated, from the CLI
 * or the TUI — so they refuse the same manifests and write the same way.
 *
 * `restorePoint` is the plain restore: the process's own user restores a
 * point it may see. Run by root it keeps owners and setuid/setgid bits (root
 * restoring for root); run by anyone else it writes that user's own files
 * and drops those bits. Existing files make it refuse with nothing written,
 * unless `overwrite`.
 */
import {userInfo} from 'node:os';
import {join, resolve} from 'node:path';
import {BackhaulError} from '../errors.js';
import type {BackupRecord, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {planRestore, type PlanRequest, type RestorePlan} from './plan.js';
import {writePlanToTar} from './tar-export.js';
import {restoredStamp, type Conflict} from './tree-writer.js';
import {repositoryData, writePlan, type Writer} from './write-plan.js';

export type Destination = {kind: 'dir'; path: string; conflict: Conflict} | {kind: 'tar'; path: string};

export interface RestoreProgress {
  bytesDone: number;
  bytesTotal: number;
  filesDone: number;
  filesTotal: number;
}

/** Whose restore it is: who writes, and what of the manifest's ownership is kept. */
export interface RestoreAs {
  writer: Writer;
  keepOwners: boolean;
  keepSpecial: boolean;
}

export interface RestoreOutcome {
  files: number;
  bytes: number;
  /** Absolute path of the directory or archive written. */
  destination: string;
  renamed: Array<[string, string]>;
  replaced: string[];
  /** Files and directories whose setuid/setgid bits were dropped. */
  specialDropped: number;
}

export interface RestoreRun {
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
  now?: () => Date;
}

/** Writes a plan to its destination; progress every 200 ms and at the end. */
export async function restorePlan(
  repo: Repository,
  plan: RestorePlan,
  destination: Destination,
  as: RestoreAs,
  run: RestoreRun = {},
): Promise<RestoreOutcome> {
  const progress: RestoreProgress = {bytesDone: 0, bytesTotal: plan.bytes, filesDone: 0, filesTotal: plan.files};
  const onBytes = (n: number) => (progress.bytesDone += n);
  const onFile = () => progress.filesDone++;
  run.onProgress?.({...progress});
  const tick = setInterval(() => run.onProgress?.({...progress}), 200);
  const path = resolve(destination.path);
  try {
    if (destination.kind === 'tar') {
      const r = await writePlanToTar(
        repo,
        plan.entries,
        path,
        {...as, stamp: ''},
        {signal: run.signal, onBytes, onFile},
      );
      return {
        files: r.files,
        bytes: r.bytes,
        destination: path,
        renamed: [],
        replaced: [],
        specialDropped: r.specialDropped,
      };
    }
    const stamp = restoredStamp((run.now ?? (() => new Date()))());
    const isFile = new Set(plan.entries.flatMap((e, i) => (e.type === 'file' ? [i] : [])));
    const r = await writePlan(
      plan.entries,
      repositoryData(repo, plan.entries, onBytes),
      {...as, destination: path, create: true, conflict: destination.conflict, stamp},
      {signal: run.signal, onFile: i => isFile.has(i) && onFile()},
    );
    return {
      files: r.files,
      bytes: r.bytes,
      destination: path,
      renamed: r.renamed,
      replaced: r.replaced,
      specialDropped: r.specialDropped,
    };
  } finally {
    clearInterval(tick);
    run.onProgress?.({...progress});
  }
}

export interface RestoreOptions extends PlanRequest, RestoreRun {
  /** A directory to restore into, or (`tar`) a new archive to write. */
  to: string;
  tar?: boolean;
  overwrite?: boolean;
}

export interface RestoreResult {
  files: number;
  bytes: number;
  /** Disk images written (volume-level disks), absolute paths. */
  images: string[];
  specialDropped: number;
  /** Bytes read from the repository for files inside volume images (0 otherwise). */
  readBytes: number;
  /** Entries inside images that were not restored (device nodes, fifos, sockets), with why. */
  skipped: string[];
}

/** The plain restore of a point the process's user may see (access is checked by the caller). */
export async function restorePoint(
  repo: Repository,
  backup: BackupRecord,
  point: PointManifest,
  options: RestoreOptions,
): Promise<RestoreResult> {
  try {
    const plan = await planRestore(repo, point, options);
    try {
      return await restorePlanned(repo, plan, options);
    } finally {
      await plan.close();
    }
  } catch (e) {
    // Damage anywhere (a file tree, a chunk, a missing pack) names the restore point.
    if (e instanceof BackhaulError && e.code === 'corrupt') {
      throw new BackhaulError(
        'corrupt',
        `Restore point ${point.id} of ${backup.machine} (${backup.id}) is damaged: ${e.message}`,
        e.hint,
      );
    }
    throw e;
  }
}

async function restorePlanned(repo: Repository, plan: RestorePlan, options: RestoreOptions): Promise<RestoreResult> {
  const root = process.geteuid?.() === 0;
  let name: string;
  try {
    name = userInfo().username;
  } catch {
    name = `#${process.geteuid?.()}`;
  }
  const as: RestoreAs = {
    writer: {uid: process.geteuid!(), gid: process.getegid!(), name},
    keepOwners: root,
    keepSpecial: root,
  };
  const destination: Destination = options.tar
    ? {kind: 'tar', path: options.to}
    : {kind: 'dir', path: options.to, conflict: options.overwrite ? 'overwrite' : 'fail'};
  const r = await restorePlan(repo, plan, destination, as, options);
  const extra = {readBytes: plan.readBytes(), skipped: plan.skipped};
  if (options.tar) return {files: r.files, bytes: r.bytes, images: [], specialDropped: r.specialDropped, ...extra};
  const images = plan.entries.filter(e => e.image).map(e => join(r.destination, ...e.parts));
  return {files: r.files - images.length, bytes: r.bytes, images, specialDropped: r.specialDropped, ...extra};
}
