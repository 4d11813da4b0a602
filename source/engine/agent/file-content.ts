/**
 * Reads file contents into chunks. Unchanged files (same size, mtime, ctime
 * and inode as in the parent point) reuse the parent's chunks without being
 * read — that is what makes an incremental run cheap. Small files are read
 * whole with many reads in flight; large ones stream through the chunker.
 */
import * as fs from 'node:fs/promises';
import {fromSystemError} from '../errors.js';
import type {ChunkId} from '../ids.js';
import {chunkBuffer, StreamChunker} from '../repository/chunker.js';
import type {TreeEntry} from '../repository/model.js';
import type {RepositoryWriter} from '../repository/writer.js';
import {prefetch} from '../util/concurrency.js';

const WHOLE_FILE_LIMIT = 8 * 1024 * 1024;
const SEGMENT = 32 * 1024 * 1024;

export function unchanged(entry: TreeEntry, parent: TreeEntry | undefined): parent is TreeEntry & {chunks: ChunkId[]} {
  return !!parent && parent.type === 'file' && entry.type === 'file' && !!parent.chunks &&
    parent.size === entry.size && parent.mtimeMs === entry.mtimeMs && parent.ctimeMs === entry.ctimeMs && parent.ino === entry.ino;
}

async function readWhole(path: string): Promise<Buffer> {
  try {
    return await fs.readFile(path);
  } catch (e) {
    throw fromSystemError(e, path) ?? e;
  }
}

/** Streams a file (or block device / image) through the chunker into the writer. */
export async function storeStream(writer: RepositoryWriter, path: string, onBytes: (n: number) => void): Promise<{chunks: ChunkId[]; size: number}> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, 'r');
  } catch (e) {
    throw fromSystemError(e, path) ?? e;
  }
  const chunker = new StreamChunker();
  const chunks: ChunkId[] = [];
  let size = 0;
  try {
    const read = () => handle.read(Buffer.allocUnsafe(SEGMENT), 0, SEGMENT, null);
    let pending = read();
    for (;;) {
      const {bytesRead, buffer} = await pending;
      if (bytesRead === 0) break;
      pending = read(); // read ahead while this segment is hashed
      size += bytesRead;
      for (const chunk of chunker.push(buffer.subarray(0, bytesRead))) chunks.push(await writer.addChunk(chunk));
      onBytes(bytesRead);
    }
    for (const chunk of chunker.finish()) chunks.push(await writer.addChunk(chunk));
  } finally {
    await handle.close();
  }
  return {chunks, size};
}

/**
 * Fills `chunks` of every file entry. `absPath(entry)` says where to read it;
 * `parent` maps paths to the parent point's entries.
 */
export async function storeFiles(
  writer: RepositoryWriter,
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
  for await (const {entry, data} of prefetch(small, 64, async (entry) => ({entry, data: await readWhole(absPath(entry)).catch((e: unknown) => e as Error)}))) {
    if (data instanceof Error) throw data;
    entry.size = data.length; // the file may have changed since it was listed
    entry.chunks = [];
    let pos = 0;
    for (const length of chunkBuffer(data)) {
      entry.chunks.push(await writer.addChunk(data.subarray(pos, pos + length)));
      pos += length;
    }
    onFile(entry.size);
  }
  for (const entry of large) {
    const {chunks, size} = await storeStream(writer, absPath(entry), () => {});
    entry.chunks = chunks;
    entry.size = size;
    onFile(size);
  }
}
