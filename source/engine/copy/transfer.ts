/**
 * Moves chunks from a source repository into a target writer, pack by pack:
 * each source pack is read once (one request on object storage), verified in
 * the worker pool (every needed blob decoded and hashed, and the pack hash
 * when it is passed through), then either stored as it is — when the target
 * lacks every chunk in it and they are all wanted — or split into the wanted
 * blobs. A damaged chunk that is wanted throws 'corrupt'; nothing unverified
 * reaches the target.
 */
import {corrupt, cancelled} from '../errors.js';
import type {ChunkId, PackId} from '../ids.js';
import {packKey, type BlobEntry} from '../repository/pack.js';
import type {Repository} from '../repository/repository.js';
import type {RepositoryWriter} from '../repository/writer.js';
import {prefetch} from '../util/concurrency.js';
import type {VerifyPool} from '../util/verify-pool.js';
import type {StatsClock} from './stats.js';

const packsOf = new WeakMap<Repository, Map<string, BlobEntry[]>>();

/** Every blob of every pack, as the source index knows them (computed once per source). */
function packBlobs(source: Repository): Map<string, BlobEntry[]> {
  let map = packsOf.get(source);
  if (!map) packsOf.set(source, (map = source.index.byPack()));
  return map;
}

export interface TransferOptions {
  signal?: AbortSignal;
  concurrency: number;
  clock: StatsClock;
  pool: VerifyPool;
  /** Called as chunks land: stored bytes read and whether they were new on the target. */
  onBytes: (bytes: number, added: boolean) => void;
}

export async function transferChunks(source: Repository, writer: RepositoryWriter, ids: readonly string[], options: TransferOptions): Promise<void> {
  const all = packBlobs(source);
  const wanted = new Set<string>();
  const byPack = new Map<string, BlobEntry[]>();
  for (const id of ids) {
    if (wanted.has(id) || writer.has(id)) continue;
    const loc = source.index.get(id);
    if (!loc) throw corrupt(`Chunk ${id.slice(0, 12)} is missing from ${source.location}.`);
    wanted.add(id);
    let list = byPack.get(loc.pack);
    if (!list) byPack.set(loc.pack, (list = []));
    list.push([id as ChunkId, loc.offset, loc.length, loc.rawLength, loc.encoding as 0 | 1]);
  }
  const {clock, pool} = options;
  const jobs = prefetch([...byPack], options.concurrency, async ([pack, needed]) => {
    const whole = all.get(pack)!;
    const passThrough = whole.length === needed.length;
    const t0 = performance.now();
    const raw = await source.storage.get(packKey(pack), options.signal);
    clock.add('source read', t0);
    const t1 = performance.now();
    const checked = await pool.verify(raw, passThrough ? pack : undefined, passThrough ? whole : needed);
    clock.add('hashing', t1);
    return {pack, needed, whole, passThrough, ...checked};
  });
  for await (const job of jobs) {
    if (options.signal?.aborted) throw cancelled();
    const damaged = job.needed.filter((b) => job.bad.includes(b[0]));
    if (damaged.length > 0) {
      throw corrupt(`${damaged.length} chunk(s) in source pack ${job.pack.slice(0, 12)} of ${source.location} are damaged (first: ${damaged[0]![0].slice(0, 12)}).`,
        'Run `backhaul verify` on the source; other restore points are copied.');
    }
    clock.readBytes += job.needed.reduce((s, b) => s + b[2], 0);
    const t2 = performance.now();
    if (job.passThrough && job.packOk && (await writer.addPack(job.pack as PackId, job.data, job.whole))) {
      const bytes = job.whole.reduce((s, b) => s + b[2], 0);
      clock.transferredBytes += bytes;
      clock.chunks += job.whole.length;
      options.onBytes(bytes, true);
    } else {
      for (const [id, offset, length, rawLength, encoding] of job.needed) {
        const added = await writer.addEncoded(id, Buffer.from(job.data.subarray(offset, offset + length)), rawLength, encoding);
        if (added) {
          clock.transferredBytes += length;
          clock.chunks++;
        }
        options.onBytes(length, added);
      }
    }
    clock.add('target write', t2);
  }
}
