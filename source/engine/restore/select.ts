/** Picks what to restore: a point (id or `latest`), nodes and disks, checked against the backup. */
import {notFound, usageError, quoted} from '../errors.js';
import type {BackupRecord, DiskManifest, NodeManifest, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';

export async function pickPoint(repo: Repository, backup: BackupRecord, point: string): Promise<PointManifest> {
  if (point === 'latest') {
    const points = await repo.listPoints(backup.id);
    const last = points.at(-1);
    if (!last) throw notFound(`Backup ${backup.id} has no restore points.`);
    return last;
  }
  return repo.getPoint(backup.id, point);
}

export interface Selected {
  node: NodeManifest;
  disk: DiskManifest;
  /** Directory (relative to the destination) this disk restores into. */
  subdir: string[];
}

export function pickDisks(point: PointManifest, nodeName?: string, diskName?: string): Selected[] {
  const nodes = nodeName ? point.nodes.filter(n => n.name === nodeName) : point.nodes;
  if (nodeName && nodes.length === 0) {
    throw usageError(
      `Restore point ${point.id} has no node ${quoted(nodeName)}.`,
      `Its nodes: ${point.nodes.map(n => n.name).join(', ')}.`,
    );
  }
  const selected: Selected[] = [];
  for (const node of nodes) {
    const disks = diskName ? node.disks.filter(d => d.name === diskName) : node.disks;
    if (diskName && disks.length === 0) {
      throw usageError(
        `Node ${node.name} has no disk ${quoted(diskName)}.`,
        `Its disks: ${node.disks.map(d => d.name).join(', ')}.`,
      );
    }
    for (const disk of disks) {
      const subdir: string[] = [];
      if (nodes.length > 1) subdir.push(node.name);
      if (disks.length > 1 && disk.kind === 'files') subdir.push(disk.name);
      selected.push({node, disk, subdir});
    }
  }
  return selected;
}
