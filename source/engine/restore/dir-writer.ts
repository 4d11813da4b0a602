/**
 * Writes a restore plan into a directory with the recipient's rights: every
 * path operation runs under `asUser`, so restored files belong to the
 * recipient and land only where the recipient may write. Chunks are read as
 * root between those operations and written through the already-open file.
 *
 * Order: preflight (conflicts.ts, nothing written) → directories → files →
 * symlinks → directory modes and mtimes, deepest first. Files are created
 * with O_EXCL|O_NOFOLLOW; a replaced file is written under a temporary name
 * and renamed over the old one, so it also becomes the recipient's. Modes
 * and mtimes are kept; holes are kept for all-zero chunks.
 */
import {randomBytes} from 'node:crypto';
import {constants} from 'node:fs';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {BackhaulError, cancelled, corrupt, denied, fromSystemError} from '../errors.js';
import type {Repository} from '../repository/repository.js';
import {asUser, recipientError, type Recipient} from './as-user.js';
import {placeEntries, type Conflict, type Placement} from './conflicts.js';
import type {PlannedEntry} from './plan.js';

export interface DirWriteOptions {
  root: string;
  conflict: Conflict;
  recipient: Recipient;
  stamp: string;
  /** Root may create the destination's last component for the recipient when they cannot (delegated restores). */
  createRootAsAdmin?: boolean;
  signal?: AbortSignal;
  onBytes?: (n: number) => void;
  onFile?: () => void;
}

export interface DirWriteResult {
  files: number;
  bytes: number;
  /** Entries that 'keep' wrote under a new name: [planned path, written path]. */
  renamed: Array<[string, string]>;
  replaced: string[];
}

const isZero = (b: Buffer) => b.length > 4096 && b.every((x) => x === 0);

function sys(e: unknown, path: string, recipient?: Recipient): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return denied(`Refusing to write through the symlink ${path}.`, 'Remove it from the destination.');
  if (code === 'EEXIST') return new BackhaulError('exists', `${path} appeared during the restore.`, 'Run the restore again.');
  if (recipient) return recipientError(e, path, recipient) ?? fromSystemError(e, path) ?? e;
  return fromSystemError(e, path) ?? e;
}

async function prepareRoot(o: DirWriteOptions): Promise<void> {
  const r = o.recipient;
  try {
    await asUser(r, () => fs.mkdir(o.root, {recursive: true, mode: 0o700}));
  } catch (e) {
    if (!o.createRootAsAdmin || (e as NodeJS.ErrnoException).code !== 'EACCES' || process.geteuid?.() !== 0) {
      throw recipientError(e, o.root, r) ?? fromSystemError(e, o.root) ?? e;
    }
    // The admin named a place the recipient cannot create: make only its last component, for them.
    await fs.mkdir(o.root, {mode: 0o700}).catch((err: unknown) => {
      throw fromSystemError(err, o.root) ?? err;
    });
    await fs.lchown(o.root, r.uid, r.gid);
  }
  const s = await asUser(r, () => fs.stat(o.root)).catch((e: unknown) => {
    throw recipientError(e, o.root, r) ?? fromSystemError(e, o.root) ?? e;
  });
  if (!s.isDirectory()) throw new BackhaulError('exists', `${o.root} is not a directory.`, 'Pick a directory, or a new name.');
}

export async function writePlanToDir(repo: Repository, entries: readonly PlannedEntry[], o: DirWriteOptions): Promise<DirWriteResult> {
  const r = o.recipient;
  await prepareRoot(o);
  const places = await asUser(r, () => placeEntries(o.root, entries, o.conflict, o.stamp)).catch((e: unknown) => {
    throw recipientError(e, o.root, r) ?? fromSystemError(e, o.root) ?? e;
  });
  const result: DirWriteResult = {files: 0, bytes: 0, renamed: [], replaced: []};
  for (const p of places) {
    if (p.renamedFrom) result.renamed.push([p.renamedFrom, p.parts.join('/')]);
    if (p.existing === 'replace') result.replaced.push(p.parts.join('/'));
  }
  const dirs = places.filter((p) => p.entry.type === 'dir');
  for (const p of dirs) {
    if (p.existing === 'merge') continue;
    const path = join(o.root, ...p.parts);
    await asUser(r, () => fs.mkdir(path, {mode: 0o700})).catch((e: unknown) => {
      throw sys(e, path, r);
    });
  }
  for (const p of places.filter((x) => x.entry.type === 'file')) {
    if (o.signal?.aborted) throw cancelled();
    result.bytes += await writeFile(repo, o, p);
    result.files++;
    o.onFile?.();
  }
  for (const p of places.filter((x) => x.entry.type === 'symlink')) await writeSymlink(o, p);
  for (const p of [...dirs].reverse()) {
    if (p.existing === 'merge' && o.conflict !== 'overwrite') continue;
    const path = join(o.root, ...p.parts);
    await asUser(r, async () => {
      await fs.chmod(path, p.entry.mode & 0o7777);
      await fs.utimes(path, new Date(p.entry.mtimeMs), new Date(p.entry.mtimeMs));
    }).catch((e: unknown) => {
      throw sys(e, path);
    });
  }
  return result;
}

const tempName = (p: Placement) => [...p.parts.slice(0, -1), `.${p.parts.at(-1)!.slice(0, 200)}.backhaul-${randomBytes(4).toString('hex')}`];

async function writeFile(repo: Repository, o: DirWriteOptions, p: Placement): Promise<number> {
  const final = join(o.root, ...p.parts);
  const path = p.existing === 'replace' ? join(o.root, ...tempName(p)) : final;
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const handle = await asUser(o.recipient, () => fs.open(path, flags, 0o600)).catch((e: unknown) => {
    throw sys(e, final, o.recipient);
  });
  let position = 0;
  let done = false;
  try {
    for (const id of p.entry.chunks ?? []) {
      if (o.signal?.aborted) throw cancelled();
      const data = await repo.readChunk(id);
      if (!isZero(data)) await handle.write(data, 0, data.length, position);
      position += data.length;
      o.onBytes?.(data.length);
    }
    if (position !== p.entry.size) throw corrupt(`${p.entry.parts.join('/')} holds ${position} bytes; its manifest says ${p.entry.size}.`);
    await handle.truncate(position);
    await handle.chmod(p.entry.mode & 0o7777);
    await handle.utimes(new Date(p.entry.mtimeMs), new Date(p.entry.mtimeMs));
    done = true;
  } catch (e) {
    throw sys(e, final);
  } finally {
    await handle.close();
    if (!done && path !== final) await asUser(o.recipient, () => fs.rm(path, {force: true})).catch(() => {});
  }
  if (path !== final) {
    await asUser(o.recipient, () => fs.rename(path, final)).catch((e: unknown) => {
      throw sys(e, final);
    });
  }
  return position;
}

async function writeSymlink(o: DirWriteOptions, p: Placement): Promise<void> {
  const final = join(o.root, ...p.parts);
  const path = p.existing === 'replace' ? join(o.root, ...tempName(p)) : final;
  const time = new Date(p.entry.mtimeMs);
  await asUser(o.recipient, async () => {
    await fs.symlink(p.entry.target ?? '', path);
    await fs.lutimes(path, time, time);
    if (path !== final) await fs.rename(path, final);
  }).catch((e: unknown) => {
    throw sys(e, final);
  });
}
