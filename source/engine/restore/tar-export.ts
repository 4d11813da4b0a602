/**
 * Exports a restore plan as a tar archive that belongs to the recipient: the
 * archive file is created by the recipient (asUser) with O_CREAT|O_EXCL|
 * O_NOFOLLOW and mode 0600, so it never replaces or follows anything, and
 * every member is recorded as owned by the recipient. A failed or cancelled
 * export removes its partial archive.
 */
import {constants} from 'node:fs';
import * as fs from 'node:fs/promises';
import {BackhaulError, cancelled, corrupt, denied, fromSystemError} from '../errors.js';
import type {Repository} from '../repository/repository.js';
import {asUser, recipientError, type Recipient} from './as-user.js';
import type {PlannedEntry} from './plan.js';
import {END, memberHeader, padding} from './tar.js';

export interface TarExportOptions {
  path: string;
  recipient: Recipient;
  /** Group name recorded in the members (defaults to the gid as a number string). */
  groupName?: string;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  onFile?: () => void;
}

export interface TarExportResult {
  files: number;
  bytes: number;
  archiveBytes: number;
}

async function openArchive(o: TarExportOptions): Promise<fs.FileHandle> {
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  return asUser(o.recipient, () => fs.open(o.path, flags, 0o600)).catch((e: unknown) => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new BackhaulError('exists', `${o.path} already exists.`, 'Nothing was written. Pick a new archive name; an archive is never overwritten.');
    if (code === 'ELOOP') throw denied(`Refusing to write through the symlink ${o.path}.`, 'Pick another archive name.');
    throw recipientError(e, o.path, o.recipient) ?? fromSystemError(e, o.path) ?? e;
  });
}

export async function writePlanToTar(repo: Repository, entries: readonly PlannedEntry[], o: TarExportOptions): Promise<TarExportResult> {
  const handle = await openArchive(o);
  const owner = {uid: o.recipient.uid, gid: o.recipient.gid, uname: o.recipient.name, gname: o.groupName ?? String(o.recipient.gid)};
  const result: TarExportResult = {files: 0, bytes: 0, archiveBytes: 0};
  const write = async (b: Buffer) => {
    await handle.write(b, 0, b.length, result.archiveBytes);
    result.archiveBytes += b.length;
  };
  let ok = false;
  try {
    // Parents before children, whatever order the manifest had.
    const sorted = [...entries].sort((a, b) => (a.parts.join('/') < b.parts.join('/') ? -1 : 1));
    for (const e of sorted) {
      if (o.signal?.aborted) throw cancelled();
      await write(memberHeader({...owner, path: e.parts.join('/'), type: e.type, mode: e.mode, mtimeMs: e.mtimeMs, size: e.size, target: e.target}));
      if (e.type !== 'file') continue;
      let size = 0;
      for (const id of e.chunks ?? []) {
        if (o.signal?.aborted) throw cancelled();
        const data = await repo.readChunk(id);
        size += data.length;
        if (size > e.size) break;
        await write(data);
        o.onBytes?.(data.length);
      }
      if (size !== e.size) throw corrupt(`${e.parts.join('/')} holds ${size} bytes; its manifest says ${e.size}.`);
      await write(padding(size));
      result.bytes += size;
      result.files++;
      o.onFile?.();
    }
    await write(END);
    await handle.sync();
    ok = true;
    return result;
  } catch (e) {
    throw fromSystemError(e, o.path) ?? e;
  } finally {
    await handle.close();
    if (!ok) await asUser(o.recipient, () => fs.rm(o.path, {force: true})).catch(() => {});
  }
}
