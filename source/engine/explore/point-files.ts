/**
 * The files of a restore point an explorer looks into: one path of a disk
 * (a file-level disk's, or one inside a volume image) planned exactly as a
 * restore plans it (restore/plan.ts: the same checks of hostile input), read
 * and verified through the same data path. A database goes to a private
 * temporary file (a fresh 0700 directory only root can enter, the file
 * 0600, removed after use) before anything opens it; a mailbox's messages
 * are read into memory, bounded.
 */
import {mkdtemp, open, rm} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {BackhaulError, usageError} from '../errors.js';
import type {PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {planRestore, type PlannedEntry, type RestorePlan} from '../restore/plan.js';
import {repositoryData} from '../restore/write-plan.js';

export interface ItemPath {
  node?: string;
  disk?: string;
  /** The database file, Maildir or mbox, as the restore browser shows it. */
  path: string;
}

export interface PointFiles {
  plan: RestorePlan;
  /** Planned entries beneath the path (the path itself included), with their path relative to it. */
  entries: Array<{entry: PlannedEntry; index: number; rel: string}>;
  bytes(index: number, max: number): Promise<Buffer>;
  /** Copies an entry to a private temporary file; `dispose` removes it. */
  toPrivateFile(index: number): Promise<{file: string; dispose: () => Promise<void>}>;
}

/** Runs `fn` over the files at `item.path`, then releases the plan. */
export async function withPointFiles<T>(
  repo: Repository,
  point: PointManifest,
  item: ItemPath,
  fn: (files: PointFiles) => Promise<T>,
): Promise<T> {
  const want = item.path.replace(/^\/+|\/+$/g, '');
  if (!want)
    throw usageError(
      'Name the file or mailbox with --path.',
      'Paths are as the restore browser shows them, e.g. home/alice/app.db.',
    );
  const plan = await planRestore(repo, point, {node: item.node, disk: item.disk, paths: [want]});
  try {
    const wantParts = want.split('/');
    // Beneath the path: after the node directory a cluster restore adds (0 or 1 part).
    const under = (parts: string[]) => {
      for (const k of [0, 1])
        if (wantParts.every((p, i) => parts[k + i] === p)) return parts.slice(k + wantParts.length).join('/');
      return undefined;
    };
    const entries = plan.entries.flatMap((entry, index) => {
      const rel = under(entry.parts);
      return rel === undefined ? [] : [{entry, index, rel}];
    });
    const data = repositoryData(repo, plan.entries);
    const bytes = async (index: number, max: number) => {
      const e = plan.entries[index]!;
      if (e.size > max)
        throw new BackhaulError(
          'usage',
          `${e.parts.join('/').slice(0, 200)} holds ${e.size} bytes, more than the ${max} an explorer reads.`,
          'Restore the file and open it with its own tools.',
        );
      const parts: Buffer[] = [];
      for await (const b of data({...e, size: e.size}, index)) parts.push(b);
      return Buffer.concat(parts);
    };
    const toPrivateFile = async (index: number) => {
      const dir = await mkdtemp(join(tmpdir(), 'backhaul-explore-'));
      const dispose = () => rm(dir, {recursive: true, force: true});
      try {
        const file = join(dir, 'item');
        const handle = await open(file, 'wx', 0o600);
        try {
          for await (const b of data({...plan.entries[index]!}, index)) await handle.write(b);
        } finally {
          await handle.close();
        }
        return {file, dispose};
      } catch (e) {
        await dispose();
        throw e;
      }
    };
    return await fn({plan, entries, bytes, toPrivateFile});
  } finally {
    await plan.close();
  }
}
