/**
 * `backhaul prune`: removes the data no restore point references (FORMAT.md,
 * "Prune"). Under the exclusive lock: every manifest and every file tree of
 * every backup is read into the set of chunks in use; each pack whose blobs
 * are all unused is deleted, and each whose unused share of bytes reaches
 * `repackThreshold` has its used blobs copied (checked, still sealed: blobs
 * carry no key-bound data) into new packs. Then, in this order:
 * 1. the new packs are written (durable before anything names them);
 * 2. one index file listing every pack kept and every new pack, superseding
 *    every index file read, is written; then those are deleted;
 * 3. only then are the packs no remaining index file names deleted.
 * Killed at any moment, the repository opens and verifies: an index file
 * names only packs that exist, and a pack left over is garbage, never
 * missing data. A reader that loaded the old index and misses a pack reads
 * the index again and finds the chunk in its new pack.
 *
 * Refused when an index file is damaged (its packs are not known to hold
 * only garbage): verify names it.
 */
import {BackhaulError, corrupt} from '../errors.js';
import type {ChunkId} from '../ids.js';
import {INDEX_KEY} from '../repository/codec.js';
import {supersedeIndexFiles} from '../repository/index-compact.js';
import {indexIdOf, parseIndexFile, supersededBy, type IndexedPack, type IndexFile} from '../repository/index-store.js';
import {PackBuilder, PACK_TARGET, packKey, packMagic, type BlobEntry} from '../repository/pack.js';
import type {Repository} from '../repository/repository.js';
import {deleteKeys} from '../storage/storage.js';
import {requireVersion2} from './exclusive.js';
import {withExclusiveLock, type ExclusiveOptions} from '../repository/exclusive-lock.js';

export const DEFAULT_REPACK_THRESHOLD = 0.2;
/** New packs being written while the next are built (each holds ~8 MiB). */
const PUTS_IN_FLIGHT = 4;

export interface PruneOptions extends ExclusiveOptions {
  dryRun?: boolean;
  /** Repack a pack when this share (0–1) of its bytes is unused (default 0.2). */
  repackThreshold?: number;
}

export interface PruneResult {
  dryRun: boolean;
  /** Chunks some restore point references. */
  usedChunks: number;
  packsBefore: number;
  packsDeleted: number;
  packsRepacked: number;
  packsWritten: number;
  bytesBefore: number;
  bytesAfter: number;
  bytesFreed: number;
}

interface Plan {
  keep: IndexedPack[];
  /** Packs to repack, with the blobs to carry over. */
  repack: {pack: IndexedPack; used: BlobEntry[]}[];
  drop: string[];
  /** Packs in storage no index file names (a killed writer's or prune's). */
  orphans: string[];
  sizes: Map<string, number>;
}

export async function prune(repo: Repository, options: PruneOptions = {}): Promise<PruneResult> {
  requireVersion2(repo, 'prune');
  const threshold = options.repackThreshold ?? DEFAULT_REPACK_THRESHOLD;
  const run = async (assertHeld: () => void) => {
    await repo.reloadIndex();
    const used = await usedChunks(repo);
    const files = await readIndexFiles(repo);
    const plan = await planPrune(repo, files, used, threshold);
    const result = summarise(plan, used.size, options.dryRun ?? false);
    if (options.dryRun) return result;
    const written = await repackAll(repo, plan, assertHeld);
    result.packsWritten = written.length;
    result.bytesAfter += written.reduce((s, w) => s + w.size, 0);
    result.bytesFreed = result.bytesBefore - result.bytesAfter;
    if (plan.repack.length + plan.drop.length > 0) {
      await supersedeIndexFiles(repo, [...files.keys()], [...plan.keep, ...written.map(w => w.pack)], {
        assertHeld,
        signal: options.signal,
      });
    }
    assertHeld();
    await deleteKeys(
      repo.storage,
      [...plan.drop, ...plan.repack.map(r => r.pack.id), ...plan.orphans].map(packKey),
      options.signal,
    );
    await repo.reloadIndex();
    return result;
  };
  if (options.dryRun) return run(() => {});
  return withExclusiveLock(repo, 'prune', options, run);
}

/** Every chunk any restore point of any backup references: its trees, their files' chunks, its images. */
export async function usedChunks(repo: Repository): Promise<Set<string>> {
  const used = new Set<string>();
  for (const backup of await repo.listBackups()) {
    for (const point of await repo.listPoints(backup.id)) {
      for (const node of point.nodes) {
        for (const disk of node.disks) {
          for (const id of disk.image?.chunks ?? []) used.add(id);
          for (const id of disk.tree ?? []) used.add(id);
          for await (const batch of repo.readTreeBatches(disk))
            for (const entry of batch) for (const id of entry.chunks ?? []) used.add(id);
        }
      }
    }
  }
  return used;
}

/** Every index file, read and checked; a damaged one refuses the prune. */
async function readIndexFiles(repo: Repository): Promise<Map<string, IndexFile>> {
  const files = new Map<string, IndexFile>();
  const keys: string[] = [];
  for await (const {key} of repo.storage.list(INDEX_KEY)) if (!key.includes('.tmp-')) keys.push(key);
  for (const key of keys.sort()) {
    try {
      files.set(key, parseIndexFile(await repo.storage.get(key), key, repo.codec));
    } catch (e) {
      if (e instanceof BackhaulError && e.code === 'corrupt')
        throw corrupt(
          `${key} in ${repo.location} is damaged: prune cannot tell which data is unused; nothing was changed.`,
          'Run `backhaul verify` on the repository and repair it first.',
        );
      throw e;
    }
  }
  return files;
}

async function planPrune(
  repo: Repository,
  files: Map<string, IndexFile>,
  used: Set<string>,
  threshold: number,
): Promise<Plan> {
  const superseded = supersededBy(files.values());
  const packs = new Map<string, IndexedPack>();
  for (const [key, file] of files) {
    if (superseded.has(indexIdOf(key))) continue;
    for (const p of file.packs) if (!packs.has(p.id)) packs.set(p.id, p);
  }
  const sizes = new Map<string, number>();
  const orphans: string[] = [];
  for await (const info of repo.storage.list('data/')) {
    const id = info.key.split('/').pop()!;
    if (!/^[0-9a-f]{64}$/.test(id)) continue;
    sizes.set(id, info.size);
    if (!packs.has(id)) orphans.push(id);
  }
  const homed = new Set<string>(); // a chunk stored twice keeps one home
  const plan: Plan = {keep: [], repack: [], drop: [], orphans, sizes};
  for (const id of [...packs.keys()].sort()) {
    const pack = packs.get(id)!;
    const live = pack.blobs.filter(b => used.has(b[0]) && !homed.has(b[0]));
    for (const b of live) homed.add(b[0]);
    const total = pack.blobs.reduce((s, b) => s + b[2], 0);
    const garbage = total - live.reduce((s, b) => s + b[2], 0);
    if (live.length === 0) plan.drop.push(id);
    else if (garbage > 0 && garbage >= threshold * total) plan.repack.push({pack, used: live});
    else plan.keep.push(pack);
  }
  for (const id of used) {
    if (!homed.has(id))
      throw corrupt(
        `Chunk ${id.slice(0, 12)}, which a restore point references, is in no indexed pack of ${repo.location}; nothing was changed.`,
        'Run `backhaul verify` on the repository.',
      );
  }
  return plan;
}

function summarise(plan: Plan, usedCount: number, dryRun: boolean): PruneResult {
  const size = (id: string) => plan.sizes.get(id) ?? 0;
  const bytesBefore = [...plan.sizes.values()].reduce((s, n) => s + n, 0);
  const gone = [...plan.drop, ...plan.orphans, ...plan.repack.map(r => r.pack.id)];
  const carried = plan.repack.reduce((s, r) => s + r.used.reduce((t, b) => t + b[2], 0), 0);
  // A dry run estimates the new packs by the blobs they would carry (their trailers are not counted).
  const bytesAfter = bytesBefore - gone.reduce((s, id) => s + size(id), 0) + (dryRun ? carried : 0);
  return {
    dryRun,
    usedChunks: usedCount,
    packsBefore: plan.sizes.size,
    packsDeleted: plan.drop.length + plan.orphans.length,
    packsRepacked: plan.repack.length,
    packsWritten: 0,
    bytesBefore,
    bytesAfter,
    bytesFreed: bytesBefore - bytesAfter,
  };
}

/** The used blobs of the packs to repack, each checked, into new packs; returns them once durable. */
async function repackAll(
  repo: Repository,
  plan: Plan,
  assertHeld: () => void,
): Promise<{pack: IndexedPack; size: number}[]> {
  const written: {pack: IndexedPack; size: number}[] = [];
  const puts: Promise<void>[] = [];
  const builder = new PackBuilder();
  const flush = () => {
    if (builder.count === 0) return;
    const {id, parts, blobs} = builder.seal(repo.codec, packMagic(repo.config.version));
    const data = Buffer.concat(parts);
    assertHeld();
    // Sent while the next packs are read and checked; all are awaited before anything names them.
    puts.push(repo.storage.put(packKey(id), data));
    written.push({pack: {id, blobs}, size: data.length});
  };
  // The next pack is read while this one's blobs are checked.
  const read = (i: number) => (i < plan.repack.length ? repo.storage.get(packKey(plan.repack[i]!.pack.id)) : undefined);
  let next = read(0);
  try {
    for (let i = 0; i < plan.repack.length; i++) {
      const data = await next!;
      next = read(i + 1);
      for (const [id, offset, length, rawLength, encoding] of plan.repack[i]!.used) {
        const payload = data.subarray(offset, offset + length);
        // A damaged blob is not carried into a pack that would look sound.
        await repo.verifyBlob(id as ChunkId, {payload, encoding, rawLength});
        builder.add(id as ChunkId, payload, rawLength, encoding);
        if (builder.bytes >= PACK_TARGET) {
          flush();
          if (puts.length > PUTS_IN_FLIGHT) await puts[puts.length - 1 - PUTS_IN_FLIGHT]; // bounded memory
        }
      }
    }
    flush();
  } finally {
    await next?.catch(() => undefined);
    await Promise.allSettled(puts);
  }
  await Promise.all(puts);
  // A put of a pack may return before it is durable (filesystem); the index write waits for it.
  return written;
}
