/**
 * Exports a restore plan as a POSIX tar archive that belongs to the writer:
 * the archive is one new file (never over anything, never through a
 * symlink, mode 0600) written like any restored file — by the writer, in its
 * directory, under a temporary name until it is complete — so a failed or
 * cancelled export leaves nothing. Every member is recorded as the writer's;
 * setuid/setgid bits are dropped from the members unless asked to keep them.
 */
import {basename, dirname, resolve} from 'node:path';
import {BackhaulError, corrupt} from '../errors.js';
import type {Repository} from '../repository/repository.js';
import type {PlannedEntry} from './plan.js';
import {END, memberHeader, padding} from './tar.js';
import type {FileData, WriteHooks} from './tree-writer.js';
import {repositoryData, writePlan, type WriteRequest} from './write-plan.js';

export interface TarResult {
  files: number;
  bytes: number;
  archiveBytes: number;
  specialDropped: number;
}

const SPECIAL = 0o6000;

interface Owner {
  uid: number;
  gid: number;
  uname: string;
  gname: string;
}

function member(e: PlannedEntry, owner: Owner, keepSpecial: boolean): {header: Buffer; dropped: boolean} {
  const mode = e.mode & 0o7777;
  const dropped = !keepSpecial && (mode & SPECIAL) !== 0;
  const header = memberHeader({
    ...owner,
    path: e.parts.join('/'),
    type: e.type,
    mode: dropped ? mode & ~SPECIAL : mode,
    mtimeMs: e.mtimeMs,
    size: e.size,
    target: e.target,
  });
  return {header, dropped};
}

/** The archive's exact size, so the writer checks it like any restored file's. */
function archiveSize(entries: readonly PlannedEntry[], owner: Owner): number {
  let size = END.length;
  for (const e of entries) {
    size += member(e, owner, true).header.length;
    if (e.type === 'file') size += e.size + padding(e.size).length;
  }
  return size;
}

/** The archive's bytes: each member's header, then its verified chunks and padding. */
function archiveBytes(
  repo: Repository,
  entries: readonly PlannedEntry[],
  owner: Owner,
  req: WriteRequest,
  result: TarResult,
  hooks: TarHooks,
): FileData {
  const chunksOf = repositoryData(repo, entries, hooks.onBytes);
  return async function* () {
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const {header, dropped} = member(e, owner, req.keepSpecial);
      if (dropped) result.specialDropped++;
      result.archiveBytes += header.length;
      yield header;
      if (e.type !== 'file') continue;
      let size = 0;
      for await (const data of chunksOf({...e, size: e.size}, i)) {
        if (size + data.length > e.size)
          throw corrupt(
            `${e.parts.join('/').slice(0, 300)} holds more than ${e.size} bytes; its manifest says ${e.size}.`,
          );
        size += data.length;
        result.archiveBytes += data.length;
        yield data;
      }
      if (size !== e.size)
        throw corrupt(`${e.parts.join('/').slice(0, 300)} holds ${size} bytes; its manifest says ${e.size}.`);
      const pad = padding(size);
      result.archiveBytes += pad.length;
      yield pad;
      result.bytes += size;
      result.files++;
      hooks.onFile?.(i);
    }
    result.archiveBytes += END.length;
    yield END;
  };
}

type TarHooks = WriteHooks & {onBytes?: (n: number) => void};

export async function writePlanToTar(
  repo: Repository,
  entries: readonly PlannedEntry[],
  path: string,
  req: Omit<WriteRequest, 'destination' | 'create' | 'conflict'>,
  hooks: TarHooks = {},
): Promise<TarResult> {
  const full = resolve(path);
  const request: WriteRequest = {...req, destination: dirname(full), create: false, conflict: 'fail'};
  const owner: Owner = {
    uid: req.writer.uid,
    gid: req.writer.gid,
    uname: req.writer.name.startsWith('#') ? '' : req.writer.name,
    gname: String(req.writer.gid),
  };
  const result: TarResult = {files: 0, bytes: 0, archiveBytes: 0, specialDropped: 0};
  const archive: PlannedEntry = {
    parts: [basename(full)],
    type: 'file',
    mode: 0o600,
    uid: req.writer.uid,
    gid: req.writer.gid,
    mtimeMs: Date.now(),
    size: archiveSize(entries, owner),
  };
  const data = archiveBytes(repo, entries, owner, request, result, hooks);
  try {
    await writePlan([archive], data, request, {signal: hooks.signal});
  } catch (e) {
    if (e instanceof BackhaulError && e.code === 'exists') {
      throw new BackhaulError(
        'exists',
        `${full.slice(0, 300)} already exists.`,
        'Nothing was written. Pick a new archive name; an archive is never overwritten.',
      );
    }
    throw e;
  }
  return result;
}
