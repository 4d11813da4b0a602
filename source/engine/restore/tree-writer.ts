/**
 * Writes a restore plan into a destination directory: the one writer behind
 * every restore mode, run either in this process or in a child that dropped
 * to the recipient's rights (writer-child.ts). Every step goes through
 * directory descriptors (dir-handle.ts): nothing that someone else can change
 * between check and use is ever looked up by path.
 *
 * Two passes over the plan (parents first, depth first):
 * 1. `place` looks at what the destination holds and decides each entry's
 *    name (conflicts: 'fail' refuses if anything exists, 'overwrite' replaces
 *    files and symlinks — never a directory —, 'keep' writes the restored
 *    copy next to what exists as NAME.RESTORED_YYYYMMDD_HHMMSS.EXT). A
 *    directory where a symlink stands is refused. Nothing is written.
 * 2. `write` creates directories (0700 while they fill), writes each file
 *    under a temporary name and links or renames it into place only when it
 *    is whole and its size is the manifest's, so a failed restore leaves no
 *    partial file; symlinks likewise. A directory's owner, mode and mtime are
 *    applied when the walk leaves it (writing into it changes its mtime).
 *
 * Owners are kept only when asked (root's own restore); setuid and setgid
 * bits only when asked (root restoring for root) — otherwise they are
 * dropped and counted.
 */
import type {FileHandle} from 'node:fs/promises';
import {BackhaulError, cancelled, corrupt} from '../errors.js';
import {DirHandle} from './dir-handle.js';
import {throughSymlink, writeError} from './write-errors.js';

export type Conflict = 'overwrite' | 'keep' | 'fail';

/** What the writer needs of a planned entry (no chunk ids: the data comes separately). */
export interface WriteEntry {
  parts: string[];
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** A file's size as the manifest says; undefined: not checked (an archive being made). */
  size?: number;
  target?: string;
}

export interface WriteOptions {
  conflict: Conflict;
  /** `RESTORED_YYYYMMDD_HHMMSS`, for 'keep'. */
  stamp: string;
  /** chown to the manifest's owners (only root's own restore). */
  keepOwners: boolean;
  /** Keep setuid/setgid bits (only root restoring for root). */
  keepSpecial: boolean;
  /** Who writes, for messages ("alice may not write ..."). */
  writerName: string;
}

export interface Placement {
  /** The entry's name in its directory (its own, or the 'keep' copy's). */
  name: string;
  existing: 'none' | 'merge' | 'replace';
}

export interface WriteOutcome {
  files: number;
  bytes: number;
  /** Entries that 'keep' wrote under a new name: [planned path, written path]. */
  renamed: Array<[string, string]>;
  replaced: string[];
  /** Files and directories whose setuid/setgid bits were dropped. */
  specialDropped: number;
}

/** Where each file's bytes come from, in plan order. */
export type FileData = (entry: WriteEntry, index: number) => AsyncIterable<Buffer>;

export interface WriteHooks {
  signal?: AbortSignal;
  onFile?: (index: number) => void;
}

const SPECIAL = 0o6000;
/** Unique within a restore (pid and a counter): a name in a directory only this restore writes into, or checked by O_EXCL. */
let temps = 0;
const tempName = () => `.backhaul-restore-${process.pid}-${++temps}`;

/**
 * Seconds for utimes so the file gets exactly `ms`: libuv truncates to whole
 * microseconds, and ms/1000 as a double can fall a fraction short. Node reads
 * a negative number as "now", so times before 1970 go as a Date.
 */
export function fsTime(ms: number): number | Date {
  return ms >= 0 ? ms / 1000 + 5e-7 : new Date(ms);
}

/** `RESTORED_YYYYMMDD_HHMMSS` in UTC. */
export function restoredStamp(now: Date): string {
  const iso = now.toISOString();
  return `RESTORED_${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

/** The 'keep' copy's name: the stamp before the last extension (directories and dotless names: at the end). */
export function restoredName(name: string, stamp: string, isDir = false): string {
  const dot = name.lastIndexOf('.');
  const renamed = isDir || dot <= 0 ? `${name}.${stamp}` : `${name.slice(0, dot)}.${stamp}${name.slice(dot)}`;
  if (Buffer.byteLength(renamed) > 255)
    throw new BackhaulError(
      'exists',
      `${name.slice(0, 100)} exists and its restored copy's name would be too long.`,
      'Restore to an empty directory, or choose overwrite.',
    );
  return renamed;
}

const show = (dir: DirHandle, name: string) => (dir.shown === '/' ? `/${name}` : `${dir.shown}/${name}`);

/** Pass 1: each entry's name and what is there now. Writes nothing. */
export async function placeEntries(
  root: DirHandle,
  entries: readonly WriteEntry[],
  o: WriteOptions,
): Promise<Placement[]> {
  const placements: Placement[] = [];
  const clashes: string[] = [];
  // The open directory at each depth, or null below a directory that will be created (nothing can exist there).
  const stack: Array<DirHandle | null> = [root];
  try {
    for (const entry of entries) {
      while (stack.length > entry.parts.length) await stack.pop()?.close();
      const dir = stack.at(-1)!;
      const name = entry.parts.at(-1)!;
      const found = dir
        ? await dir.lstat(name).catch((e: unknown) => Promise.reject(writeError(e, show(dir, name), o.writerName)))
        : undefined;
      const place: Placement = {name, existing: 'none'};
      const wantDir = entry.type === 'dir';
      if (found && dir) {
        const shown = show(dir, name);
        if (wantDir && found.isSymbolicLink()) throw throughSymlink(shown);
        if (wantDir && found.isDirectory()) {
          place.existing = 'merge';
        } else if (o.conflict === 'fail') {
          clashes.push(entry.parts.join('/'));
        } else if (o.conflict === 'overwrite') {
          if (found.isDirectory() || wantDir) {
            throw new BackhaulError(
              'exists',
              `${shown.slice(0, 300)} exists as a ${found.isDirectory() ? 'directory' : 'file'}; the restore has a ${entry.type} there.`,
              'Nothing was written. Move it away, or choose keep to restore next to it.',
            );
          }
          place.existing = 'replace';
        } else {
          place.name = restoredName(name, o.stamp, wantDir);
          if (await dir.lstat(place.name))
            throw new BackhaulError(
              'exists',
              `${show(dir, place.name).slice(0, 300)} already exists too.`,
              'Nothing was written. Wait a second and run the restore again (the suffix carries the time).',
            );
        }
      }
      placements.push(place);
      if (wantDir) stack.push(dir && place.existing === 'merge' ? await dir.openDir(name) : null);
    }
  } finally {
    for (const d of stack.slice(1)) await d?.close();
  }
  if (clashes.length > 0) {
    throw new BackhaulError(
      'exists',
      `${clashes.length === 1 ? 'A file' : `${clashes.length} files`} to restore already exist in ${root.shown.slice(0, 200)}: ${clashes.slice(0, 5).join(', ')}${clashes.length > 5 ? ', …' : ''}.`,
      'Nothing was written. Pass --overwrite (or --conflict overwrite/keep), or restore to an empty directory.',
    );
  }
  return placements;
}

interface OpenDir {
  dir: DirHandle;
  entry?: WriteEntry;
  /** Apply the entry's metadata when leaving (created here, or merged with 'overwrite'). */
  apply: boolean;
  /** Made by this restore: nobody else can have put a name in it, so a finished file may simply be renamed into place. */
  fresh: boolean;
  /** Writes of files in this directory still running: leaving it waits for them. */
  pending: Promise<void>[];
}

/** Files up to this size are read whole before they are written, so several can be written at once. */
const SMALL_FILE = 1024 * 1024;
const FILES_IN_FLIGHT = 16;

/** Pass 2: writes every entry where pass 1 placed it. */
export async function writeEntries(
  root: DirHandle,
  entries: readonly WriteEntry[],
  places: readonly Placement[],
  data: FileData,
  o: WriteOptions,
  hooks: WriteHooks = {},
): Promise<WriteOutcome> {
  const out: WriteOutcome = {files: 0, bytes: 0, renamed: [], replaced: [], specialDropped: 0};
  const stack: OpenDir[] = [{dir: root, apply: false, fresh: false, pending: []}];
  const inflight = new Set<Promise<void>>();
  let slotFreed: (() => void) | undefined;
  let failure: unknown;
  const check = () => {
    if (failure !== undefined) throw failure;
  };
  const mode = (m: number) => {
    if (o.keepSpecial || (m & SPECIAL) === 0) return m & 0o7777;
    out.specialDropped++;
    return m & 0o7777 & ~SPECIAL;
  };
  /** Runs a small file's write beside the walk; its directory waits for it before it is left. */
  const launch = (at: OpenDir, job: Promise<void>) => {
    const tracked = job.catch((e: unknown) => {
      failure ??= e;
    });
    at.pending.push(tracked);
    inflight.add(tracked);
    void tracked.finally(() => {
      inflight.delete(tracked);
      slotFreed?.();
    });
  };
  const slot = async () => {
    while (inflight.size >= FILES_IN_FLIGHT) await new Promise<void>(resolve => (slotFreed = resolve));
    slotFreed = undefined;
  };
  const leave = async () => {
    const top = stack.pop()!;
    try {
      await Promise.all(top.pending);
      check();
      if (top.apply && top.entry) {
        const e = top.entry;
        await top.dir
          .setMeta({
            owner: o.keepOwners ? {uid: e.uid, gid: e.gid} : undefined,
            mode: mode(e.mode),
            mtime: fsTime(e.mtimeMs),
          })
          .catch((err: unknown) => Promise.reject(writeError(err, top.dir.shown, o.writerName)));
      }
    } finally {
      await top.dir.close();
    }
  };
  try {
    for (let i = 0; i < entries.length; i++) {
      check();
      if (hooks.signal?.aborted) throw cancelled();
      const entry = entries[i]!;
      const place = places[i]!;
      while (stack.length > entry.parts.length) await leave();
      const at = stack.at(-1)!;
      const parent = at.dir;
      const shown = show(parent, place.name);
      if (place.name !== entry.parts.at(-1))
        out.renamed.push([entry.parts.join('/'), [...entry.parts.slice(0, -1), place.name].join('/')]);
      if (place.existing === 'replace') out.replaced.push(entry.parts.join('/'));
      const target: Target = {dir: parent, name: place.name, replace: place.existing === 'replace', fresh: at.fresh};
      const done = (bytes: number) => {
        out.bytes += bytes;
        out.files++;
        hooks.onFile?.(i);
      };
      try {
        if (entry.type === 'dir') {
          const dir = place.existing === 'merge' ? await parent.openDir(place.name) : await parent.makeDir(place.name);
          stack.push({
            dir,
            entry,
            apply: place.existing !== 'merge' || o.conflict === 'overwrite',
            fresh: place.existing !== 'merge',
            pending: [],
          });
        } else if (entry.type === 'file' && entry.size !== undefined && entry.size <= SMALL_FILE) {
          // Read in plan order (the data may come down one pipe), written beside the walk.
          const buffers = await readWhole(data(entry, i), entry, hooks.signal);
          await slot();
          check();
          launch(
            at,
            writeFile(target, entry, buffers, o, mode, hooks.signal).then(done, (e: unknown) =>
              Promise.reject(writeError(e, shown, o.writerName)),
            ),
          );
        } else if (entry.type === 'file') {
          done(await writeFile(target, entry, data(entry, i), o, mode, hooks.signal));
        } else {
          await writeSymlink(target, entry, o);
        }
      } catch (e) {
        throw writeError(e, shown, o.writerName);
      }
    }
    while (stack.length > 1) await leave();
    await Promise.all(stack[0]!.pending);
    check();
    return out;
  } catch (e) {
    await Promise.allSettled([...inflight]); // each removes its own temporary file on failure
    throw e;
  } finally {
    for (const d of stack.slice(1)) await d.dir.close();
  }
}

/** Where an entry goes. */
interface Target {
  dir: DirHandle;
  name: string;
  replace: boolean;
  fresh: boolean;
}

function sizeError(entry: WriteEntry, got: number | 'more'): Error {
  return corrupt(
    `${entry.parts.join('/').slice(0, 300)} holds ${got === 'more' ? 'more than' : got} bytes; its manifest says ${entry.size}.`,
  );
}

/** A small file's bytes, read whole and checked against its size before anything is created for it. */
async function readWhole(chunks: AsyncIterable<Buffer>, entry: WriteEntry, signal?: AbortSignal): Promise<Buffer[]> {
  const buffers: Buffer[] = [];
  let size = 0;
  for await (const data of chunks) {
    if (signal?.aborted) throw cancelled();
    if (size + data.length > entry.size!) throw sizeError(entry, 'more');
    buffers.push(data);
    size += data.length;
  }
  if (size !== entry.size) throw sizeError(entry, size);
  return buffers;
}

let zeros = Buffer.alloc(0);
/** A chunk of zeros worth leaving as a hole (compared natively, not byte by byte in JavaScript). */
function isZero(b: Buffer): boolean {
  if (b.length <= 4096 || b[0] !== 0 || b[b.length - 1] !== 0) return false;
  if (zeros.length < b.length) zeros = Buffer.alloc(b.length);
  return b.equals(zeros.subarray(0, b.length));
}

async function writeFile(
  target: Target,
  entry: WriteEntry,
  chunks: AsyncIterable<Buffer> | Buffer[],
  o: WriteOptions,
  mode: (m: number) => number,
  signal?: AbortSignal,
): Promise<number> {
  const temp = tempName();
  let handle: FileHandle | undefined = await target.dir.createFile(temp);
  let done = false;
  try {
    let position = 0;
    let hole = false;
    for await (const data of chunks) {
      if (signal?.aborted) throw cancelled();
      if (entry.size !== undefined && position + data.length > entry.size) throw sizeError(entry, 'more');
      hole = isZero(data);
      if (!hole) {
        let written = 0;
        while (written < data.length)
          written += (await handle.write(data, written, data.length - written, position + written)).bytesWritten;
      }
      position += data.length;
    }
    if (entry.size !== undefined && position !== entry.size) throw sizeError(entry, position);
    if (hole) await handle.truncate(position); // a hole at the end is not written by the loop
    if (o.keepOwners) await handle.chown(entry.uid, entry.gid);
    await handle.chmod(mode(entry.mode));
    await handle.utimes(fsTime(entry.mtimeMs), fsTime(entry.mtimeMs));
    await handle.close();
    handle = undefined;
    await target.dir.place(temp, target.name, target.replace || target.fresh);
    done = true;
    return position;
  } finally {
    await handle?.close().catch(() => undefined);
    if (!done) await target.dir.remove(temp).catch(() => undefined);
  }
}

async function writeSymlink(target: Target, entry: WriteEntry, o: WriteOptions): Promise<void> {
  const temp = tempName();
  await target.dir.symlink(entry.target ?? '', temp);
  try {
    await target.dir.setLinkMeta(temp, {
      owner: o.keepOwners ? {uid: entry.uid, gid: entry.gid} : undefined,
      mtime: fsTime(entry.mtimeMs),
    });
    await target.dir.place(temp, target.name, target.replace || target.fresh);
  } catch (e) {
    await target.dir.remove(temp).catch(() => undefined);
    throw e;
  }
}
