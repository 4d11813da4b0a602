/**
 * Builds small repositories with hand-written manifests for the restore
 * tests, including ones no agent would write (`../`, absolute paths,
 * symlinks with files beneath them). Not a test file.
 */
import {mkdtemp, rm, chmod} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {accessContext, type AccessContext} from '../../../source/engine/access/authorize.js';
import type {Actor} from '../../../source/engine/access/identity.js';
import {newBackupId, newPointId} from '../../../source/engine/ids.js';
import type {BackupRecord, PointManifest, Principal, TreeEntry} from '../../../source/engine/repository/model.js';
import {Repository} from '../../../source/engine/repository/repository.js';
import {RepositoryWriter} from '../../../source/engine/repository/writer.js';
import {FilesystemStorage} from '../../../source/engine/storage/filesystem.js';
import {ROOT_ONLY_BASE} from '../../helpers/root-only.js';

export interface Spec {
  path: string;
  type?: 'file' | 'dir' | 'symlink';
  content?: string | Buffer;
  target?: string;
  mode?: number;
  mtimeMs?: number;
}

export const MTIME = Date.parse('2026-03-01T10:20:30.456Z');

/** A repository with one backup (access list `access`, null = a copy) and one point holding `specs`. */
export async function craftedRepo(
  dir: string,
  specs: Spec[],
  access: Principal[] | null = null,
): Promise<{repo: Repository; backup: BackupRecord; point: PointManifest}> {
  const repo = await Repository.create(new FilesystemStorage(dir));
  const writer = await RepositoryWriter.begin(repo, 'test');
  try {
    const entries: TreeEntry[] = [];
    let bytes = 0;
    for (const s of specs) {
      const type = s.type ?? (s.target !== undefined ? 'symlink' : s.content !== undefined ? 'file' : 'dir');
      const data = typeof s.content === 'string' ? Buffer.from(s.content) : (s.content ?? Buffer.alloc(0));
      const chunks =
        type === 'file' && data.length > 0 ? [await writer.addChunk(data)] : type === 'file' ? [] : undefined;
      if (type === 'file') bytes += data.length;
      entries.push({
        path: s.path,
        type,
        mode: s.mode ?? (type === 'dir' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
        uid: 0,
        gid: 0,
        mtimeMs: s.mtimeMs ?? MTIME,
        size: type === 'file' ? data.length : 0,
        chunks,
        target: s.target,
      });
    }
    const tree = await writer.addTree(entries);
    const backup: BackupRecord = {
      format: 1,
      id: newBackupId(),
      job: 'daily',
      machine: 'alice-pc',
      kind: 'workstation',
      owner: 'alice',
      access,
      createdAt: new Date(MTIME).toISOString(),
      nodes: [{name: 'alice-pc', disks: [{name: 'home', kind: 'files', shared: false}]}],
    };
    const point: PointManifest = {
      format: 1,
      id: newPointId(),
      backupId: backup.id,
      time: new Date(MTIME).toISOString(),
      type: 'full',
      nodes: [
        {
          name: 'alice-pc',
          disks: [{name: 'home', kind: 'files', shared: false, logicalBytes: bytes, fileCount: specs.length, tree}],
        },
      ],
      logicalBytes: bytes,
      storedBytes: 0,
    };
    await writer.commitPoint(backup, point);
    // Where only root can write (see root-only.ts), the repository is opened as the sudo rule opens it.
    const opened = dir.startsWith(`${ROOT_ONLY_BASE}/`)
      ? await Repository.open(FilesystemStorage.openRootOnly(dir))
      : repo;
    return {repo: opened, backup, point};
  } finally {
    await writer.close();
  }
}

/** A temp dir that other users can traverse (0755), so a recipient can reach destinations inside it. */
export async function openTemp(label: string): Promise<{dir: string; cleanup: () => Promise<void>}> {
  const dir = await mkdtemp(join(tmpdir(), `backhaul-${label}-`));
  await chmod(dir, 0o755);
  return {dir, cleanup: () => rm(dir, {recursive: true, force: true})};
}

export const asRoot: Actor = {uid: 0, gid: 0, user: 'root', groups: ['root'], viaSudo: false};
export const plainUser: Actor = {uid: 65534, gid: 65534, user: 'nobody', groups: ['nogroup'], viaSudo: true};

export function contextFor(repo: Repository, actor: Actor): Promise<AccessContext> {
  return accessContext(repo.storage, actor);
}
