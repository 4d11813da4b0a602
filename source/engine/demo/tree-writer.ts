/**
 * Writes demo trees deterministically and records what it changed. Every file,
 * directory and symlink it touches gets an explicit mode and mtime (never the
 * umask or the clock), and `finish()` resets the mtime of every directory whose
 * entries changed, so the same seed gives the same tree, bit for bit, except
 * for ctimes and the owning user, which no one can set.
 * Paths given and recorded are relative to the staging root, '/'-separated.
 */
import {
  appendFile,
  chmod,
  lstat,
  mkdir,
  open,
  readdir,
  rename,
  rm,
  symlink,
  lutimes,
  utimes,
  writeFile,
} from 'node:fs/promises';
import {dirname, join} from 'node:path';

export interface TreeChanges {
  added: string[];
  changed: string[];
  deleted: string[];
  renamed: [from: string, to: string][];
  /** Byte ranges rewritten inside disk images. */
  blocks: {image: string; offset: number; length: number}[];
}

export const emptyChanges = (): TreeChanges => ({added: [], changed: [], deleted: [], renamed: [], blocks: []});

export interface WriteOptions {
  mode?: number;
  mtime?: number;
}

export class TreeWriter {
  readonly changes = emptyChanges();
  private readonly touched = new Set<string>();
  /** Directories known to exist, to spare an lstat per file written. */
  private readonly dirs = new Set<string>(['', '.']);

  /** `time` is the epoch second stamped on whatever is written without an explicit mtime. */
  constructor(
    readonly root: string,
    readonly time: number,
  ) {}

  abs(rel: string): string {
    return join(this.root, rel);
  }

  async exists(rel: string): Promise<boolean> {
    return lstat(this.abs(rel)).then(
      () => true,
      () => false,
    );
  }

  /** Creates `rel` and any missing parents (0755 unless `mode`). */
  async dir(rel: string, mode = 0o755): Promise<void> {
    if (this.dirs.has(rel)) return;
    if (!(await this.exists(rel))) {
      await this.dir(dirname(rel));
      await mkdir(this.abs(rel));
      await chmod(this.abs(rel), mode);
      this.touched.add(rel);
      this.touched.add(dirname(rel));
    }
    this.dirs.add(rel);
  }

  async file(rel: string, content: string | Uint8Array, options: WriteOptions = {}): Promise<void> {
    const existed = await this.exists(rel);
    await this.dir(dirname(rel));
    await writeFile(this.abs(rel), content);
    await this.stamp(rel, options.mode ?? 0o644, options.mtime);
    if (existed) this.changes.changed.push(rel);
    else {
      this.changes.added.push(rel);
      this.touched.add(dirname(rel));
    }
  }

  async append(rel: string, content: string | Uint8Array, mtime?: number): Promise<void> {
    await appendFile(this.abs(rel), content);
    await utimes(this.abs(rel), mtime ?? this.time, mtime ?? this.time);
    this.changes.changed.push(rel);
  }

  /** Overwrites bytes in place (a file, or a disk image when `image` is set). */
  async patch(rel: string, offset: number, data: Uint8Array, image = false): Promise<void> {
    const handle = await open(this.abs(rel), 'r+');
    try {
      await handle.write(data, 0, data.length, offset);
    } finally {
      await handle.close();
    }
    await utimes(this.abs(rel), this.time, this.time);
    if (image) this.changes.blocks.push({image: rel, offset, length: data.length});
    else if (!this.changes.changed.includes(rel)) this.changes.changed.push(rel);
  }

  /** A sparse file of `size` bytes holding `extents` of data. */
  async sparse(
    rel: string,
    size: number,
    extents: {offset: number; data: Uint8Array}[],
    mtime?: number,
  ): Promise<void> {
    await this.file(rel, '', {mtime});
    const handle = await open(this.abs(rel), 'r+');
    try {
      await handle.truncate(size);
      for (const e of extents) await handle.write(e.data, 0, e.data.length, e.offset);
    } finally {
      await handle.close();
    }
    await utimes(this.abs(rel), mtime ?? this.time, mtime ?? this.time);
  }

  async symlink(rel: string, target: string, mtime?: number): Promise<void> {
    await this.dir(dirname(rel));
    await symlink(target, this.abs(rel));
    await lutimes(this.abs(rel), mtime ?? this.time, mtime ?? this.time);
    this.changes.added.push(rel);
    this.touched.add(dirname(rel));
  }

  async remove(rel: string): Promise<void> {
    await rm(this.abs(rel), {recursive: true});
    this.forget(rel);
    this.changes.deleted.push(rel);
    this.touched.add(dirname(rel));
  }

  async rename(from: string, to: string): Promise<void> {
    await this.dir(dirname(to));
    await rename(this.abs(from), this.abs(to));
    this.forget(from);
    this.changes.renamed.push([from, to]);
    this.touched.add(dirname(from));
    this.touched.add(dirname(to));
  }

  /** Regular files under `rel`, sorted, as staging-relative paths. */
  async files(rel: string): Promise<string[]> {
    const out: string[] = [];
    for (const entry of (await readdir(this.abs(rel), {withFileTypes: true})).sort(byName)) {
      const path = `${rel}/${entry.name}`;
      if (entry.isDirectory()) out.push(...(await this.files(path)));
      else if (entry.isFile()) out.push(path);
    }
    return out;
  }

  /** Stamps every directory whose entries changed; call once at the end of a step. */
  async finish(): Promise<TreeChanges> {
    for (const rel of this.touched) {
      if (rel !== '.' && rel !== '' && (await this.exists(rel))) await utimes(this.abs(rel), this.time, this.time);
    }
    this.touched.clear();
    return this.changes;
  }

  private forget(rel: string): void {
    for (const dir of this.dirs) if (dir === rel || dir.startsWith(`${rel}/`)) this.dirs.delete(dir);
  }

  private async stamp(rel: string, mode: number, mtime?: number): Promise<void> {
    await chmod(this.abs(rel), mode);
    await utimes(this.abs(rel), mtime ?? this.time, mtime ?? this.time);
  }
}

const byName = (a: {name: string}, b: {name: string}) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
