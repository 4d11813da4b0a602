/**
 * Writes what an explorer produced — a new database or CSV or mbox file, or
 * a new Maildir folder — through the restore writer (restore/write-plan.ts):
 * as the recipient (a child that dropped to their rights, for someone else),
 * never over anything that exists, never through a symlink, a failed write
 * leaving nothing.
 */
import {createReadStream} from 'node:fs';
import {basename, dirname, resolve} from 'node:path';
import {usageError} from '../errors.js';
import {restoredStamp, type FileData, type WriteEntry} from '../restore/tree-writer.js';
import {writePlan, type Writer} from '../restore/write-plan.js';
import type {PlannedEntry} from '../restore/plan.js';
import {checkSegment} from '../restore/safe-path.js';

export type Content = {buffer: Buffer} | {file: string; size: number};

export interface Produced {
  /** Relative to the destination. */
  parts: string[];
  content?: Content;
}

const sizeOf = (c: Content) => ('buffer' in c ? c.buffer.length : c.size);

async function* contentOf(c: Content): AsyncIterable<Buffer> {
  if ('buffer' in c) {
    if (c.buffer.length > 0) yield c.buffer;
    return;
  }
  for await (const b of createReadStream(c.file)) yield b as Buffer;
}

/** Writes `items` under `destination` (created if missing), as `writer`; returns the bytes written. */
export async function deliver(items: Produced[], destination: string, writer: Writer): Promise<number> {
  const now = Date.now();
  const entries: PlannedEntry[] = items.map(i => {
    i.parts.forEach(p => checkSegment(p));
    return i.content
      ? {
          parts: i.parts,
          type: 'file',
          mode: 0o600,
          uid: writer.uid,
          gid: writer.gid,
          mtimeMs: now,
          size: sizeOf(i.content),
        }
      : {parts: i.parts, type: 'dir', mode: 0o700, uid: writer.uid, gid: writer.gid, mtimeMs: now, size: 0};
  });
  const data: FileData = (_e: WriteEntry, index: number) => contentOf(items[index]!.content!);
  const out = await writePlan(entries, data, {
    destination,
    create: true,
    conflict: 'fail',
    stamp: restoredStamp(new Date()),
    writer,
    keepOwners: false,
    keepSpecial: false,
  });
  return out.bytes;
}

/** A new file at `path`: its directory and its name. */
export function newFile(path: string): {dir: string; name: string} {
  const abs = resolve(path);
  const name = basename(abs);
  if (!name || abs === '/') throw usageError('--to must name a new file.', 'e.g. --to /home/alice/restored/app.db');
  return {dir: dirname(abs), name};
}
