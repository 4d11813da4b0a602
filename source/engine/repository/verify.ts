/**
 * The health check: reads every pack, checks every pack and chunk hash, then
 * checks that every restore point's references resolve to good chunks, and
 * names each broken restore point. Runs on the main thread but yields
 * between packs, so a TUI stays responsive. On object storage it also lists
 * the multipart uploads left open under the repository (a writer killed
 * mid-upload): not damage, but bytes stored that no listing shows, which the
 * next writer aborts.
 */
import type {BackupId, PointId} from '../ids.js';
import {yieldToEventLoop} from '../util/concurrency.js';
import {decodeBlob} from './blob.js';
import {BackhaulError} from '../errors.js';
import type {OpenUpload} from '../storage/storage.js';
import type {PointManifest} from './model.js';
import {packKey, packProblem, type BlobEntry} from './pack.js';
import type {Repository} from './repository.js';

export interface BrokenPoint {
  backupId: BackupId;
  pointId: PointId;
  machine: string;
  time: string;
  missingChunks: number;
  reason: string;
}

export interface VerifyReport {
  ok: boolean;
  packs: number;
  chunks: number;
  bytes: number;
  badPacks: string[];
  badChunks: string[];
  badIndexFiles: string[];
  points: number;
  brokenPoints: BrokenPoint[];
  /** Multipart uploads never completed nor aborted (object storage); they do not make the repository damaged. */
  openUploads: OpenUpload[];
}

export interface VerifyOptions {
  signal?: AbortSignal;
  onProgress?: (p: {packsDone: number; packsTotal: number}) => void;
}

export interface ChunkCheck {
  bad: Set<string>;
  badPacks: string[];
  packs: number;
  bytes: number;
}

/** Checks packs and chunks; returns the ids of chunks that cannot be read correctly. */
export async function checkChunks(repo: Repository, options: VerifyOptions = {}): Promise<ChunkCheck> {
  return checkPacks(repo, repo.index.byPack(), {bad: new Set(), badPacks: [], packs: 0, bytes: 0}, options);
}

/** Checks the given packs and their chunks, adding to `into`. */
async function checkPacks(
  repo: Repository,
  byPack: Map<string, BlobEntry[]>,
  into: ChunkCheck,
  options: VerifyOptions,
): Promise<ChunkCheck> {
  const {bad, badPacks} = into;
  let done = 0;
  let bytes = 0;
  for (const [pack, blobs] of byPack) {
    options.signal?.throwIfAborted();
    let data: Buffer | undefined;
    try {
      data = await repo.storage.get(packKey(pack));
      bytes += data.length;
    } catch {
      // Unreadable: every chunk in it is bad too (below).
    }
    if (!data || packProblem(data, {id: pack}, repo.codec) !== undefined) badPacks.push(pack);
    for (const [id, offset, length, rawLength, encoding] of blobs) {
      try {
        if (!data || offset + length > data.length) throw new Error('out of range');
        await decodeBlob(
          repo.codec.openBlob(data.subarray(offset, offset + length), pack),
          encoding,
          rawLength,
          id,
          pack,
          repo.codec,
        );
      } catch {
        bad.add(id);
      }
    }
    options.onProgress?.({packsDone: ++done, packsTotal: byPack.size});
    await yieldToEventLoop();
  }
  into.packs += byPack.size;
  into.bytes += bytes;
  return into;
}

/**
 * The chunks of `refs` the index lacks, once it has been read again if it
 * lacked any (another writer may have committed the point after verify
 * loaded the index); packs that brought are checked like the others.
 */
async function missingAfterRefresh(
  repo: Repository,
  refs: Set<string>,
  checked: ChunkCheck & {chunks: number},
  seenPacks: Set<string>,
  signal?: AbortSignal,
): Promise<string[]> {
  const unknown = [...refs].filter(id => !repo.index.has(id));
  if (unknown.length > 0) await repo.refreshForMissing(unknown);
  // New packs may also have come with a tree chunk read (Repository.readChunk reads the index again on a miss).
  if (repo.index.size > checked.chunks) {
    const fresh = new Map([...repo.index.byPack()].filter(([pack]) => !seenPacks.has(pack)));
    for (const pack of fresh.keys()) seenPacks.add(pack);
    await checkPacks(repo, fresh, checked, {signal}); // no progress: its total was reported whole
    checked.chunks = repo.index.size;
  }
  return unknown.filter(id => !repo.index.has(id));
}

/** Every chunk a point references (tree chunks, file chunks, image chunks); throws if a tree cannot be read. */
export async function pointChunks(
  repo: Repository,
  point: PointManifest,
  into = new Set<string>(),
): Promise<Set<string>> {
  const seenTrees = new Set<string>();
  for (const node of point.nodes) {
    for (const disk of node.disks) {
      for (const id of disk.image?.chunks ?? []) into.add(id);
      const treeKey = (disk.tree ?? []).join(',');
      if (!disk.tree || seenTrees.has(treeKey)) continue; // cloned shared disks: one walk
      seenTrees.add(treeKey);
      for (const id of disk.tree) into.add(id);
      for await (const entry of repo.readTree(disk)) for (const id of entry.chunks ?? []) into.add(id);
    }
  }
  return into;
}

export async function verifyRepository(repo: Repository, options: VerifyOptions = {}): Promise<VerifyReport> {
  await repo.reloadIndex();
  const byPack = repo.index.byPack();
  const seenPacks = new Set(byPack.keys());
  const checked = {
    ...(await checkPacks(repo, byPack, {bad: new Set(), badPacks: [], packs: 0, bytes: 0}, options)),
    chunks: repo.index.size,
  };
  const {bad, badPacks} = checked;
  const brokenPoints: BrokenPoint[] = [];
  let points = 0;
  for (const backup of await repo.listBackups()) {
    for (const point of await repo.listPoints(backup.id)) {
      points++;
      const base = {backupId: backup.id, pointId: point.id, machine: backup.machine, time: point.time};
      let refs: Set<string>;
      try {
        refs = await pointChunks(repo, point);
      } catch (e) {
        brokenPoints.push({
          ...base,
          missingChunks: 0,
          reason: `its file tree cannot be read (${(e as Error).message})`,
        });
        continue;
      }
      let missing = (await missingAfterRefresh(repo, refs, checked, seenPacks, options.signal)).length;
      for (const id of refs) if (bad.has(id)) missing++;
      if (missing > 0)
        brokenPoints.push({
          ...base,
          missingChunks: missing,
          reason: `${missing} chunk${missing === 1 ? ' is' : 's are'} missing or damaged`,
        });
    }
  }
  // A key without the right to list uploads (a narrow bucket policy) still verifies.
  const openUploads =
    (await repo.storage.listOpenUploads?.({sizes: true}).catch((e: unknown) => {
      if (e instanceof BackhaulError && e.code === 'denied') return undefined;
      throw e;
    })) ?? [];
  return {
    ok: bad.size === 0 && badPacks.length === 0 && brokenPoints.length === 0 && repo.index.badIndexFiles.length === 0,
    packs: checked.packs,
    chunks: repo.index.size,
    bytes: checked.bytes,
    badPacks,
    badChunks: [...bad],
    badIndexFiles: [...repo.index.badIndexFiles],
    points,
    brokenPoints,
    openUploads,
  };
}
