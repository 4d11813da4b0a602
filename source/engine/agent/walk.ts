/**
 * Walks directories into tree entries, streaming: a worker thread lists and
 * lstats (walk-worker.ts, an entry of its own in the bundle) and the entries
 * arrive in batches while the backup already reads the changed files found
 * so far. Symlinks are recorded, never followed. Sockets, FIFOs and devices
 * are skipped and reported. Entries come in walk order; the caller sorts the
 * finished tree.
 */
import {BackhaulError, fromSystemError} from '../errors.js';
import type {TreeEntry} from '../repository/model.js';
import {AsyncQueue} from '../util/concurrency.js';
import {startWorker, type TypedWorker} from '../workers/start.js';
import {FIELDS, FILE, SYMLINK, type FromWalkWorker, type WalkRoot, type WalkWorkerData} from './walk-messages.js';

/** Entries of `roots[root]`; an entry's path is the root's prefix + its path below the root. */
export interface WalkBatch {
  root: number;
  entries: TreeEntry[];
}

/** Entries per message: big enough that messages cost little, small enough that reading starts early. */
const BATCH = 1024;
const ENTRY = {bundled: 'walk-worker', source: new URL('./walk-worker.ts', import.meta.url)};

function decode(paths: string[], nums: Float64Array, links: [number, string][]): TreeEntry[] {
  const targets = links.length > 0 ? new Map(links) : undefined;
  const entries: TreeEntry[] = new Array(paths.length);
  for (let i = 0; i < paths.length; i++) {
    const o = i * FIELDS;
    const path = paths[i]!;
    const mode = nums[o + 1]!;
    const uid = nums[o + 2]!;
    const gid = nums[o + 3]!;
    const mtimeMs = nums[o + 4]!;
    // Plain literals in the key order of every earlier point's entries (unchanged trees serialise
    // to the same chunks); a spread here cost more than the whole walk.
    switch (nums[o]) {
      case FILE:
        entries[i] = {
          path,
          mode,
          uid,
          gid,
          mtimeMs,
          size: nums[o + 5]!,
          type: 'file',
          ino: nums[o + 6]!,
          ctimeMs: nums[o + 7]!,
        };
        break;
      case SYMLINK:
        entries[i] = {path, mode, uid, gid, mtimeMs, size: 0, type: 'symlink', target: targets!.get(i)!};
        break;
      default:
        entries[i] = {path, mode, uid, gid, mtimeMs, size: 0, type: 'dir'};
    }
  }
  return entries;
}

/** A walk of one or more roots, started on construction; read it once with `batches`. */
export class Walk {
  private readonly worker: TypedWorker<never, FromWalkWorker>;
  private readonly queue = new AsyncQueue<WalkBatch>();
  /** Entries not backed up (special files), known once the walk ended. */
  skipped: string[] = [];

  constructor(roots: WalkRoot[]) {
    const workerData: WalkWorkerData = {roots, batch: BATCH};
    this.worker = startWorker<never, FromWalkWorker>(ENTRY, {workerData});
    this.worker.unref();
    let ended = false;
    this.worker.receive(m => {
      if (m.type === 'error') {
        const {code, message, path} = m.error;
        ended = true;
        this.queue.fail(
          fromSystemError({code}, path) ??
            new BackhaulError('failure', `Cannot walk ${path}: ${message}.`, 'Check the path and its permissions.'),
        );
      } else if (m.type === 'end') {
        ended = true;
        this.skipped = m.skipped;
        this.queue.end();
      } else {
        this.queue.push({root: m.root, entries: decode(m.paths, m.nums, m.links)});
      }
    });
    this.worker.on('error', e => this.queue.fail(e));
    this.worker.on('exit', () => {
      if (!ended)
        this.queue.fail(
          new BackhaulError('failure', 'The directory walk stopped unexpectedly.', 'Run the backup again.'),
        );
    });
  }

  batches(): AsyncIterable<WalkBatch> {
    return this.queue;
  }

  /** Stops the walk if it is still running. */
  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Walks `root` whole; entry paths are `prefix` + the path below root ('' prefix: root's own entry is skipped). Sorted by path. */
export async function walkTree(root: string, prefix: string): Promise<{entries: TreeEntry[]; skipped: string[]}> {
  const walk = new Walk([{root, prefix}]);
  try {
    const entries: TreeEntry[] = [];
    for await (const batch of walk.batches()) entries.push(...batch.entries);
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return {entries, skipped: walk.skipped};
  } finally {
    await walk.close();
  }
}
