/**
 * Opening the filesystems inside a volume-level disk of a restore point:
 * its image as a block device (chunk-disk.ts), the volumes on it
 * (partitions.ts), each ext filesystem mounted read-only in memory by ext2fs
 * (libext2fs in WASM: a well-kept reader, not a parser of our own). Nothing
 * is mounted in the kernel and nothing needs root.
 *
 * Guarantees: an image with no filesystem Backhaul can read is a clear
 * `not-found` naming the whole-image restore instead; a filesystem ext2fs
 * cannot open (a truncated or crafted image) is `corrupt`; `close` unmounts
 * everything it mounted.
 */
import {BackhaulError, corrupt, quoted} from '../errors.js';
import type {DiskManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {ChunkDisk} from './chunk-disk.js';
import {extBytes, findVolumes, type Volume} from './partitions.js';
import type {Ext2Fs} from 'ext2fs';

export interface OpenImage {
  disk: ChunkDisk;
  volumes: Volume[];
  /** The mounted filesystem of a volume (mounted on first use). */
  mount(volume: Volume): Promise<Ext2Fs>;
  close(): Promise<void>;
}

export function noFilesystem(disk: DiskManifest): BackhaulError {
  return new BackhaulError(
    'not-found',
    `Disk ${quoted(disk.name)} holds no filesystem Backhaul can read (ext2/3/4, whole disk or MBR/GPT partitions).`,
    `Restore the whole image instead: --disk ${disk.name} --path ${disk.name}.img (or without --path).`,
  );
}

/** A filesystem larger than the bytes that hold it is a truncated image: refused before ext2fs reads past the end. */
async function checkSize(disk: ChunkDisk, volume: Volume, manifest: DiskManifest): Promise<void> {
  const bytes = await extBytes(disk, volume);
  if (bytes > volume.size) {
    throw corrupt(
      `The filesystem ${volume.name ? `on partition ${volume.name} ` : ''}of disk ${quoted(manifest.name)} spans ${bytes} bytes but the image holds ${volume.size}: the image is truncated.`,
      'Restore the whole image instead and inspect it offline.',
    );
  }
}

export async function openImage(repo: Repository, manifest: DiskManifest): Promise<OpenImage> {
  const disk = await ChunkDisk.open(repo, manifest);
  const volumes = await findVolumes(disk);
  if (!volumes.some(v => v.ext)) throw noFilesystem(manifest);
  const ext2fs = await import('ext2fs');
  const mounted = new Map<string, Promise<Ext2Fs>>();
  return {
    disk,
    volumes,
    mount(volume) {
      let fs = mounted.get(volume.name);
      if (!fs) {
        fs = checkSize(disk, volume, manifest)
          .then(() => ext2fs.mount(disk, volume.offset))
          .catch((e: unknown) => {
            if (e instanceof BackhaulError) throw e;
            throw corrupt(
              `The filesystem ${volume.name ? `on partition ${volume.name} ` : ''}of disk ${quoted(manifest.name)} cannot be read: ${String(
                (e as Error)?.message ?? e,
              )
                .split('\n')[0]!
                .slice(0, 200)}.`,
            );
          });
        mounted.set(volume.name, fs);
      }
      return fs;
    },
    async close() {
      for (const fs of mounted.values()) {
        const mountedFs = await fs.catch(() => undefined);
        if (mountedFs) await ext2fs.umount(mountedFs).catch(() => undefined);
      }
      mounted.clear();
    },
  };
}
