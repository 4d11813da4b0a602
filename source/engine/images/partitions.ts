/**
 * What a volume image holds: an ext2/3/4 filesystem on the whole disk, or a
 * partition table (MBR, or GPT behind its protective MBR) whose partitions
 * may hold one. Partitions are named p1, p2, ... by their slot in the table,
 * as Linux names them. Everything read here is hostile input: counts and
 * sizes are bounded, and a partition that does not lie inside the image is
 * left out (listed as unreadable).
 */
import type {ChunkDisk} from './chunk-disk.js';

export interface Volume {
  /** '' for a filesystem on the whole disk, else p1, p2, ... */
  name: string;
  offset: number;
  size: number;
  /** An ext2/3/4 superblock is where it should be. */
  ext: boolean;
}

const SECTOR = 512;
const EXT_MAGIC = 0xef53;
const MAX_GPT_ENTRIES = 256;

async function readAt(disk: ChunkDisk, offset: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(length);
  if (offset + length > disk.size) return b;
  await disk.read(b, 0, length, offset);
  return b;
}

async function hasExt(disk: ChunkDisk, offset: number, size: number): Promise<boolean> {
  if (size < 2048 || offset + 2048 > disk.size) return false;
  return (await readAt(disk, offset + 1024, 1024)).readUInt16LE(56) === EXT_MAGIC;
}

function mbrEntries(mbr: Buffer): Array<{slot: number; type: number; start: number; sectors: number}> {
  if (mbr.readUInt16LE(510) !== 0xaa55) return [];
  const out = [];
  for (let slot = 0; slot < 4; slot++) {
    const at = 446 + slot * 16;
    const type = mbr[at + 4]!;
    if (type !== 0)
      out.push({slot: slot + 1, type, start: mbr.readUInt32LE(at + 8), sectors: mbr.readUInt32LE(at + 12)});
  }
  return out;
}

async function gptRanges(disk: ChunkDisk): Promise<Array<{slot: number; start: number; size: number}>> {
  const header = await readAt(disk, SECTOR, SECTOR);
  if (header.toString('latin1', 0, 8) !== 'EFI PART') return [];
  const entriesAt = Number(header.readBigUInt64LE(72)) * SECTOR;
  const count = Math.min(header.readUInt32LE(80), MAX_GPT_ENTRIES);
  const size = header.readUInt32LE(84);
  if (size < 128 || size > 4096 || size % 8 !== 0 || !Number.isSafeInteger(entriesAt)) return [];
  const table = await readAt(disk, entriesAt, count * size);
  const out = [];
  for (let i = 0; i < count; i++) {
    const e = table.subarray(i * size, (i + 1) * size);
    if (e.subarray(0, 16).every(b => b === 0)) continue;
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    if (last >= first) out.push({slot: i + 1, start: first * SECTOR, size: (last - first + 1) * SECTOR});
  }
  return out;
}

/** The filesystems a disk image may hold, whole-disk first; [] when it has neither a filesystem nor a partition table. */
export async function findVolumes(disk: ChunkDisk): Promise<Volume[]> {
  if (await hasExt(disk, 0, disk.size)) return [{name: '', offset: 0, size: disk.size, ext: true}];
  const mbr = await readAt(disk, 0, SECTOR);
  const primary = mbrEntries(mbr);
  const ranges = primary.some(p => p.type === 0xee)
    ? await gptRanges(disk)
    : primary.map(p => ({slot: p.slot, start: p.start * SECTOR, size: p.sectors * SECTOR}));
  const volumes: Volume[] = [];
  for (const r of ranges) {
    const inside = r.start > 0 && r.size > 0 && r.start + r.size <= disk.size;
    volumes.push({
      name: `p${r.slot}`,
      offset: r.start,
      size: r.size,
      ext: inside && (await hasExt(disk, r.start, r.size)),
    });
  }
  return volumes;
}

/** Bytes the ext filesystem of a volume says it spans (its superblock's block count × block size). */
export async function extBytes(disk: ChunkDisk, volume: Volume): Promise<number> {
  const sb = await readAt(disk, volume.offset + 1024, 1024);
  const log = sb.readUInt32LE(24);
  if (log > 6) return Infinity;
  const blocks = sb.readUInt32LE(4) + ((sb.readUInt32LE(0x60) & 0x80) !== 0 ? sb.readUInt32LE(0x150) * 2 ** 32 : 0);
  return blocks * (1024 << log);
}
