/**
 * The records a repository holds, as they are serialised (see FORMAT.md).
 * Backup records are mutable (one per backup, rewritten atomically); point
 * manifests are written once and never change.
 */
import type {BackupId, ChunkId, PointId, RepositoryId} from '../ids.js';

export type BackupKind = 'workstation' | 'server' | 'cluster';
export type PointType = 'full' | 'incremental';
export type DiskKind = 'files' | 'image';

/** Where a copied backup or point came from. */
export interface Origin {
  repositoryId: RepositoryId;
  location: string;
  copiedAt: string;
}

/** A principal in an access list: `user:NAME` or `group:NAME`. */
export type Principal = `user:${string}` | `group:${string}`;

export interface DiskInfo {
  name: string;
  kind: DiskKind;
  shared: boolean;
  /** For shared disks: the node the agent reads it on. */
  ownerNode?: string;
}

export interface NodeInfo {
  name: string;
  disks: DiskInfo[];
}

export interface BackupRecord {
  format: 1;
  id: BackupId;
  job: string;
  machine: string;
  kind: BackupKind;
  /** The user who made the backup (kept on copies, as metadata only). */
  owner: string;
  /** Who may see and restore it besides admins; null on copies (admin-only). */
  access: Principal[] | null;
  createdAt: string;
  /** Every node any of its points covers (one entry for a single machine). */
  nodes: NodeInfo[];
  origin?: Origin;
}

export interface DiskManifest extends DiskInfo {
  /** Bytes the disk holds: file contents, or the image size. */
  logicalBytes: number;
  fileCount?: number;
  /** files: chunks of the NDJSON tree (TreeEntry per line, sorted by path). */
  tree?: ChunkId[];
  /** image: the image's content chunks, in order. */
  image?: {size: number; chunks: ChunkId[]};
}

export interface NodeManifest {
  name: string;
  disks: DiskManifest[];
}

export interface PointManifest {
  format: 1;
  id: PointId;
  backupId: BackupId;
  time: string;
  type: PointType;
  parent?: PointId;
  nodes: NodeManifest[];
  /** Sum of every disk's logicalBytes on every node: shared disks count once per node. */
  logicalBytes: number;
  /** Bytes (as packed) this point added to this repository. */
  storedBytes: number;
  origin?: Origin;
}

export type EntryType = 'file' | 'dir' | 'symlink';

/** One line of a file-level tree. `path` is relative and '/'-separated. */
export interface TreeEntry {
  path: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  size: number;
  chunks?: ChunkId[];
  target?: string;
  /** Identity of the source file, used only to skip re-reading unchanged files. */
  ino?: number;
  ctimeMs?: number;
}
