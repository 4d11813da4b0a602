/**
 * A volume image in a repository as a block device: the disk manifest lists
 * the image's chunks in order; their lengths (from the index) give each one's
 * offset. A read fetches only the chunks it touches, and of each only its
 * blob's bytes (a ranged read of the pack, not the whole pack), verified
 * against the chunk id like every read. Decoded chunks are kept in a small
 * LRU, since a filesystem reader comes back to the same metadata often.
 *
 * Guarantees: nothing is ever written to the repository (writes a mounter
 * makes — a journal replay, a mount count — stay in memory: file-disk's
 * readOnly + recordWrites); `readBytes` is every byte this disk got from
 * storage; a chunk missing from the index, or bytes that do not match their
 * id, are `corrupt`.
 */
import {Disk, type ReadResult, type WriteResult} from 'file-disk';
import {corrupt} from '../errors.js';
import type {ChunkId} from '../ids.js';
import {decodeBlob} from '../repository/blob.js';
import type {DiskManifest} from '../repository/model.js';
import {packKey} from '../repository/pack.js';
import type {Repository} from '../repository/repository.js';

/** Decoded chunks kept (at most 4 MiB each). */
const CACHE_CHUNKS = 16;

export class ChunkDisk extends Disk {
  /** Bytes read from storage so far. */
  readBytes = 0;
  private readonly cache = new Map<number, Promise<Buffer>>();

  private constructor(
    private readonly repo: Repository,
    private readonly chunks: ChunkId[],
    private readonly starts: number[],
    readonly size: number,
  ) {
    super(true, true, false, true);
  }

  /** The image of a volume-level disk; `corrupt` if its chunks' lengths do not add up to its size. */
  static async open(repo: Repository, disk: DiskManifest): Promise<ChunkDisk> {
    const chunks = disk.image?.chunks ?? [];
    const starts: number[] = [];
    let at = 0;
    for (const id of chunks) {
      const loc = await repo.locate(id);
      if (!loc) throw corrupt(`Chunk ${id.slice(0, 12)} of disk ${disk.name} is missing from ${repo.location}.`);
      starts.push(at);
      at += loc.rawLength;
    }
    const size = disk.image?.size ?? at;
    if (at !== size) throw corrupt(`The chunks of disk ${disk.name} hold ${at} bytes; its manifest says ${size}.`);
    return new ChunkDisk(repo, chunks, starts, size);
  }

  protected async _getCapacity(): Promise<number> {
    return this.size;
  }

  protected async _read(buffer: Buffer, bufferOffset: number, length: number, fileOffset: number): Promise<ReadResult> {
    const end = Math.min(fileOffset + length, this.size);
    let done = 0;
    for (let pos = fileOffset; pos < end;) {
      const i = this.chunkAt(pos);
      const data = await this.chunk(i);
      const from = pos - this.starts[i]!;
      const n = Math.min(data.length - from, end - pos);
      data.copy(buffer, bufferOffset + done, from, from + n);
      done += n;
      pos += n;
    }
    if (done < length) buffer.fill(0, bufferOffset + done, bufferOffset + length);
    return {bytesRead: length, buffer};
  }

  protected async _write(_buffer: Buffer, _bufferOffset: number, length: number): Promise<WriteResult> {
    throw corrupt(`A write of ${length} bytes reached a repository image; images are read-only.`);
  }

  protected async _flush(): Promise<void> {}

  private chunkAt(pos: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private chunk(i: number): Promise<Buffer> {
    let entry = this.cache.get(i);
    if (entry) {
      this.cache.delete(i);
      this.cache.set(i, entry);
      return entry;
    }
    entry = this.fetch(this.chunks[i]!);
    entry.catch(() => this.cache.delete(i));
    this.cache.set(i, entry);
    if (this.cache.size > CACHE_CHUNKS) this.cache.delete(this.cache.keys().next().value!);
    return entry;
  }

  private async fetch(id: ChunkId): Promise<Buffer> {
    const loc = await this.repo.locate(id);
    if (!loc) throw corrupt(`Chunk ${id.slice(0, 12)} is missing from ${this.repo.location}.`);
    const payload = await this.repo.storage.getRange(packKey(loc.pack), loc.offset, loc.length);
    this.readBytes += payload.length;
    if (payload.length !== loc.length) throw corrupt(`Pack ${loc.pack.slice(0, 12)} is truncated.`);
    const where = `pack ${loc.pack.slice(0, 12)}`;
    // Through the repository's codec: an encrypted repository's blobs are sealed, and its chunk ids keyed.
    return decodeBlob(
      this.repo.codec.openBlob(payload, where),
      loc.encoding,
      loc.rawLength,
      id,
      where,
      this.repo.codec,
    );
  }
}
