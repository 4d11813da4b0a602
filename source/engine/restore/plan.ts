/**
 * What a restore will write, worked out before anything is written: the
 * selected disks, their entries filtered by path, every destination path
 * checked as untrusted input. Every restore mode (plain, through sudo,
 * delegated, to a directory or an archive) writes from such a plan.
 *
 * Guarantees: a plan never holds a path that is absolute, has '.', '..' or
 * empty components, a NUL, a '/' inside a node or disk name, a name over 255
 * bytes, more than 1024 levels; nor an entry beneath a symlink or a file of
 * the same plan (`link -> /etc` then `link/passwd`), nor two entries for one
 * path, nor an unknown entry type. Such a manifest is refused as a whole
 * (`corrupt`). Entries come parents first, depth first (each directory's
 * whole subtree before its next sibling), which is the order the writer
 * walks. Every check is linear in the size of the manifest.
 */
import {BackhaulError, notFound} from '../errors.js';
import type {ChunkId} from '../ids.js';
import type {DiskManifest, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {openImage, type OpenImage} from '../images/open-image.js';
import {walkImage} from '../images/inside.js';
import {checkEntryPath, checkLinkTarget, checkSegment} from './safe-path.js';
import {pickDisks} from './select.js';

export interface PlannedEntry {
  /** Destination-relative parts (node/disk subdir + entry path), each one safe segment. */
  parts: string[];
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  /** Bytes of a file; 0 otherwise. */
  size: number;
  chunks?: ChunkId[];
  target?: string;
  /** A volume-level disk's image (LABEL.img). */
  image?: boolean;
  /** A file inside a volume image: its bytes come from here, not from `chunks` (images/inside.ts). */
  read?: () => AsyncIterable<Buffer>;
}

export interface RestorePlan {
  entries: PlannedEntry[];
  files: number;
  bytes: number;
  /** "node:disk" of every disk in the plan, for the audit entry. */
  disks: string[];
  /** Entries not restored, with why (device nodes, fifos, sockets inside an image). */
  skipped: string[];
  /** Bytes read from the repository for files inside images. */
  readBytes(): number;
  /** Releases what the plan holds open (filesystems inside images); every planRestore needs one call. */
  close(): Promise<void>;
}

export interface PlanRequest {
  node?: string;
  disk?: string;
  paths?: string[];
}

const unsafe = (path: string, why: string) =>
  new BackhaulError(
    'corrupt',
    `Refusing unsafe path in manifest: ${JSON.stringify(path).slice(0, 200)} (${why}).`,
    'The backup may have been tampered with; nothing was written.',
  );

/** A --path filter as parts ('' and '/' around it ignored). */
function filterParts(paths: readonly string[]): string[][] {
  return paths
    .map(p => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .map(p => p.split('/'));
}

/** `prefix` is the whole of `parts` or a leading part of it. */
function startsWith(parts: readonly string[], prefix: readonly string[]): boolean {
  if (prefix.length > parts.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== parts[i]) return false;
  return true;
}

/** Which --path filters an entry answers: it is one, lies beneath one, or is a directory on the way to one. */
class Filters {
  private readonly matched = new Set<number>();
  constructor(readonly list: string[][]) {}
  wants(parts: readonly string[], isDir: boolean): boolean {
    if (this.list.length === 0) return true;
    let wanted = false;
    this.list.forEach((f, i) => {
      if (startsWith(parts, f)) {
        this.matched.add(i);
        wanted = true;
      } else if (isDir && startsWith(f, parts)) {
        wanted = true;
      }
    });
    return wanted;
  }
  unmatched(): string[] {
    return this.list.filter((_, i) => !this.matched.has(i)).map(f => f.join('/'));
  }
}

function imageEntry(disk: DiskManifest, subdir: string[], mtimeMs: number): PlannedEntry {
  const name = checkSegment(`${checkSegment(disk.name, 'disk name')}.img`, 'disk name');
  const size = disk.image?.size ?? disk.logicalBytes;
  return {
    parts: [...subdir, name],
    type: 'file',
    mode: 0o600,
    uid: 0,
    gid: 0,
    mtimeMs,
    size,
    chunks: disk.image?.chunks ?? [],
    image: true,
  };
}

/**
 * Paths inside a volume image are asked for by naming its disk (`--disk
 * LABEL --path home/alice/doc`); any --path but LABEL.img itself then means
 * a file inside it.
 */
function wantsInside(request: PlanRequest, disk: DiskManifest, filters: Filters): boolean {
  return (
    request.disk === disk.name &&
    filters.list.length > 0 &&
    filters.list.some(f => f.length !== 1 || f[0] !== `${disk.name}.img`)
  );
}

export async function planRestore(repo: Repository, point: PointManifest, request: PlanRequest): Promise<RestorePlan> {
  const images: OpenImage[] = [];
  const close = async () => {
    for (const image of images.splice(0)) await image.close();
  };
  try {
    return await planWith(repo, point, request, images, close);
  } catch (e) {
    await close();
    throw e;
  }
}

async function planWith(
  repo: Repository,
  point: PointManifest,
  request: PlanRequest,
  images: OpenImage[],
  close: () => Promise<void>,
): Promise<RestorePlan> {
  const filters = new Filters(filterParts(request.paths ?? []));
  const entries: PlannedEntry[] = [];
  const disks: string[] = [];
  const skipped: string[] = [];
  const pointTime = Date.parse(point.time);
  for (const s of pickDisks(point, request.node, request.disk)) {
    checkSegment(s.node.name, 'node name');
    checkSegment(s.disk.name, 'disk name');
    disks.push(`${s.node.name}:${s.disk.name}`);
    if (s.disk.kind === 'image' && wantsInside(request, s.disk, filters)) {
      const image = await openImage(repo, s.disk);
      images.push(image);
      const inside = await walkImage(image, filters, s.subdir);
      entries.push(...inside.entries);
      skipped.push(...inside.skipped);
      continue;
    }
    if (s.disk.kind === 'image') {
      const entry = imageEntry(s.disk, s.subdir, pointTime);
      if (filters.wants(entry.parts.slice(s.subdir.length), false)) entries.push(entry);
      continue;
    }
    for await (const batch of repo.readTreeBatches(s.disk)) {
      for (const e of batch) {
        const parts = checkEntryPath(e.path);
        if (!filters.wants(parts, e.type === 'dir')) continue;
        if (e.type !== 'file' && e.type !== 'dir' && e.type !== 'symlink')
          throw unsafe(e.path, `unknown type ${JSON.stringify(e.type).slice(0, 20)}`);
        entries.push({
          parts: s.subdir.length > 0 ? [...s.subdir, ...parts] : parts,
          type: e.type,
          mode: e.mode,
          uid: e.uid,
          gid: e.gid,
          mtimeMs: e.mtimeMs,
          size: e.type === 'file' ? e.size : 0,
          chunks: e.type === 'file' ? (e.chunks ?? []) : undefined,
          target: e.type === 'symlink' ? checkLinkTarget(e.target, e.path) : undefined,
        });
      }
    }
  }
  const unmatched = filters.unmatched();
  if (unmatched.length > 0) throw nothingMatched(point, unmatched);
  const ordered = completeAndOrder(entries, pointTime);
  const files = ordered.filter(e => e.type === 'file');
  const readBytes = () => images.reduce((t, i) => t + i.disk.readBytes, 0);
  return {
    entries: ordered,
    files: files.length,
    bytes: files.reduce((t, e) => t + e.size, 0),
    disks,
    skipped,
    readBytes,
    close,
  };
}

function nothingMatched(point: PointManifest, unmatched: string[]): BackhaulError {
  const asked = unmatched
    .slice(0, 5)
    .map(p => JSON.stringify(p).slice(0, 100))
    .join(', ');
  return notFound(
    `Nothing in restore point ${point.id} matches --path ${asked}.`,
    'Paths are as shown in the backup, without a leading "/", e.g. home/alice/doc (the TUI\'s restore browser shows them).',
  );
}

const key = (parts: readonly string[]) => parts.join('/');

/**
 * Adds the directories the plan needs but does not list (node/disk subdirs,
 * parents of a --path), refuses duplicates and anything beneath a non-directory,
 * and orders parents first, depth first. Every ancestor is in the map once
 * this returns, so checking each entry's own parent covers the whole path.
 */
function completeAndOrder(entries: PlannedEntry[], mtimeMs: number): PlannedEntry[] {
  const byKey = new Map<string, PlannedEntry>();
  for (const e of entries) {
    const k = key(e.parts);
    if (byKey.has(k)) throw unsafe(k, 'listed twice');
    byKey.set(k, e);
  }
  for (const e of entries) {
    for (let i = e.parts.length - 1; i >= 1; i--) {
      const k = key(e.parts.slice(0, i));
      if (byKey.has(k)) break; // its own ancestors were added when it was
      byKey.set(k, {parts: e.parts.slice(0, i), type: 'dir', mode: 0o700, uid: 0, gid: 0, mtimeMs, size: 0});
    }
  }
  const all = [...byKey.values()];
  for (const e of all) {
    if (e.parts.length < 2) continue;
    const parent = byKey.get(key(e.parts.slice(0, -1)))!;
    if (parent.type !== 'dir') throw unsafe(key(e.parts), `beneath the ${parent.type} ${key(parent.parts)}`);
  }
  return all.sort(compareParts);
}

/** Component by component, so a directory's subtree is contiguous ("a/b" before "a-b"). */
function compareParts(a: PlannedEntry, b: PlannedEntry): number {
  const n = Math.min(a.parts.length, b.parts.length);
  for (let i = 0; i < n; i++) {
    const x = a.parts[i]!;
    const y = b.parts[i]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return a.parts.length - b.parts.length;
}
