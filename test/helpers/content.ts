/**
 * What a restore point holds, read through the engine: every file entry's
 * metadata and the SHA-256 of its content, every image's SHA-256 — keyed by
 * node, disk and path, free of chunk ids. Two points with equal content()
 * restore bit-identical, whatever ids or keys their repositories use.
 */
import {createHash} from 'node:crypto';
import type {ChunkId} from '../../source/engine/ids.js';
import type {PointManifest} from '../../source/engine/repository/model.js';
import type {Repository} from '../../source/engine/repository/repository.js';

async function hashOf(repo: Repository, chunks: readonly ChunkId[]): Promise<string> {
  const hash = createHash('sha256');
  for (const id of chunks) hash.update(await repo.readChunk(id));
  return hash.digest('hex');
}

export async function contentOf(repo: Repository, point: PointManifest): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const node of point.nodes) {
    for (const disk of node.disks) {
      const where = `${node.name}/${disk.name}`;
      if (disk.image) out.set(`${where} image`, `${disk.image.size} ${await hashOf(repo, disk.image.chunks)}`);
      for await (const e of repo.readTree(disk)) {
        const content = e.chunks ? await hashOf(repo, e.chunks) : (e.target ?? '');
        out.set(
          `${where}:${e.path}`,
          `${e.type} ${e.mode.toString(8)} ${e.uid}:${e.gid} ${e.mtimeMs} ${e.size} ${content}`,
        );
      }
    }
  }
  return out;
}
