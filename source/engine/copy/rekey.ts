/**
 * Copying a restore point between repositories whose chunks are stored
 * under different keys (plain ↔ encrypted, or two encryption keys): a chunk's
 * id depends on the key (SHA-256 or HMAC), so nothing can pass through.
 * Every chunk the point references is read from the source (decrypted and
 * checked against its source id there), named with the target's id
 * function, and stored through the target's writer (which skips it if the
 * target has it already) as the source compressed it, sealed with the
 * target's key; only a blob the target's format cannot hold (zstd into
 * version 1) is compressed again. The file trees — which
 * hold chunk ids — and the manifest are rewritten with the target's ids
 * (FORMAT.md "Copies between keys").
 *
 * Guarantees: the same as a pass-through copy's: nothing unverified is
 * written (every chunk is authenticated and checked on the source), and a
 * point's manifest is committed only after all it references is on the
 * target. A point whose source data is damaged fails alone.
 */
import type {ChunkId} from '../ids.js';
import type {DiskManifest, NodeManifest, PointManifest, TreeEntry} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import type {RepositoryWriter} from '../repository/writer.js';
import {decodeBlob, DEFLATE, RAW, ZSTD, type Encoding} from '../repository/blob.js';
import {prefetch} from '../util/concurrency.js';
import type {StatsClock} from './stats.js';

/** Source chunk id → target chunk id, for one run (a chunk shared by several points is read once). */
export type IdMap = Map<string, ChunkId>;

interface ReusedBlob {
  payload: Buffer;
  encoding: Encoding;
}

/**
 * Whether `target` may hold a blob of this encoding as it is: version 2
 * reads all three (an upgraded repository keeps its deflate blobs); version
 * 1's readers know no zstd.
 */
function storable(target: Repository, encoding: Encoding): boolean {
  if (encoding === RAW || encoding === DEFLATE) return true;
  return encoding === ZSTD && target.config.version >= 2;
}

/** Reads ahead this many chunks from the source while the writer stores the ones before. */
const READ_AHEAD = 8;

export class Rekeyer {
  readonly ids: IdMap = new Map();

  constructor(
    private readonly source: Repository,
    private readonly writer: RepositoryWriter,
    private readonly clock: StatsClock,
    private readonly onBytes: (bytes: number) => void = () => {},
  ) {}

  /** The target ids of `chunks`, in order, storing on the target each one it lacks. */
  async chunks(chunks: readonly ChunkId[]): Promise<ChunkId[]> {
    const out: ChunkId[] = [];
    const todo = [...new Set(chunks.filter(id => !this.ids.has(id)))];
    const reads = prefetch(todo, READ_AHEAD, async id => {
      const t0 = performance.now();
      const chunk = await this.read(id);
      this.clock.add('source read', t0);
      return chunk;
    });
    for await (const {id, targetId, data, blob} of reads) {
      const t1 = performance.now();
      const before = this.writer.stats.bytesAdded;
      if (blob) {
        await this.writer.addEncoded(
          targetId,
          this.writer.repo.codec.sealBlob(blob.payload),
          data.length,
          blob.encoding,
        );
      } else {
        await this.writer.addChunk(data, targetId);
      }
      this.ids.set(id, targetId);
      this.clock.add('target write', t1);
      this.clock.readBytes += data.length;
      this.clock.transferredBytes += data.length;
      this.clock.chunks++;
      this.onBytes(data.length + this.writer.stats.bytesAdded - before);
    }
    for (const id of chunks) out.push(this.ids.get(id)!);
    return out;
  }

  /**
   * One chunk from the source, checked against its source id, with its
   * target id. When the target can store the source's encoding, the opened
   * (still compressed) blob comes along so that it is only sealed again:
   * compressing every chunk a second time was most of a re-keying copy's time.
   */
  private async read(id: ChunkId): Promise<{id: ChunkId; targetId: ChunkId; data: Buffer; blob?: ReusedBlob}> {
    const stored = await this.source.readBlob(id);
    const where = `${this.source.location} (chunk ${id.slice(0, 12)})`;
    const payload = this.source.codec.openBlob(stored.payload, where);
    const data = await decodeBlob(payload, stored.encoding, stored.rawLength, id, where, this.source.codec);
    const targetId = this.writer.repo.codec.chunkId(data);
    const encoding = stored.encoding as Encoding;
    return {id, targetId, data, blob: storable(this.writer.repo, encoding) ? {payload, encoding} : undefined};
  }
  /** A disk with every chunk id (content and tree) the target's. */
  async disk(disk: DiskManifest): Promise<DiskManifest> {
    const copy: DiskManifest = {...disk};
    if (disk.image) copy.image = {size: disk.image.size, chunks: await this.chunks(disk.image.chunks)};
    if (disk.tree) {
      const entries: TreeEntry[] = [];
      for await (const batch of this.source.readTreeBatches(disk)) {
        const wanted = batch.flatMap(e => e.chunks ?? []);
        if (wanted.length > 0) await this.chunks(wanted);
        for (const e of batch) entries.push(e.chunks ? {...e, chunks: e.chunks.map(id => this.ids.get(id)!)} : e);
      }
      copy.tree = await this.writer.addTree(entries);
    }
    return copy;
  }

  /** The manifest's nodes (those in `nodes`), rewritten with the target's ids. */
  async point(manifest: PointManifest, nodes: ReadonlySet<string>): Promise<NodeManifest[]> {
    const out: NodeManifest[] = [];
    for (const node of manifest.nodes) {
      if (!nodes.has(node.name)) continue;
      const disks: DiskManifest[] = [];
      for (const disk of node.disks) disks.push(await this.disk(disk));
      out.push({...node, disks});
    }
    return out;
  }
}
