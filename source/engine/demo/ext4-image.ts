/**
 * Reproducible ext4 images for the demo and the benchmark: `mkfs.ext4 -d` from a
 * directory, with the UUID, hash seed and clock pinned and, afterwards, every
 * inode's atime/ctime/owner reset with debugfs (mkfs copies those from the host,
 * where they cannot be controlled). Same directory contents → same image bytes.
 * Also finds where a file's data lives inside an image, so later restore points
 * can change real file blocks without breaking the file system. The tools run
 * through execa, imported when first needed: every command loads this module
 * (commands/index.ts), few make images.
 */
import {readdir, rm} from 'node:fs/promises';
import {join} from 'node:path';
import type {Rng} from './random.js';
import type {TreeWriter} from './tree-writer.js';

export const EXT4_BLOCK = 4096;
const FIXED_TIME = 1_735_689_600; // 2025-01-01T00:00:00Z

function uuidFrom(seed: number): string {
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  const h = hex(seed) + hex(Math.imul(seed, 0x9e3779b9)) + hex(seed ^ 0x5bd1e995) + hex(Math.imul(seed, 0x85ebca6b));
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function listTree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(dir, {withFileTypes: true})).sort((a, b) => (a.name < b.name ? -1 : 1));
  for (const entry of entries) {
    const rel = `${prefix}/${entry.name}`;
    out.push(rel);
    if (entry.isDirectory()) out.push(...(await listTree(join(dir, entry.name), rel)));
  }
  return out;
}

/** Builds `image` (`sizeMiB`, block size 4096) holding a copy of `sourceDir`. */
export async function makeExt4Image(
  sourceDir: string,
  image: string,
  sizeMiB: number,
  label: string,
  seed: number,
): Promise<void> {
  const env = {...process.env, E2FSPROGS_FAKE_TIME: String(FIXED_TIME)};
  const uuid = uuidFrom(seed);
  await rm(image, {force: true});
  const {execa} = await import('execa');
  await execa(
    'mkfs.ext4',
    [
      '-q',
      '-F',
      '-b',
      String(EXT4_BLOCK),
      '-L',
      label,
      '-U',
      uuid,
      '-E',
      `hash_seed=${uuid},root_owner=0:0`,
      '-d',
      sourceDir,
      image,
      `${sizeMiB}M`,
    ],
    {env, extendEnv: false},
  );
  const paths = ['/', '/lost+found', ...(await listTree(sourceDir))];
  const commands = paths.map(p => {
    if (p.includes('"') || /[\n\r]/.test(p)) throw new Error(`ext4 demo trees cannot hold "${p}"`);
    return ['atime', 'ctime', 'crtime']
      .map(f => `sif "${p}" ${f} ${FIXED_TIME}`)
      .concat(['atime_extra', 'ctime_extra', 'crtime_extra', 'uid', 'gid'].map(f => `sif "${p}" ${f} 0`))
      .join('\n');
  });
  await debugfs(['-w', image], commands.join('\n') + '\n', env);
}

/**
 * Runs debugfs with commands on stdin (no script file: a file next to the image
 * would change its directory's mtime, and the demo's trees must be reproducible).
 */
async function debugfs(args: string[], commands: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const {execa} = await import('execa');
  const result = await execa('debugfs', ['-f', '-', ...args], {
    env,
    extendEnv: false,
    input: commands,
    stripFinalNewline: false,
    reject: false,
  });
  if (result.exitCode !== 0)
    throw new Error(
      `debugfs ${args.join(' ')} failed (${result.exitCode ?? result.signal}): ${result.stderr.slice(0, 500)}`,
    );
  return result.stdout;
}

/**
 * Physical block numbers holding the data of `path` inside the image, in file
 * order. Read from the leaf extents (`ex -l`), so extent-tree blocks, which
 * must never be overwritten, are not among them.
 */
export async function fileBlocks(image: string, path: string): Promise<number[]> {
  return (await fileBlocksMany(image, [path]))[0]!;
}

function parseExtents(text: string): number[] {
  const blocks: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*\d+\/\s*\d+\s+\d+\/\s*\d+\s+(.*)$/.exec(line);
    if (!m) continue;
    const nums = m[1]!
      .split(/[\s-]+/)
      .filter(t => /^\d+$/.test(t))
      .map(Number);
    // "L0 - L1 P0 - P1 LEN", or "L P LEN" for a one-block extent.
    const [physical, length] = nums.length >= 5 ? [nums[2]!, nums[4]!] : [nums[1]!, nums[2]!];
    for (let i = 0; i < length; i++) blocks.push(physical + i);
  }
  return blocks;
}
/**
 * Rewrites `count` of the data blocks of `path` inside the staging image `imageRel`
 * with new seeded bytes, in place: the file system stays consistent (only file
 * contents change), the image gets changed blocks. Files must be contiguous
 * (no extent-tree blocks), which the demo guarantees by never writing zero blocks.
 */
export async function rewriteFileBlocks(
  w: TreeWriter,
  imageRel: string,
  path: string,
  rng: Rng,
  count: number,
  content: () => Uint8Array = () => rng.bytes(EXT4_BLOCK),
): Promise<void> {
  const blocks = await fileBlocks(w.abs(imageRel), path);
  const start = rng.int(0, Math.max(0, blocks.length - count));
  for (const block of blocks.slice(start, start + count)) {
    if (rng.chance(0.5) || count < 4) await w.patch(imageRel, block * EXT4_BLOCK, content(), true);
  }
}

/** `fileBlocks` for many files with one debugfs run. */
export async function fileBlocksMany(image: string, paths: string[]): Promise<number[][]> {
  const stdout = await debugfs([image], paths.map(p => `ex -l ${p}\n`).join(''));
  return stdout
    .split(/^debugfs: ex -l .*$/m)
    .slice(1)
    .map(parseExtents);
}
