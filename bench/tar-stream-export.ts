/**
 * Tar export written by tar-stream instead of Backhaul's own writer
 * (source/engine/restore/tar.ts): what replacing it would look like, for
 * bench/tar.ts to measure in the same run. Same guarantees as the shipped
 * export (pax records for what ustar cannot hold, the writer owning every
 * member, setuid/setgid dropped, each member's bytes checked against its
 * manifest); the archive's size is tar-stream's to decide, so the archive is
 * written without an up-front size. Its best tuning found: entries queued
 * without waiting for each to be flushed, a 1 MiB buffer. Not used by
 * Backhaul: it measured slower (README, Development).
 */
import {once} from 'node:events';
import {basename, dirname, resolve} from 'node:path';
import {pack, type Header, type Pack} from 'tar-stream';
import {BackhaulError, corrupt} from '../source/engine/errors.js';
import type {Repository} from '../source/engine/repository/repository.js';
import type {PlannedEntry} from '../source/engine/restore/plan.js';
import type {FileData, WriteEntry, WriteHooks} from '../source/engine/restore/tree-writer.js';
import {repositoryData, type WriteRequest} from '../source/engine/restore/write-plan.js';
import {writeTree} from '../source/engine/restore/write-tree.js';

export interface TarResult {
  files: number;
  bytes: number;
  archiveBytes: number;
  specialDropped: number;
}

const SPECIAL = 0o6000;
/** tar-stream writes ids in six octal digits and sizes in eleven (past that, sizes in base 256). */
const MAX_ID = 0o777777;
const MAX_SIZE = 0o77777777777;
/** The ustar user and group name fields hold 31 bytes and a NUL. */
const MAX_NAME = 31;
/** File-type bits with the permissions, as stat gives them: tar-stream takes a mode of 0 for "none given". */
const TYPE_BITS = {file: 0o100000, dir: 0o40000, symlink: 0o120000} as const;
const TAR_TYPE = {file: 'file', dir: 'directory', symlink: 'symlink'} as const;

/** Who every member belongs to: the writer. */
export interface Owner {
  uid: number;
  gid: number;
  uname: string;
  gname: string;
}

const ascii = (s: string) => /^[\x20-\x7e]*$/.test(s);

/** The pax records a member needs beyond the path and link target tar-stream writes itself; undefined: none. */
function paxRecords(e: PlannedEntry, name: string, owner: Owner): Record<string, string> | undefined {
  const pax: Record<string, string> = {};
  if (owner.uid > MAX_ID) pax.uid = String(owner.uid);
  if (owner.gid > MAX_ID) pax.gid = String(owner.gid);
  if (e.type === 'file' && e.size > MAX_SIZE) pax.size = String(e.size);
  if (e.mtimeMs % 1000 !== 0) pax.mtime = (e.mtimeMs / 1000).toFixed(3);
  if (!ascii(owner.uname) || owner.uname.length > MAX_NAME) pax.uname = owner.uname;
  if (!ascii(owner.gname) || owner.gname.length > MAX_NAME) pax.gname = owner.gname;
  // A pax header (its `path` and `linkpath` records) for names ustar would store as raw bytes.
  const needed = Object.keys(pax).length > 0 || !ascii(name) || (e.target !== undefined && !ascii(e.target));
  return needed ? pax : undefined;
}

/** One member's tar-stream header, and whether setuid/setgid bits were dropped from it. */
export function tarMember(e: PlannedEntry, owner: Owner, keepSpecial: boolean): {header: Header; dropped: boolean} {
  const mode = e.mode & 0o7777;
  const dropped = !keepSpecial && (mode & SPECIAL) !== 0;
  const name = e.type === 'dir' ? `${e.parts.join('/')}/` : e.parts.join('/');
  const fits = (s: string) => ascii(s) && s.length <= MAX_NAME;
  const header: Header = {
    name,
    type: TAR_TYPE[e.type],
    mode: TYPE_BITS[e.type] | (dropped ? mode & ~SPECIAL : mode),
    size: e.type === 'file' ? e.size : 0,
    mtime: new Date(Math.floor(e.mtimeMs / 1000) * 1000),
    linkname: e.target ?? '',
    uid: Math.min(owner.uid, MAX_ID),
    gid: Math.min(owner.gid, MAX_ID),
    uname: fits(owner.uname) ? owner.uname : '',
    gname: fits(owner.gname) ? owner.gname : '',
    devmajor: 0,
    devminor: 0,
    pax: paxRecords(e, name, owner),
  };
  return {header, dropped};
}

type TarHooks = WriteHooks & {onBytes?: (n: number) => void};

/** Adds each member to `archive` in plan order, each file with its verified chunks; stops when `stop` aborts. */
async function addMembers(
  archive: Pack,
  repo: Repository,
  entries: readonly PlannedEntry[],
  owner: Owner,
  req: WriteRequest,
  result: TarResult,
  hooks: TarHooks,
  stop: AbortSignal,
): Promise<void> {
  const chunksOf = repositoryData(repo, entries, hooks.onBytes);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const {header, dropped} = tarMember(e, owner, req.keepSpecial);
    if (dropped) result.specialDropped++;
    const sink = archive.entry(header, error => error && archive.destroy(error));
    if (e.type === 'file') {
      let size = 0;
      for await (const data of chunksOf({...e, size: e.size}, i)) {
        if (stop.aborted) return;
        if (size + data.length > e.size)
          throw corrupt(
            `${e.parts.join('/').slice(0, 300)} holds more than ${e.size} bytes; its manifest says ${e.size}.`,
          );
        size += data.length;
        if (!sink.write(data)) await once(sink, 'drain', {signal: stop});
      }
      if (size !== e.size)
        throw corrupt(`${e.parts.join('/').slice(0, 300)} holds ${size} bytes; its manifest says ${e.size}.`);
    }
    sink.end(undefined);
    if (e.type === 'file') {
      result.bytes += e.size;
      result.files++;
      hooks.onFile?.(i);
    }
  }
}

/** The archive's bytes as tar-stream makes them, while the members are added. */
function archiveBytes(
  repo: Repository,
  entries: readonly PlannedEntry[],
  owner: Owner,
  req: WriteRequest,
  result: TarResult,
  hooks: TarHooks,
): FileData {
  return async function* () {
    const archive = pack({highWaterMark: 1 << 20});
    const stop = new AbortController();
    const adding = addMembers(archive, repo, entries, owner, req, result, hooks, stop.signal).then(
      () => archive.finalize(),
      (error: unknown) => archive.destroy(error as Error),
    );
    try {
      for await (const data of archive as AsyncIterable<Buffer>) {
        result.archiveBytes += data.length;
        yield data;
      }
    } finally {
      // The writer stopped reading (it failed, or the export was cancelled): stop adding members.
      stop.abort();
      archive.destroy();
      await adding.catch(() => undefined);
    }
  };
}

export async function writePlanToTarStream(
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
  // No size: the archive's length is tar-stream's to decide; each member's bytes are checked above.
  const archive: WriteEntry = {
    parts: [basename(full)],
    type: 'file',
    mode: 0o600,
    uid: req.writer.uid,
    gid: req.writer.gid,
    mtimeMs: Date.now(),
  };
  try {
    const options = {
      conflict: request.conflict,
      stamp: request.stamp,
      keepOwners: false,
      keepSpecial: false,
      writerName: request.writer.name,
    };
    await writeTree(
      {destination: request.destination, create: false, options, entries: [archive]},
      archiveBytes(repo, entries, owner, request, result, hooks),
      {signal: hooks.signal},
    );
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
