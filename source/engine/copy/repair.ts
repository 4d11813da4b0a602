/**
 * Healing a damaged repository from another one that holds the same chunks
 * (the reference system's health check repairs a copy from its source).
 * Under the exclusive lock (version 2; it deletes index files and packs,
 * which no writer beside it may be relying on): forget the damaged packs, re-copy (verified) every
 * chunk they held and every missing chunk a restore point references, write
 * a fresh index of the good packs, then delete the old index files and the
 * damaged packs. Only damaged or missing chunks cross the wire.
 */
import {requirePassThrough} from '../repository/codec.js';
import type {Encoding} from '../repository/blob.js';
import type {ChunkId, PackId} from '../ids.js';
import {indexIdOf, writeIndexFile} from '../repository/index-store.js';
import {packKey} from '../repository/pack.js';
import type {Repository} from '../repository/repository.js';
import {RepositoryWriter} from '../repository/writer.js';
import type {VerifyReport} from '../repository/verify.js';
import {pointChunks} from '../repository/verify.js';

export interface RepairResult {
  chunksRecopied: number;
  bytesRecopied: number;
  unrecoverable: number;
  packsRemoved: number;
}

export async function repairFrom(
  target: Repository,
  source: Repository,
  report: VerifyReport,
  options: {signal?: AbortSignal} = {},
): Promise<RepairResult> {
  requirePassThrough(source, target);
  const writer = await RepositoryWriter.begin(target, `repair from ${source.location}`, {...options, exclusive: true});
  const result: RepairResult = {chunksRecopied: 0, bytesRecopied: 0, unrecoverable: 0, packsRemoved: 0};
  try {
    const badPacks = new Set(report.badPacks);
    const wanted = new Set<string>(report.badChunks);
    for (const [id, loc] of target.index.entries()) if (badPacks.has(loc.pack)) wanted.add(id);
    target.index.dropPacks(badPacks);
    // Chunks referenced by broken points but absent from the index (lost packs or index files).
    for (const broken of report.brokenPoints) {
      const point = await target.getPoint(broken.backupId, broken.pointId);
      const refs = await pointChunks(target, point).catch(() => undefined);
      for (const id of refs ?? []) if (!target.index.has(id)) wanted.add(id);
      // A tree that could not be read: its chunks come from the source's copy of the point.
      if (!refs)
        for (const node of point.nodes) for (const disk of node.disks) for (const id of disk.tree ?? []) wanted.add(id);
    }
    for (const id of report.badChunks) target.index.dropChunk(id);
    for (const id of wanted) {
      if (target.index.has(id)) continue;
      if (!source.index.has(id)) {
        result.unrecoverable++;
        continue;
      }
      try {
        const blob = await source.readBlob(id as ChunkId);
        await source.verifyBlob(id as ChunkId, blob);
        await writer.addEncoded(id as ChunkId, Buffer.from(blob.payload), blob.rawLength, blob.encoding as Encoding);
        result.chunksRecopied++;
        result.bytesRecopied += blob.payload.length;
      } catch {
        result.unrecoverable++;
      }
    }
    // Trees that were unreadable may reference further missing chunks: a second pass now they are back.
    for (const broken of report.brokenPoints) {
      const point = await target.getPoint(broken.backupId, broken.pointId);
      for (const id of await pointChunks(target, point).catch(() => new Set<string>())) {
        if (writer.has(id) || !source.index.has(id)) continue;
        const blob = await source.readBlob(id as ChunkId);
        await source.verifyBlob(id as ChunkId, blob);
        await writer.addEncoded(id as ChunkId, Buffer.from(blob.payload), blob.rawLength, blob.encoding as Encoding);
        result.chunksRecopied++;
        result.bytesRecopied += blob.payload.length;
      }
    }
    await writer.flush();
    await rewriteIndex(target, badPacks);
    result.packsRemoved = badPacks.size;
    return result;
  } finally {
    await writer.close();
  }
}

/** One new index of every good pack; then the old index files and the damaged packs go. */
async function rewriteIndex(target: Repository, badPacks: Set<string>): Promise<void> {
  const old = new Set<string>();
  for await (const info of target.storage.list('index/')) old.add(info.key);
  const packs = target.index.byPack();
  // Version 2: the new file names the old ones it replaces, so a reader finding both skips them.
  const replaced = target.config.version >= 2 ? [...old].map(indexIdOf) : [];
  const key = await writeIndexFile(
    target,
    [...packs].map(([id, blobs]) => ({id: id as PackId, blobs})),
    replaced,
  );
  for (const k of old) if (k !== key) await target.storage.delete(k);
  // Packs are content-addressed: re-copying every chunk of a damaged pack, in order, rebuilds the
  // very same pack over the damaged one. That one is good now and indexed: it must stay.
  for (const p of badPacks) if (!packs.has(p)) await target.storage.delete(packKey(p));
  await target.reloadIndex();
}
