/**
 * The benchmark data set (~2 GiB by default), built deterministically:
 *   DIR/files/small/...   tens of thousands of small files copied from /usr (a
 *                         sorted, fixed list; topped up with seeded text files
 *                         where this host has too few), modes and mtimes kept
 *   DIR/files/large/...   several large incompressible files
 *   DIR/disk.img          an ext4 image (mkfs.ext4 -d) of a seeded tree
 *   DIR/dataset.json      what was built (never part of a backup)
 * Back up `DIR/files` at file level and `DIR/disk.img` at volume level.
 * `mutate1pct(DIR)` changes ~1% of it (edits, in-place rewrites, new files);
 * each call makes a different, still deterministic, change.
 *
 * Usage: node --import tsx bench/dataset.ts DIR [--size-gib 2] [--seed N] [--force] [--mutate]
 */
import {
  chmod,
  copyFile,
  lstat,
  lutimes,
  mkdir,
  open,
  readFile,
  readdir,
  readlink,
  rm,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import {lstatSync, readdirSync, utimesSync, type Dirent} from 'node:fs';
import {dirname, join} from 'node:path';
import {parseArgs} from 'node:util';
import {Rng} from '../source/engine/demo/random.js';
import {EXT4_BLOCK, fileBlocksMany, makeExt4Image} from '../source/engine/demo/ext4-image.js';

process.env.UV_THREADPOOL_SIZE ??= '16'; // many small copies; only effective before the first fs call

const SOURCES = [
  '/usr/share/doc',
  '/usr/share/locale',
  '/usr/share/man',
  '/usr/lib/python3',
  '/usr/include',
  '/usr/share/i18n',
  '/usr/share/perl',
  '/usr/share/zoneinfo',
  '/usr/share/mime',
  '/usr/lib/python3.11',
];
const MAX_SMALL = 1 << 20;
const BASE_TIME = 1_735_689_600;
const MiB = 1 << 20;

interface Marker {
  format: 1;
  seed: number;
  sizeGiB: number;
  mutations: number;
  smallFiles: number;
  bytes: number;
  large: string[];
  imageFiles: string[];
}
export interface DatasetSummary {
  files: number;
  bytes: number;
  smallFiles: number;
  smallBytes: number;
  largeFiles: number;
  largeBytes: number;
  imageBytes: number;
  seconds: number;
}

/** Sorted, depth-first; synchronous stats, since one-at-a-time async ones cost a thread-pool round trip each. */
function* walk(dir: string): Generator<{path: string; size: number; link: boolean}> {
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(dir, {withFileTypes: true});
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* walk(path);
    else if (e.isSymbolicLink()) yield {path, size: 0, link: true};
    else if (e.isFile()) {
      const size = lstatSync(path).size;
      if (size <= MAX_SMALL) yield {path, size, link: false};
    }
  }
}

/** Directory mtimes are part of a backup (and of an ext4 image made with -d): pin them. */
function stampDirs(dir: string, time: number): void {
  for (const e of readdirSync(dir, {withFileTypes: true})) if (e.isDirectory()) stampDirs(join(dir, e.name), time);
  utimesSync(dir, time, time);
}

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({length: width}, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/** Copies real small files up to the byte budget, then tops up with seeded text to the count and the budget. */
async function buildSmall(
  dir: string,
  rng: Rng,
  budget: number,
  count: number,
): Promise<{files: number; bytes: number}> {
  const picked: {path: string; size: number; link: boolean}[] = [];
  let bytes = 0;
  outer: for (const source of SOURCES) {
    for (const f of walk(source)) {
      if (bytes + f.size > budget) break outer;
      picked.push(f);
      bytes += f.size;
    }
  }
  const dirs = [...new Set(picked.map(f => dirname(join(dir, f.path))))].sort();
  for (const d of dirs) await mkdir(d, {recursive: true});
  await pool(picked, 32, async f => {
    const to = join(dir, f.path);
    const st = await lstat(f.path);
    if (f.link) {
      await symlink(await readlink(f.path), to);
      return lutimes(to, st.mtime, st.mtime);
    }
    await copyFile(f.path, to);
    await chmod(to, (st.mode & 0o7777) | 0o200);
    await utimes(to, st.mtime, st.mtime);
  });
  const generated: {path: string; data: string}[] = [];
  for (let i = 0; picked.length + generated.length < count || bytes < budget * 0.95; i++) {
    const data = i % 3 === 0 ? rng.code(rng.int(500, 16_000)) : rng.prose(rng.int(300, 12_000));
    generated.push({
      path: join(dir, 'generated', `d${String(i >> 8).padStart(3, '0')}`, `${rng.word()}-${i}.txt`),
      data,
    });
    bytes += data.length;
  }
  for (const d of new Set(generated.map(g => dirname(g.path)))) await mkdir(d, {recursive: true});
  await pool(generated, 32, async g => {
    await writeFile(g.path, g.data);
    await utimes(g.path, BASE_TIME, BASE_TIME);
  });
  return {files: picked.length + generated.length, bytes};
}

async function writeRandom(path: string, size: number, rng: Rng): Promise<void> {
  const handle = await open(path, 'w');
  const block = Buffer.allocUnsafeSlow(8 * MiB);
  try {
    for (let done = 0; done < size; done += block.length) {
      const n = Math.min(block.length, size - done);
      await handle.write(rng.fill(block.subarray(0, n)), 0, n, done);
    }
  } finally {
    await handle.close();
  }
  await utimes(path, BASE_TIME, BASE_TIME);
}

/** The image's source tree: database-like files (half random pages), logs, many small text files. */
async function buildImageTree(tree: string, rng: Rng, content: number): Promise<string[]> {
  const files: string[] = [];
  const put = async (rel: string, data: Uint8Array | string) => {
    await mkdir(dirname(join(tree, rel)), {recursive: true});
    await writeFile(join(tree, rel), data);
    await utimes(join(tree, rel), BASE_TIME, BASE_TIME);
    files.push(`/${rel}`);
  };
  let used = 0;
  for (let i = 0; used < content * 0.75; i++) {
    const size = Math.min(rng.int(8, 48) * MiB, Math.ceil(content * 0.75 - used / 8192) * 8192);
    const data = Buffer.alloc(size, 'page free ');
    for (let p = 0; p < size; p += 8192) if (rng.chance(0.6)) rng.fill(data.subarray(p, p + 8192));
    await put(`db/table-${String(i).padStart(3, '0')}.dat`, data);
    used += size;
  }
  for (let i = 0; used < content * 0.9; i++) {
    const data = rng.log(100_000, BASE_TIME - 86_400 * 30, 'bench').data;
    await put(`log/app-${i}.log`, data);
    used += data.length;
  }
  for (let i = 0; used < content; i++) {
    const data = rng.prose(rng.int(1000, 30_000));
    await put(`home/docs/d${i >> 7}/${rng.word()}-${i}.txt`, data);
    used += data.length;
  }
  return files;
}

export interface BuildOptions {
  sizeGiB?: number;
  seed?: number;
  force?: boolean;
  onPhase?: (phase: string, seconds: number) => void;
}

export async function buildBenchDataset(dir: string, options: BuildOptions = {}): Promise<DatasetSummary> {
  const started = performance.now();
  let mark = started;
  const phase = (name: string) => {
    const now = performance.now();
    options.onPhase?.(name, (now - mark) / 1000);
    mark = now;
  };
  const sizeGiB = options.sizeGiB ?? 2;
  const seed = options.seed ?? 1;
  const total = sizeGiB * 1024 * MiB;
  const old = await readMarker(dir);
  if (old && !options.force && old.seed === seed && old.sizeGiB === sizeGiB && old.mutations === 0)
    return summarize(dir, old, started);
  const entries = await readdir(dir).catch(() => [] as string[]);
  if (entries.length > 0 && !old)
    throw new Error(`${dir} is not empty and holds no benchmark data set; pick an empty directory`);
  await rm(dir, {recursive: true, force: true});
  await mkdir(join(dir, 'files', 'large'), {recursive: true});
  const rng = new Rng(seed);
  const small = await buildSmall(
    join(dir, 'files', 'small'),
    rng.fork('small'),
    total * 0.3,
    Math.round(20_000 * sizeGiB),
  );
  phase('small files');
  const weights = [8, 6, 4, 3, 2, 1];
  const largeBudget = total * 0.4;
  const large = weights.map((w, i) => ({
    path: `files/large/random-${i}.bin`,
    size: Math.floor((largeBudget * w) / 24 / MiB) * MiB,
  }));
  await Promise.all(large.map((f, i) => writeRandom(join(dir, f.path), f.size, rng.fork(`large-${i}`))));
  stampDirs(join(dir, 'files'), BASE_TIME);
  phase('large files');
  const tree = join(dir, '.image-tree');
  const imageMiB = Math.floor((total * 0.3) / MiB);
  const imageFiles = await buildImageTree(tree, rng.fork('image'), imageMiB * MiB * 0.7);
  stampDirs(tree, BASE_TIME);
  phase('image tree');
  await makeExt4Image(tree, join(dir, 'disk.img'), imageMiB, 'bench', seed);
  await utimes(join(dir, 'disk.img'), BASE_TIME, BASE_TIME);
  await rm(tree, {recursive: true});
  phase('mkfs.ext4');
  const marker: Marker = {
    format: 1,
    seed,
    sizeGiB,
    mutations: 0,
    smallFiles: small.files,
    bytes: 0,
    large: large.map(f => f.path),
    imageFiles,
  };
  await writeFile(join(dir, 'dataset.json'), JSON.stringify(marker));
  return summarize(dir, marker, started);
}

/**
 * Changes ~1% of the data set in place, deterministically: edits ~1% of the small
 * files, rewrites ~1% of the large files and of the image's file blocks, adds
 * files. Changed files get a new mtime (a day after the previous change), as a
 * real change would, so mtime-based scanners see them.
 */
export async function mutate1pct(
  dir: string,
): Promise<{changedFiles: number; addedFiles: number; rewrittenBytes: number}> {
  const marker = await readMarker(dir);
  if (!marker) throw new Error(`${dir} holds no benchmark data set`);
  marker.mutations += 1;
  const rng = new Rng(marker.seed).fork(`mutate-${marker.mutations}`);
  const time = BASE_TIME + marker.mutations * 86_400;
  let rewritten = 0;
  const small: string[] = [];
  for (const f of walk(join(dir, 'files', 'small'))) if (!f.link) small.push(f.path);
  const edited = rng.sample(small, Math.ceil(small.length / 100));
  await pool(edited, 16, async path => {
    const text = await readFile(path);
    const at = rng.int(0, text.length);
    const insert = Buffer.from(`\n${rng.sentence()}\n`);
    await writeFile(path, Buffer.concat([text.subarray(0, at), insert, text.subarray(at)]));
    await utimes(path, time, time);
    rewritten += insert.length;
  });
  for (const rel of marker.large) {
    const path = join(dir, rel);
    const size = (await lstat(path)).size;
    const handle = await open(path, 'r+');
    try {
      for (let done = 0; done < size / 100;) {
        const length = rng.int(1, 16) * 65_536;
        await handle.write(rng.bytes(length), 0, length, rng.int(0, Math.floor((size - length) / 4096)) * 4096);
        done += length;
        rewritten += length;
      }
    } finally {
      await handle.close();
    }
    await utimes(path, time, time);
  }
  rewritten += await rewriteImage(join(dir, 'disk.img'), marker.imageFiles, rng);
  await utimes(join(dir, 'disk.img'), time, time);
  const added = join(dir, 'files', 'small', 'added', `mutation-${marker.mutations}`);
  await mkdir(added, {recursive: true});
  for (let i = 0; i < 20; i++) await writeFile(join(added, `note-${i}.txt`), rng.prose(rng.int(500, 8000)));
  await writeRandom(join(added, 'upload.bin'), 4 * MiB, rng);
  for (const name of await readdir(added)) await utimes(join(added, name), time, time);
  stampDirs(join(dir, 'files', 'small', 'added'), time);
  utimesSync(join(dir, 'files', 'small'), time, time);
  await writeFile(join(dir, 'dataset.json'), JSON.stringify(marker));
  return {changedFiles: edited.length + marker.large.length + 1, addedFiles: 21, rewrittenBytes: rewritten + 4 * MiB};
}

/** Rewrites runs of data blocks in the image's files until ~1% of the image changed. */
async function rewriteImage(image: string, files: string[], rng: Rng): Promise<number> {
  const size = (await lstat(image)).size;
  const chosen = rng.sample(files, Math.min(files.length, 256));
  const blockLists = (await fileBlocksMany(image, chosen)).filter(b => b.length > 0);
  const handle = await open(image, 'r+');
  let done = 0;
  try {
    while (done < size / 100 && blockLists.length > 0) {
      const blocks = rng.pick(blockLists);
      const run = Math.min(blocks.length, rng.int(4, 64));
      const start = rng.int(0, blocks.length - run);
      for (const block of blocks.slice(start, start + run)) {
        await handle.write(rng.bytes(EXT4_BLOCK), 0, EXT4_BLOCK, block * EXT4_BLOCK);
        done += EXT4_BLOCK;
      }
    }
  } finally {
    await handle.close();
  }
  return done;
}

async function readMarker(dir: string): Promise<Marker | undefined> {
  const text = await readFile(join(dir, 'dataset.json'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : (JSON.parse(text) as Marker);
}

async function summarize(dir: string, marker: Marker, started: number): Promise<DatasetSummary> {
  let smallFiles = 0;
  let smallBytes = 0;
  for (const f of walk(join(dir, 'files', 'small'))) {
    smallFiles++;
    smallBytes += f.size;
  }
  let largeBytes = 0;
  for (const rel of marker.large) largeBytes += (await lstat(join(dir, rel))).size;
  const imageBytes = (await lstat(join(dir, 'disk.img'))).size;
  return {
    files: smallFiles + marker.large.length + 1,
    bytes: smallBytes + largeBytes + imageBytes,
    smallFiles,
    smallBytes,
    largeFiles: marker.large.length,
    largeBytes,
    imageBytes,
    seconds: (performance.now() - started) / 1000,
  };
}

async function main(): Promise<void> {
  const {values, positionals} = parseArgs({
    allowPositionals: true,
    options: {
      'size-gib': {type: 'string', default: '2'},
      seed: {type: 'string', default: '1'},
      force: {type: 'boolean', default: false},
      mutate: {type: 'boolean', default: false},
    },
  });
  const dir = positionals[0];
  if (!dir)
    throw new Error('usage: node --import tsx bench/dataset.ts DIR [--size-gib 2] [--seed N] [--force] [--mutate]');
  const gib = (n: number) => `${(n / 1024 / MiB).toFixed(2)} GiB`;
  if (values.mutate) {
    const started = performance.now();
    const m = await mutate1pct(dir);
    console.log(
      `mutated ${dir}: ${m.changedFiles} files changed, ${m.addedFiles} added, ${(m.rewrittenBytes / MiB).toFixed(1)} MiB rewritten in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    return;
  }
  const s = await buildBenchDataset(dir, {
    sizeGiB: Number(values['size-gib']),
    seed: Number(values.seed),
    force: values.force,
    onPhase: (name, seconds) => console.log(`  ${name}: ${seconds.toFixed(1)} s`),
  });
  console.log(
    `${dir}: ${s.files} files, ${gib(s.bytes)} in ${s.seconds.toFixed(1)} s\n` +
      `  files/small  ${s.smallFiles} files, ${gib(s.smallBytes)}\n` +
      `  files/large  ${s.largeFiles} files, ${gib(s.largeBytes)} (incompressible)\n` +
      `  disk.img     ext4, ${gib(s.imageBytes)}`,
  );
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  main().catch((e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  });
}
