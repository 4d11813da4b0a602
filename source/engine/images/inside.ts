/**
 * The files inside a volume image as restore-plan entries: the ext
 * filesystem (or the partitions' filesystems, as p1, p2, ...) walked through
 * ext2fs and turned into exactly the entries a file-level disk's manifest
 * gives (plan.ts), so the same checks and the same writers apply. Only what
 * the --path filters need is walked: directories on the way to a filter, and
 * everything beneath one.
 *
 * The filesystem is hostile input. Every name goes through the manifest
 * checks (one safe segment, valid UTF-8, path depth and length); a directory
 * reached twice (a loop, or a hard-linked directory) and more than
 * MAX_ENTRIES entries are `corrupt`; device nodes, fifos and sockets are not
 * restored but reported (`skipped`); a symlink's target is data, never
 * followed; a file is read by its own path with O_NOFOLLOW and must still be
 * the inode that was listed, and never yields more than its listed size.
 */
import type {Ext2Fs, Ext2Stats} from 'ext2fs';
import {BackhaulError, corrupt, quoted} from '../errors.js';
import {pathProblem, targetProblem} from '../repository/names.js';
import type {OpenImage} from './open-image.js';
import type {Volume} from './partitions.js';

/** What plan.ts's --path filters answer (Filters in plan.ts). */
export interface PathFilter {
  wants(parts: readonly string[], isDir: boolean): boolean;
}

/** A restore-plan entry (restore/plan.ts PlannedEntry, which this is assignable to). */
export interface InsideEntry {
  parts: string[];
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  size: number;
  target?: string;
  read?: () => AsyncIterable<Buffer>;
}

/** The manifest checks (repository/names.ts) and restore/safe-path.ts's refusal, for names found in an image. */
function unsafe(what: string, value: string, why: string): BackhaulError {
  return new BackhaulError(
    'corrupt',
    `Refusing unsafe ${what} in the image: ${JSON.stringify(value).slice(0, 200)} (${why}).`,
    'The image may have been crafted; nothing was written.',
  );
}

function checkEntryPath(path: string): void {
  const problem = pathProblem(path);
  if (problem) throw unsafe('path', path, `it ${problem}`);
}

function checkLinkTarget(target: string, path: string): string {
  const problem = targetProblem(target);
  if (problem) throw unsafe('symlink', path, `its target ${problem}`);
  return target;
}

export const MAX_ENTRIES = 1_000_000;
const READ_SIZE = 1024 * 1024;
const S_IFMT = 0o170000;
const KIND: Record<number, string> = {
  0o140000: 'socket',
  0o060000: 'block device',
  0o020000: 'character device',
  0o010000: 'fifo',
};

export interface InsideWalk {
  entries: InsideEntry[];
  /** Paths not restored (device nodes, fifos, sockets), with why. */
  skipped: string[];
}

const damaged = (what: string) =>
  corrupt(
    `The filesystem inside the image is damaged or crafted: ${what}.`,
    'Nothing was written. Restore the whole image instead and inspect it offline.',
  );

/** ext2fs hands names over decoded already (bytes that are not UTF-8 come back as U+FFFD, which then names nothing: `corrupt`). */
function nameOf(raw: Buffer | string): string {
  if (typeof raw === 'string') return raw;
  const name = raw.toString('utf8');
  if (!Buffer.from(name, 'utf8').equals(raw)) throw damaged(`a name is not UTF-8 (${quoted(name, 60)})`);
  return name;
}

function fsError(e: unknown, path: string): Error {
  if (e instanceof Error && e.name === 'BackhaulError') return e;
  return damaged(
    `${quoted(path, 100)} cannot be read (${String((e as Error)?.message ?? e)
      .split('\n')[0]!
      .slice(0, 120)})`,
  );
}

class Walker {
  readonly entries: InsideEntry[] = [];
  readonly skipped: string[] = [];
  private readonly seenDirs = new Set<number>();
  private count = 0;

  constructor(
    private readonly fs: Ext2Fs,
    private readonly volume: Volume,
    private readonly filters: PathFilter,
    private readonly prefix: string[],
    private readonly inside: string[],
  ) {}

  async walk(dirParts: string[], ino: number): Promise<void> {
    if (this.seenDirs.has(ino))
      throw damaged(`directory ${quoted(dirParts.join('/') || '/', 100)} is reached twice (a directory loop)`);
    this.seenDirs.add(ino);
    const fsPath = '/' + dirParts.join('/');
    const names = await this.fs.promises
      .readdir(fsPath, {encoding: 'buffer'})
      .catch((e: unknown) => Promise.reject(fsError(e, fsPath)));
    const children = names.map(nameOf).sort();
    for (const name of children) {
      const parts = [...dirParts, name];
      const shown = [...this.inside, ...parts];
      checkEntryPath(shown.join('/'));
      if (!this.filters.wants(shown, true)) continue;
      if (++this.count > MAX_ENTRIES) throw damaged(`more than ${MAX_ENTRIES} entries`);
      const path = '/' + parts.join('/');
      const st = await this.fs.promises.lstat(path).catch((e: unknown) => Promise.reject(fsError(e, path)));
      await this.add(parts, shown, st);
    }
  }

  private async add(parts: string[], shown: string[], st: Ext2Stats): Promise<void> {
    const type = st.mode & S_IFMT;
    const path = '/' + parts.join('/');
    const base = {
      parts: [...this.prefix, ...shown],
      mode: st.mode & 0o7777,
      uid: st.uid,
      gid: st.gid,
      mtimeMs: st.mtime.getTime(),
      size: 0,
    };
    if (type === 0o040000) {
      this.entries.push({...base, type: 'dir'});
      await this.walk(parts, st.ino);
    } else if (!this.filters.wants(shown, false)) {
      return;
    } else if (type === 0o100000) {
      if (!Number.isSafeInteger(st.size) || st.size < 0 || st.size > this.volume.size * 16 + 1024 * 1024 * 1024) {
        throw damaged(`${quoted(shown.join('/'), 100)} claims ${st.size} bytes, far more than the image`);
      }
      this.entries.push({...base, type: 'file', size: st.size, read: () => this.read(path, st.ino, st.size)});
    } else if (type === 0o120000) {
      const target = await this.fs.promises
        .readlink(path, {encoding: 'buffer'})
        .catch((e: unknown) => Promise.reject(fsError(e, path)));
      this.entries.push({...base, type: 'symlink', target: checkLinkTarget(nameOf(target), shown.join('/'))});
    } else {
      this.skipped.push(`${shown.join('/')} (${KIND[type] ?? `unknown type ${type.toString(8)}`})`);
    }
  }

  private async *read(path: string, ino: number, size: number): AsyncIterable<Buffer> {
    const {O_RDONLY, O_NOFOLLOW} = this.fs.promises.constants;
    const fs = this.fs.promises;
    const {fd} = await fs.open(path, O_RDONLY | O_NOFOLLOW).catch((e: unknown) => Promise.reject(fsError(e, path)));
    try {
      const st = await fs.fstat(fd);
      if (st.ino !== ino || (st.mode & S_IFMT) !== 0o100000)
        throw damaged(`${quoted(path, 100)} changed while it was read`);
      for (let pos = 0; pos < size;) {
        const n = Math.min(READ_SIZE, size - pos);
        const buffer = Buffer.alloc(n);
        const {bytesRead} = await fs
          .read(fd, buffer, 0, n, pos)
          .catch((e: unknown) => Promise.reject(fsError(e, path)));
        if (bytesRead <= 0) throw damaged(`${quoted(path, 100)} ends after ${pos} of its ${size} bytes`);
        pos += bytesRead;
        yield bytesRead === n ? buffer : buffer.subarray(0, bytesRead);
      }
    } finally {
      await fs.close(fd).catch(() => undefined);
    }
  }
}

/**
 * The planned entries inside an opened image for these filters, each under
 * `prefix` (the node directory of a cluster restore). A filter naming a
 * partition that holds no readable filesystem is refused by name.
 */
export async function walkImage(image: OpenImage, filters: PathFilter, prefix: string[]): Promise<InsideWalk> {
  const entries: InsideEntry[] = [];
  const skipped: string[] = [];
  for (const volume of image.volumes) {
    const inside = volume.name ? [volume.name] : [];
    if (volume.name && !filters.wants(inside, true)) continue;
    if (!volume.ext) continue;
    const fs = await image.mount(volume);
    const root = await fs.promises.lstat('/').catch((e: unknown) => Promise.reject(fsError(e, '/')));
    const walker = new Walker(fs, volume, filters, prefix, inside);
    if (volume.name)
      entries.push({
        parts: [...prefix, volume.name],
        type: 'dir',
        mode: root.mode & 0o7777,
        uid: root.uid,
        gid: root.gid,
        mtimeMs: root.mtime.getTime(),
        size: 0,
      });
    await walker.walk([], root.ino);
    entries.push(...walker.entries);
    skipped.push(...walker.skipped);
  }
  return {entries, skipped};
}

export interface InsideItem {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
  mtimeMs: number;
  mode: number;
  /** A partition without a filesystem Backhaul reads, a device node, ... */
  note?: string;
}

const typeOf = (mode: number): InsideItem['type'] =>
  (({0o040000: 'dir', 0o100000: 'file', 0o120000: 'symlink'}) as Record<number, InsideItem['type']>)[mode & S_IFMT] ??
  'other';

/** One directory inside an image (`parts` from its root; on a partitioned disk, the partitions first). */
export async function listInside(image: OpenImage, parts: string[]): Promise<InsideItem[]> {
  const whole = image.volumes.find(v => v.name === '');
  if (!whole && parts.length === 0) {
    return image.volumes.map(v => ({
      name: v.name,
      type: v.ext ? 'dir' : 'other',
      size: v.size,
      mtimeMs: 0,
      mode: 0o755,
      note: v.ext ? undefined : 'no filesystem Backhaul reads',
    }));
  }
  const volume = whole ?? image.volumes.find(v => v.name === parts[0] && v.ext);
  if (!volume)
    throw corrupt(
      `The image has no readable partition ${quoted(parts[0] ?? '')}.`,
      'List the image to see its partitions.',
    );
  const inside = whole ? parts : parts.slice(1);
  if (inside.length > 0) checkEntryPath(inside.join('/'));
  const fs = await image.mount(volume);
  const dir = '/' + inside.join('/');
  const names = (
    await fs.promises.readdir(dir, {encoding: 'buffer'}).catch((e: unknown) => Promise.reject(fsError(e, dir)))
  ).map(nameOf);
  if (names.length > MAX_ENTRIES) throw damaged(`more than ${MAX_ENTRIES} entries in one directory`);
  const items: InsideItem[] = [];
  for (const name of names.sort()) {
    checkEntryPath([...inside, name].join('/'));
    const path = inside.length ? `${dir}/${name}` : `/${name}`;
    const st = await fs.promises.lstat(path).catch((e: unknown) => Promise.reject(fsError(e, path)));
    const type = typeOf(st.mode);
    items.push({
      name,
      type,
      size: type === 'file' ? st.size : 0,
      mtimeMs: st.mtime.getTime(),
      mode: st.mode & 0o7777,
      note: type === 'other' ? KIND[st.mode & S_IFMT] : undefined,
    });
  }
  return items;
}
