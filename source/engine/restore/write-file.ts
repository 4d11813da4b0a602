/**
 * Writes one restored file from its chunks: never through a symlink
 * (O_NOFOLLOW), never over an existing file unless asked, holes kept for
 * all-zero chunks (sparse files stay sparse), mode/mtime/owner applied last.
 */
import * as fs from 'node:fs/promises';
import {constants} from 'node:fs';
import {BackhaulError, fromSystemError} from '../errors.js';
import type {ChunkId} from '../ids.js';
import type {Repository} from '../repository/repository.js';

export interface Ownership {
  uid: number;
  gid: number;
}

export interface WriteOptions {
  overwrite: boolean;
  mode: number;
  mtimeMs: number;
  owner?: Ownership;
  onBytes?: (n: number) => void;
}

/**
 * Seconds to pass to utimes so the file gets exactly `ms`: libuv truncates to
 * whole microseconds, and ms/1000 as a double can fall a fraction of a
 * microsecond short (1795609257100 ms came back as ...099.999 ms). Half a
 * microsecond more always truncates to the exact millisecond. Node reads a
 * negative number as "now", so times before 1970 go as a Date.
 */
export function fsTime(ms: number): number | Date {
  return ms >= 0 ? ms / 1000 + 5e-7 : new Date(ms);
}

const isZero = (b: Buffer) => b.length > 4096 && b.every((x) => x === 0);

export async function writeChunksTo(repo: Repository, path: string, chunks: ChunkId[], options: WriteOptions): Promise<number> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (options.overwrite ? constants.O_TRUNC : constants.O_EXCL);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path, flags, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new BackhaulError('exists', `${path} already exists.`, 'Pass --overwrite to replace it, or restore to another directory.');
    if (code === 'ELOOP') throw new BackhaulError('denied', `Refusing to write through the symlink ${path}.`, 'Remove it from the destination.');
    throw fromSystemError(e, path) ?? e;
  }
  let position = 0;
  try {
    // Read ahead one chunk while writing the previous one.
    let next = chunks.length > 0 ? repo.readChunk(chunks[0]!) : undefined;
    for (let i = 0; i < chunks.length; i++) {
      const data = await next!;
      next = i + 1 < chunks.length ? repo.readChunk(chunks[i + 1]!) : undefined;
      next?.catch(() => {});
      if (!isZero(data)) await handle.write(data, 0, data.length, position);
      position += data.length;
      options.onBytes?.(data.length);
    }
    await handle.truncate(position);
    if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
    await handle.chmod(options.mode & 0o7777);
    await handle.utimes(fsTime(options.mtimeMs), fsTime(options.mtimeMs));
  } catch (e) {
    throw fromSystemError(e, path) ?? e;
  } finally {
    await handle.close();
  }
  return position;
}
