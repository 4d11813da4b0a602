/**
 * Reads file contents into chunks. Unchanged files (same size, mtime, ctime
 * and inode as in the parent point) reuse the parent's chunks without being
 * read — that is what makes an incremental run cheap (a change of any of the
 * four, or a missing parent entry, means the file is read). Everything that is
 * read goes through the chunking workers (chunk-pool.ts): small files in
 * batches, read and cut by the workers; large files and images read here in
 * segments, cut, hashed and encoded by the workers. Files are read while
 * the walk (walk.ts) is still listing others. Encoded chunks reach the writer
 * one call at a time.
 */
import * as fs from 'node:fs/promises';
import {fromSystemError} from '../errors.js';
import type {ChunkId} from '../ids.js';
import type {Encoding} from '../repository/blob.js';
import {CHUNK_MAX} from '../repository/chunker.js';
import type {TreeEntry} from '../repository/model.js';
import type {RepositoryWriter} from '../repository/writer.js';
import {AsyncQueue, forEachLimit} from '../util/concurrency.js';
import {SEGMENT, STREAM_SLOT, type ChunkOut, type ChunkPool, type Payloads} from './chunk-pool.js';
import type {WalkBatch} from './walk.js';

const WHOLE_FILE_LIMIT = 8 * 1024 * 1024;
/** Small files go to a worker in batches, so per-message overhead stays small. */
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_FILES = 1024;

export function unchanged(entry: TreeEntry, parent: TreeEntry | undefined): parent is TreeEntry & {chunks: ChunkId[]} {
  return (
    !!parent &&
    parent.type === 'file' &&
    entry.type === 'file' &&
    !!parent.chunks &&
    parent.size === entry.size &&
    parent.mtimeMs === entry.mtimeMs &&
    parent.ctimeMs === entry.ctimeMs &&
    parent.ino === entry.ino
  );
}

/** Hands a worker's chunks to the writer, in order; returns their ids. */
async function storeChunks(writer: RepositoryWriter, {raw, packed}: Payloads, chunks: ChunkOut[]): Promise<ChunkId[]> {
  const ids: ChunkId[] = [];
  for (const [id, rawLength, encoding, offset, length] of chunks) {
    if (encoding < 0) writer.reuseKnown();
    // Already as stored (chunk-worker.ts, finish): a raw chunk of a plain repository stays in the raw slot;
    // every other payload, a sealed raw one included, is in the packed slot.
    else
      await writer.addEncoded(
        id as ChunkId,
        (encoding === 0 && !writer.repo.codec.encrypted ? raw : packed).subarray(offset, offset + length),
        rawLength,
        encoding as Encoding,
      );
    ids.push(id as ChunkId);
  }
  return ids;
}

/** Runs writer calls one at a time (parts of several files arrive concurrently). */
function serialiser(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return fn => {
    const run = tail.then(fn);
    tail = run.catch(() => {});
    return run;
  };
}

/** Streams a file (or block device / image) into the writer. */
export async function storeStream(
  writer: RepositoryWriter,
  pool: ChunkPool,
  path: string,
  onBytes: (n: number) => void,
  serial = serialiser(),
): Promise<{chunks: ChunkId[]; size: number}> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (e) {
    throw fromSystemError(e, path) ?? e;
  }
  const chunks: ChunkId[] = [];
  let size = 0;
  type Result = Payloads & {chunks: ChunkOut[]; bytes: number};
  const store = (result: Result) =>
    serial(async () => {
      chunks.push(...(await storeChunks(writer, result, result.chunks)));
      size += result.bytes;
      onBytes(result.bytes);
      result.done(); // the writer copied what it keeps
    });
  // Segments are read into shared slots at CHUNK_MAX, behind room for the previous segment's
  // uncut tail; a worker cuts, hashes and encodes each. Cutting is sequential, so a segment is
  // handed out once the one before says where its tail starts — by then it is already read.
  const inFlight: Promise<Result>[] = [];
  let previous: {buffer: Buffer; end: number; cut: Promise<number>} | undefined;
  try {
    for (let eof = false; !eof;) {
      const {slot, buffer} = pool.takeSlot(STREAM_SLOT);
      let read = 0;
      while (read < SEGMENT) {
        const {bytesRead} = await handle.read(buffer, CHUNK_MAX + read, SEGMENT - read, null);
        if (bytesRead === 0) {
          eof = true;
          break;
        }
        read += bytesRead;
      }
      let start = CHUNK_MAX;
      if (previous) {
        const at = await previous.cut;
        if (at < 0) {
          pool.releaseSlot(slot);
          break; // that segment failed: its result says why
        }
        start -= previous.end - at;
        previous.buffer.copy(buffer, start, at, previous.end);
      }
      const {cut, result} = pool.stream(slot, start, CHUNK_MAX + read, eof);
      const job = result.then(r => ({...r, bytes: read}));
      job.catch(() => {}); // handled in turn below
      inFlight.push(job);
      previous = {buffer, end: CHUNK_MAX + read, cut};
      // Never the newest: its slot holds the tail the next segment starts with.
      if (inFlight.length >= pool.size + 1) await store(await inFlight.shift()!);
    }
    while (inFlight.length > 0) await store(await inFlight.shift()!);
  } catch (e) {
    throw fromSystemError(e, path) ?? e;
  } finally {
    await handle.close();
  }
  return {chunks, size};
}

/** A changed file to read: its entry and where it is. */
interface ToRead {
  entry: TreeEntry;
  path: string;
}

/** Groups queued small files into batches for the workers (a batch waits until full or the walk ends). */
async function* batches(files: AsyncIterable<ToRead>): AsyncGenerator<ToRead[]> {
  let batch: ToRead[] = [];
  let bytes = 0;
  for await (const f of files) {
    if (batch.length > 0 && (bytes + f.entry.size > BATCH_BYTES || batch.length >= BATCH_FILES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(f);
    bytes += f.entry.size;
  }
  if (batch.length > 0) yield batch;
}

/**
 * Fills `chunks` of every file entry the walk yields, while the walk goes on:
 * unchanged files take the parent point's chunks (`parent` maps paths to the
 * parent point's entries; it is awaited before the first file is judged), the
 * others are read as soon as they are found. `absPath` says where an entry of
 * a batch is. Returns every entry walked, in walk order.
 */
export async function storeFiles(
  writer: RepositoryWriter,
  pool: ChunkPool,
  walked: AsyncIterable<WalkBatch>,
  absPath: (batch: WalkBatch, entry: TreeEntry) => string,
  parent: Promise<Map<string, TreeEntry>>,
  onFile: (bytes: number) => void,
): Promise<TreeEntry[]> {
  const small = new AsyncQueue<ToRead>();
  const large = new AsyncQueue<ToRead>();
  // Once one side fails, the others stop at their next writer call instead of reading on.
  let failure: unknown;
  const serialise = serialiser();
  const serial: ReturnType<typeof serialiser> = fn =>
    serialise(async () => {
      if (failure !== undefined) throw failure;
      return fn();
    });
  const noteFailure = (e: unknown) => {
    failure ??= e;
    throw e;
  };
  const storeSmall = async () => {
    const window = pool.size + 1;
    const read = (batch: ToRead[]) =>
      pool
        .files(
          batch.map(f => f.path),
          batch.map(f => f.entry.size),
        )
        .then(r => ({batch, ...r}));
    type Result = Awaited<ReturnType<typeof read>>;
    const store = ({batch, files: results, ...payloads}: Result) =>
      serial(async () => {
        for (let i = 0; i < batch.length; i++) {
          const {entry, path} = batch[i]!;
          const result = results[i]!;
          if ('error' in result)
            throw fromSystemError(result.error, path) ?? Object.assign(new Error(result.error.message), result.error);
          entry.size = result.size; // the file may have changed since it was listed
          entry.chunks = await storeChunks(writer, payloads, result.chunks);
          onFile(entry.size);
        }
        payloads.done(); // the writer copied what it keeps
      });
    const inFlight: Promise<Result>[] = [];
    for await (const batch of batches(small)) {
      const job = read(batch);
      job.catch(() => {}); // handled in turn below
      inFlight.push(job);
      if (inFlight.length >= window) await store(await inFlight.shift()!);
    }
    while (inFlight.length > 0) await store(await inFlight.shift()!);
  };
  const storeLarge = () =>
    forEachLimit(large, pool.size, async ({entry, path}) => {
      const {chunks, size} = await storeStream(writer, pool, path, () => {}, serial);
      entry.chunks = chunks;
      entry.size = size;
      onFile(size);
    });
  const storing = Promise.allSettled([storeSmall().catch(noteFailure), storeLarge().catch(noteFailure)]);
  const entries: TreeEntry[] = [];
  let walkError: {reason: unknown} | undefined;
  try {
    let previous: Map<string, TreeEntry> | undefined;
    for await (const batch of walked) {
      if (failure !== undefined) break;
      previous ??= await parent;
      for (const entry of batch.entries) {
        entries.push(entry);
        if (entry.type !== 'file') continue;
        const before = previous.get(entry.path);
        if (unchanged(entry, before)) {
          entry.chunks = before.chunks;
          onFile(entry.size);
        } else {
          (entry.size <= WHOLE_FILE_LIMIT ? small : large).push({entry, path: absPath(batch, entry)});
        }
      }
    }
  } catch (e) {
    walkError = {reason: e};
  } finally {
    small.end();
    large.end();
  }
  // Every read finishes before an error propagates: no writer call may outlive the backup (and its lock).
  const results = await storing;
  if (walkError) throw walkError.reason;
  for (const r of results) if (r.status === 'rejected') throw r.reason;
  return entries;
}
