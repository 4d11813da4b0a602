/**
 * The file tree of one disk of a restore point, for browsing (the TUI's
 * delegated-restore file browser): nested nodes, directories first then by
 * name, each directory's size the sum of everything below it. A volume-level
 * disk is its image, and beside it the files of the filesystem inside it
 * (images/inside.ts: ext2/3/4, partitions as p1, p2, ...) when Backhaul can
 * read one — the paths a restore with --disk takes. Paths are checked like
 * any manifest input; names are kept as they are (screens escape them when
 * they draw them).
 */
import type {DiskManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {BackhaulError} from '../errors.js';
import {walkImage} from '../images/inside.js';
import {openImage} from '../images/open-image.js';
import {checkEntryPath} from './safe-path.js';

export interface TreeNode {
  /** '/'-separated path inside the disk ('' for the root). */
  path: string;
  name: string;
  type: 'file' | 'dir' | 'symlink';
  /** Bytes: a file's size, a directory's total. */
  size: number;
  /** Files below a directory (1 for a file). */
  files: number;
  mtimeMs: number;
  children?: TreeNode[];
}

function sortTree(node: TreeNode): void {
  if (!node.children) return;
  node.children.sort((a, b) =>
    (a.type === 'dir') !== (b.type === 'dir')
      ? a.type === 'dir'
        ? -1
        : 1
      : a.name < b.name
        ? -1
        : a.name > b.name
          ? 1
          : 0,
  );
  for (const c of node.children) sortTree(c);
}

function sumTree(node: TreeNode): void {
  if (!node.children) return;
  for (const c of node.children) {
    sumTree(c);
    node.size += c.size;
    node.files += c.files;
  }
}

export async function listTree(repo: Repository, disk: DiskManifest): Promise<TreeNode> {
  const root: TreeNode = {path: '', name: disk.name, type: 'dir', size: 0, files: 0, mtimeMs: 0, children: []};
  if (disk.kind === 'image') {
    root.children!.push({
      path: `${disk.name}.img`,
      name: `${disk.name}.img`,
      type: 'file',
      size: disk.image?.size ?? disk.logicalBytes,
      files: 1,
      mtimeMs: 0,
    });
    await addInside(repo, disk, root);
    sumTree(root);
    sortTree(root);
    return root;
  }
  const dirs = new Map<string, TreeNode>([['', root]]);
  const dirFor = (parts: string[]): TreeNode => {
    const key = parts.join('/');
    let node = dirs.get(key);
    if (!node) {
      node = {path: key, name: parts.at(-1)!, type: 'dir', size: 0, files: 0, mtimeMs: 0, children: []};
      dirs.set(key, node);
      dirFor(parts.slice(0, -1)).children!.push(node);
    }
    return node;
  };
  for await (const e of repo.readTree(disk)) {
    const parts = checkEntryPath(e.path);
    if (e.type === 'dir') {
      const node = dirFor(parts);
      node.mtimeMs = e.mtimeMs;
      continue;
    }
    const parent = dirFor(parts.slice(0, -1));
    parent.children!.push({
      path: e.path,
      name: parts.at(-1)!,
      type: e.type === 'symlink' ? 'symlink' : 'file',
      size: e.type === 'file' ? e.size : 0,
      files: e.type === 'file' ? 1 : 0,
      mtimeMs: e.mtimeMs,
    });
  }
  sumTree(root);
  sortTree(root);
  return root;
}

/** The files inside a volume image, as folders beside its .img; nothing when it holds no filesystem Backhaul reads. */
async function addInside(repo: Repository, disk: DiskManifest, root: TreeNode): Promise<void> {
  let image;
  try {
    image = await openImage(repo, disk);
  } catch (e) {
    if (e instanceof BackhaulError && e.code === 'not-found') return;
    throw e;
  }
  try {
    const {entries} = await walkImage(image, {wants: () => true}, []);
    const dirs = new Map<string, TreeNode>([['', root]]);
    for (const e of entries) {
      const path = e.parts.join('/');
      const parent = dirs.get(e.parts.slice(0, -1).join('/'));
      if (!parent) continue; // walkImage lists parents first
      const node: TreeNode = {
        path,
        name: e.parts.at(-1)!,
        type: e.type,
        size: e.type === 'file' ? e.size : 0,
        files: e.type === 'file' ? 1 : 0,
        mtimeMs: e.mtimeMs,
      };
      if (e.type === 'dir') {
        node.children = [];
        dirs.set(path, node);
      }
      parent.children!.push(node);
    }
  } finally {
    await image.close();
  }
}
