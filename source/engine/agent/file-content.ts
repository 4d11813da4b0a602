/**
 * Reads file contents into chunks. Unchanged files (same size, mtime, ctime
 * and inode as in the parent point) reuse the parent's chunks without being
 * read — that is what makes an incremental run cheap (a change of any of the
 * four, or a missing parent entry, means the file is read). Everything that is
 * read goes through the chunking workers (chunk-pool.ts): small files in
 * batches, read and cut by the workers; large files and images read and cut
 * here in segments, hashed and encoded by the workers. Encoded chunks reach
 * the writer one call at a time.
 */
import * as fs from 'node:fs/promises';
import {fromSystemError} from '../errors.js';
import type {ChunkId} from '../ids.js';
import type {Encoding} from '../repository/blob.js';
import {cutPoint} from '../repository/chunker.js';
import type {TreeEntry} from '../repository/model.js';
import type {RepositoryWriter} from '../repository/writer.js';
import {mapLimit, prefetch} from '../util/concurrency.js';
import {SEGMENT, type ChunkOut, type ChunkPool, type Payloads} from './chunk-pool.js';

const WHOLE_FILE_LIMIT = 8 * 1024 * 1024;
/** Small files go to a worker in batches, so per-message overhead stays small. */
const BATCH_BYTES = 4 * 1024 * 1024;
const BATCH_FILES = 1024;

export function unchanged(entry: TreeEntry, parent: TreeEntry | undefined): parent is TreeEntry & {chunks: ChunkId[]} {
  return !!parent && parent.type === 'file' && entry.type === 'file' && !!parent.chunks &&
    parent.size === entry.size && parent.mtimeMs === entry.mtimeMs && parent.ctimeMs === entry.ctimeMs && parent.ino === entry.ino;
}

/** Hands a worker's chunks to the writer, in order; returns their ids. */
async function storeChunks(writer: RepositoryWriter, {raw, packed}: Payloads, chunks: ChunkOut[]): Promise<ChunkId[]> {
  const ids: ChunkId[] = [];
  for (const [id, rawLength, encoding, offset, length] of chunks) {
    if (encoding < 0) writer.reuseKnown();
    else await writer.addEncoded(id as ChunkId, (encoding === 0 ? raw : packed).subarray(offset, offset + length), rawLength, encoding as Encoding);
    ids.push(id as ChunkId);
  }
  return ids;
}

/** Runs writer calls one at a time (parts of several files arrive concurrently). */
function serialiser(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return (fn) => {
    const run = tail.then(fn);
    tail = run.catch(() => {});
    return run;
  };
}


/**
 * Reads a stream in segments and cuts it on this thread (cutting is
 * sequential and cheap); the chunks of each segment are hashed and encoded by
 * whichever worker is free. Segments live in buffers shared with the workers
 * and go round, so memory stays bounded and already mapped.
 */
async function* segments(handle: fs.FileHandle, take: () => {slot: number; buffer: Buffer}): AsyncGenerator<{slot: number; cuts: number[]; bytes: number}> {
  let {slot, buffer: buf} = take();
  let len = 0;
  for (;;) {
    const before = len;
    let eof = false;
    while (len < buf.length) {
      const {bytesRead} = await handle.read(buf, len, buf.length - len, null);
      if (bytesRead === 0) {
        eof = true;
        break;
      }
      len += bytesRead;
    }
    const cuts: number[] = [];
    let pos = 0;
    while (pos < len) {
      const n = cutPoint(buf, pos, len, eof);
      if (n < 0) break;
      cuts.push(n);
      pos += n;
    }
    const next = eof ? undefined : take();
    if (next) buf.copy(next.buffer, 0, pos, len); // the uncut tail starts the next segment
    const bytes = len - before;
    len -= pos;
    yield {slot, cuts, bytes};
    if (!next) return;
    ({slot, buffer: buf} = next);
  }
}

/** Streams a file (or block device / image) into the writer. */
export async function storeStream(writer: RepositoryWriter, pool: ChunkPool, path: string, onBytes: (n: number) => void,
  serial = serialiser()): Promise<{chunks: ChunkId[]; size: number}> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (e) {
    throw fromSystemError(e, path) ?? e;
  }
  const take = () => pool.takeSlot(SEGMENT);
  const chunks: ChunkId[] = [];
  let size = 0;
  type Result = Payloads & {chunks: ChunkOut[]; bytes: number};
  const store = (result: Result) => serial(async () => {
    chunks.push(...await storeChunks(writer, result, result.chunks));
    size += result.bytes;
    onBytes(result.bytes);
    result.done(); // the writer copied what it keeps
  });
  const inFlight: Promise<Result>[] = [];
  try {
    for await (const {slot, cuts, bytes} of segments(handle, take)) {
      const job = pool.chunks(slot, cuts).then((r) => ({...r, bytes}));
      job.catch(() => {}); // handled in turn below
      inFlight.push(job);
      if (inFlight.length >= pool.size) await store(await inFlight.shift()!);
    }
    while (inFlight.length > 0) await store(await inFlight.shift()!);
  } catch (e) {
    throw fromSystemError(e, path) ?? e;
  } finally {
    await handle.close();
  }
  return {chunks, size};
}

function batches(entries: TreeEntry[]): TreeEntry[][] {
  const out: TreeEntry[][] = [];
  let batch: TreeEntry[] = [];
  let bytes = 0;
  for (const e of entries) {
    if (batch.length > 0 && (bytes + e.size > BATCH_BYTES || batch.length >= BATCH_FILES)) {
      out.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(e);
    bytes += e.size;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}

/**
 * Fills `chunks` of every file entry. `absPath(entry)` says where to read it;
 * `parent` maps paths to the parent point's entries.
 */
export async function storeFiles(
  writer: RepositoryWriter,
  pool: ChunkPool,
  entries: TreeEntry[],
  absPath: (entry: TreeEntry) => string,
  parent: Map<string, TreeEntry>,
  onFile: (bytes: number) => void,
): Promise<void> {
  const files = entries.filter((e) => e.type === 'file');
  const toRead: TreeEntry[] = [];
  for (const entry of files) {
    const before = parent.get(entry.path);
    if (unchanged(entry, before)) {
      entry.chunks = before.chunks;
      onFile(entry.size);
    } else {
      toRead.push(entry);
    }
  }
  const small = toRead.filter((e) => e.size <= WHOLE_FILE_LIMIT);
  const large = toRead.filter((e) => e.size > WHOLE_FILE_LIMIT);
  // Once one side fails, the other stops at its next writer call instead of reading on.
  let failure: unknown;
  const serialise = serialiser();
  const serial: ReturnType<typeof serialiser> = (fn) => serialise(async () => {
    if (failure !== undefined) throw failure;
    return fn();
  });
  const noteFailure = (e: unknown) => {
    failure ??= e;
    throw e;
  };
  const storeSmall = async () => {
    const window = pool.size + 1;
    const read = (batch: TreeEntry[]) => pool.files(batch.map(absPath), batch.map((e) => e.size)).then((r) => ({batch, ...r}));
    for await (const {batch, files: results, ...payloads} of prefetch(batches(small), window, read)) {
      await serial(async () => {
        for (let i = 0; i < batch.length; i++) {
          const entry = batch[i]!;
          const result = results[i]!;
          if ('error' in result) throw fromSystemError(result.error, absPath(entry)) ?? Object.assign(new Error(result.error.message), result.error);
          entry.size = result.size; // the file may have changed since it was listed
          entry.chunks = await storeChunks(writer, payloads, result.chunks);
          onFile(entry.size);
        }
        payloads.done(); // the writer copied what it keeps
      });
    }
  };
  const storeLarge = () => mapLimit(large, pool.size, async (entry) => {
    const {chunks, size} = await storeStream(writer, pool, absPath(entry), () => {}, serial);
    entry.chunks = chunks;
    entry.size = size;
    onFile(size);
  });
  // Both finish before an error propagates: no writer call may outlive the backup (and its lock).
  const results = await Promise.allSettled([storeSmall().catch(noteFailure), storeLarge().catch(noteFailure)]);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
