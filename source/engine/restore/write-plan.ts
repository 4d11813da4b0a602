/**
 * Who writes a restore, and with which rights. The writer is a user: the
 * process's own (a plain restore: root keeps owners and setuid bits, anyone
 * else writes their own files) or a recipient (a delegated restore, or a
 * user's own restore through sudo). When the writer is not this process's
 * user, a child process that dropped to the writer's rights for good does the
 * writing (writer-client.ts): the kernel decides where it may write, and what
 * it creates is the writer's. Root never writes for someone else as root.
 *
 * Every chunk is read and verified here, in this process; the writer gets
 * only bytes.
 */
import {resolve} from 'node:path';
import {denied} from '../errors.js';
import type {Repository} from '../repository/repository.js';
import type {PlannedEntry} from './plan.js';
import type {Conflict, FileData, WriteEntry, WriteHooks, WriteOutcome} from './tree-writer.js';
import {writeInChild} from './writer-client.js';
import {writeTree} from './write-tree.js';

export interface Writer {
  uid: number;
  gid: number;
  /** The user's name ('#UID' when the system has none). */
  name: string;
}

export interface WriteRequest {
  /** The directory to write into (relative paths are taken from the working directory). */
  destination: string;
  create: boolean;
  conflict: Conflict;
  stamp: string;
  writer: Writer;
  /** chown to the manifest's owners: root's own restore only. */
  keepOwners: boolean;
  /** Keep setuid/setgid: root restoring for root only. */
  keepSpecial: boolean;
}

/** The user this process writes as, by itself. */
export function processWriter(name: string): Writer {
  return {uid: process.geteuid!(), gid: process.getegid!(), name};
}

/** Throws unless this process can write as `writer` (itself, or anyone when root). */
export function checkCanWriteAs(writer: Writer): void {
  const euid = process.geteuid?.();
  if (euid === 0 || euid === writer.uid) return;
  throw denied(
    `Restoring files that belong to ${writer.name} needs root (this process runs as uid ${euid}).`,
    'Run backhaul as root, or through the documented sudo rule.',
  );
}

const toWire = (e: PlannedEntry): WriteEntry => ({
  parts: e.parts,
  type: e.type,
  mode: e.mode,
  uid: e.uid,
  gid: e.gid,
  mtimeMs: e.mtimeMs,
  size: e.type === 'file' ? e.size : undefined,
  target: e.target,
});

/** Each file's verified chunks from the repository, one read ahead of the write (or, inside an image, its bytes from the filesystem there). */
export function repositoryData(
  repo: Repository,
  entries: readonly PlannedEntry[],
  onBytes?: (n: number) => void,
): FileData {
  return async function* (_entry, index) {
    const read = entries[index]!.read;
    if (read) {
      for await (const data of read()) {
        onBytes?.(data.length);
        yield data;
      }
      return;
    }
    const chunks = entries[index]!.chunks ?? [];
    let next = chunks.length > 0 ? repo.readChunk(chunks[0]!) : undefined;
    for (let i = 0; i < chunks.length; i++) {
      const data = await next!;
      next = i + 1 < chunks.length ? repo.readChunk(chunks[i + 1]!) : undefined;
      next?.catch(() => undefined); // awaited next turn, or dropped with the restore
      onBytes?.(data.length);
      yield data;
    }
  };
}

/** Writes `entries` (a plan's, in its order) as the request's writer, reading each file's bytes from `data`. */
export async function writePlan(
  entries: readonly PlannedEntry[],
  data: FileData,
  req: WriteRequest,
  hooks: WriteHooks = {},
): Promise<WriteOutcome> {
  checkCanWriteAs(req.writer);
  const job = {
    destination: resolve(req.destination),
    create: req.create,
    entries: entries.map(toWire),
    options: {
      conflict: req.conflict,
      stamp: req.stamp,
      keepOwners: req.keepOwners,
      keepSpecial: req.keepSpecial,
      writerName: req.writer.name,
    },
  };
  if (req.writer.uid === process.geteuid!()) return writeTree(job, data, hooks);
  return writeInChild(
    {
      ...job,
      as: {uid: req.writer.uid, gid: req.writer.gid, user: req.writer.name.startsWith('#') ? '' : req.writer.name},
    },
    data,
    hooks,
  );
}
