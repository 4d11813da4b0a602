/**
 * The messages of the walking worker (walk-worker.ts) to walk.ts, and what
 * it is started with: the one place their shape is written. The worker takes
 * no messages; it walks its roots once and ends.
 */

export interface WalkRoot {
  root: string;
  /** Prepended to every path below the root ('': the root's own entry is left out). */
  prefix: string;
}

export interface WalkWorkerData {
  roots: WalkRoot[];
  /** Entries per batch message. */
  batch: number;
}

/** Numbers per entry in a batch's `nums`: type (0 dir, 1 file, 2 symlink), mode, uid, gid, mtimeMs, size, ino, ctimeMs. */
export const FIELDS = 8;
export const DIR = 0;
export const FILE = 1;
export const SYMLINK = 2;

export type FromWalkWorker =
  /** Entries of roots[root]: FIELDS numbers each in `nums`; `links`, symlink targets as [index in batch, target]. */
  | {type: 'batch'; root: number; paths: string[]; nums: Float64Array; links: [number, string][]}
  /** The walk is complete; `skipped`: sockets, FIFOs and devices (not backed up). */
  | {type: 'end'; skipped: string[]}
  /** The walk cannot go on. */
  | {type: 'error'; error: {code?: string; message: string; path: string}};
