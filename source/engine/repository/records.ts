/**
 * The edge where a repository's records become typed values: backup records,
 * point manifests, file-tree lines, the config's fields, index and pack
 * blob lists. When root reads a repository for someone
 * else, every byte of it is hostile, so nothing parsed from storage reaches
 * the rest of the engine without passing one of these checks.
 *
 * Guarantees: a value returned here has the shape model.ts declares; ids
 * match their formats and the keys they were read from (a backup record
 * stored under `backups/A/` says it is A); every node, disk and tree-path
 * component is a single safe path segment (names.ts); numbers are finite
 * and in range. Anything else is `corrupt` (exit 12) naming the object and
 * the field, never a TypeError later. Unknown extra fields are kept: a newer
 * writer may add some, and those that change meaning raise the format version.
 *
 * The validators are plain functions over the parsed objects, allocating
 * nothing per field: a 100,000-point listing and trees of a million entries
 * go through them.
 */
import {BackhaulError, corrupt} from '../errors.js';
import {isShortId} from '../ids.js';
import type {BackupRecord, DiskInfo, NodeInfo, PointManifest, TreeEntry} from './model.js';
import {MAX_DISK_NAME_BYTES, pathProblem, segmentProblem, targetProblem} from './names.js';
import {
  checkBlobEntry,
  describeValue,
  Defect,
  isChunkId,
  isFiniteNumber,
  isHex,
  isIsoTime,
  isObject,
  isUint,
  text,
} from './record-checks.js';
import type {BlobEntry} from './pack.js';

/** Largest |ms| a JS Date holds (±100,000,000 days around 1970). */
const MAX_TIME_MS = 8.64e15;
/** uid_t and gid_t are 32-bit: chown refuses anything larger. */
const MAX_ID = 0xffffffff;
const BACKUP_STRINGS = ['job', 'machine', 'owner', 'createdAt'] as const;
const ORIGIN_STRINGS = ['repositoryId', 'location', 'copiedAt'] as const;

const DAMAGED_HINT =
  'Restore it from a good copy of the repository, or remove it (it was damaged or tampered with); nothing was changed.';

function recordError(e: unknown, key: string, location: string): unknown {
  if (!(e instanceof Defect)) return e;
  return new BackhaulError('corrupt', `${key} in ${location} is damaged: ${e.message}.`, DAMAGED_HINT);
}

/** A backup record read from `backups/<id>/backup.json`; its id must be that id. */
export function parseBackupRecord(value: unknown, key: string, location: string): BackupRecord {
  try {
    return checkBackupRecord(value, key.slice('backups/'.length, key.lastIndexOf('/')));
  } catch (e) {
    throw recordError(e, key, location);
  }
}

/** A point manifest read from `backups/<backup>/points/<point>.json`; its id and backupId must be those. */
export function parsePointManifest(value: unknown, key: string, location: string): PointManifest {
  try {
    // backups/<backup>/points/<point>.json
    const slash = key.indexOf('/', 8);
    return checkPointManifest(
      value,
      key.slice(8, slash),
      key.slice(key.lastIndexOf('/') + 1, key.endsWith('.json') ? -5 : undefined),
    );
  } catch (e) {
    throw recordError(e, key, location);
  }
}

/** One line (data[start, end)) of a disk's file tree; `line` counts from 1. */
export function parseTreeLine(data: Buffer, start: number, end: number, disk: string, line: number): TreeEntry {
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8', start, end));
  } catch {
    throw treeError(disk, line, 'it is not valid JSON');
  }
  try {
    return checkTreeEntry(value);
  } catch (e) {
    throw e instanceof Defect ? treeError(disk, line, e.message) : e;
  }
}

function treeError(disk: string, line: number, message: string): BackhaulError {
  return new BackhaulError(
    'corrupt',
    `The file tree of disk ${text(disk)} is damaged at line ${line}: ${message}.`,
    'The backup was damaged or tampered with; nothing was written for it. Run `backhaul verify` to see every damaged restore point.',
  );
}

/**
 * Refuses to write a record a reader would refuse (a node named `a/b`, say):
 * the writer's caller gets a usage error and the repository stays readable.
 */
export function checkWritable(record: BackupRecord, manifest?: PointManifest): void {
  try {
    checkBackupRecord(record, record.id);
    if (manifest) checkPointManifest(manifest, manifest.backupId, manifest.id);
  } catch (e) {
    if (!(e instanceof Defect)) throw e;
    throw new BackhaulError(
      'usage',
      `Refusing to write ${manifest ? 'a restore point' : 'a backup record'} the repository format does not allow: ${e.message}.`,
      'Node and disk names must be single path segments (no "/", not "." or "..", at most 255 bytes).',
    );
  }
}

/** The config's fields beyond format and version (config.ts checks those first, with their own errors). */
export function checkConfigFields(config: Record<string, unknown>, location: string): void {
  try {
    if (typeof config.id !== 'string' || config.id.length !== 32 || !isHex(config.id))
      throw new Defect('id', `${describeValue(config.id)} is not a repository id (32 hex digits)`);
    if (typeof config.createdAt !== 'string')
      throw new Defect('createdAt', `${describeValue(config.createdAt)} is not a string`);
  } catch (e) {
    throw recordError(e, 'config', location);
  }
}

/** A pack's or index file's blob list; throws `corrupt` naming `where` (callers add their own handling). */
export function checkBlobEntries(blobs: unknown, where: string): BlobEntry[] {
  if (!Array.isArray(blobs)) throw corrupt(`${where} has no blob list.`);
  for (let i = 0; i < blobs.length; i++) {
    if (!checkBlobEntry(blobs[i])) throw corrupt(`${where} has a damaged blob entry (#${i + 1}).`);
  }
  return blobs as BlobEntry[];
}

function checkBackupRecord(v: unknown, keyId: string): BackupRecord {
  if (!isObject(v)) throw new Defect('', `it is ${describeValue(v)}, not a JSON object`);
  if (v.format !== 1) throw new Defect('format', `${describeValue(v.format)} is not record format 1`);
  checkId(v.id, keyId, 'backup');
  for (const field of BACKUP_STRINGS) {
    if (typeof v[field] !== 'string') throw new Defect(field, `${describeValue(v[field])} is not a string`);
  }
  if (v.kind !== 'workstation' && v.kind !== 'server' && v.kind !== 'cluster')
    throw new Defect('kind', `${describeValue(v.kind)} is not workstation, server or cluster`);
  checkAccess(v.access);
  checkNodes(v.nodes, false);
  checkOrigin(v.origin);
  return v as unknown as BackupRecord;
}

function checkPointManifest(v: unknown, keyBackup: string, keyPoint: string): PointManifest {
  if (!isObject(v)) throw new Defect('', `it is ${describeValue(v)}, not a JSON object`);
  if (v.format !== 1) throw new Defect('format', `${describeValue(v.format)} is not manifest format 1`);
  checkId(v.id, keyPoint, 'restore point');
  if (v.backupId !== keyBackup)
    throw new Defect(
      'backupId',
      `${describeValue(v.backupId)} is not the backup it is stored under (${text(keyBackup)})`,
    );
  if (typeof v.time !== 'string' || !isIsoTime(v.time))
    throw new Defect('time', `${describeValue(v.time)} is not an ISO 8601 date`);
  if (v.type !== 'full' && v.type !== 'incremental')
    throw new Defect('type', `${describeValue(v.type)} is not full or incremental`);
  if (v.parent !== undefined && (typeof v.parent !== 'string' || !isShortId(v.parent)))
    throw new Defect('parent', `${describeValue(v.parent)} is not a restore point id`);
  if (!isFiniteNumber(v.logicalBytes) || v.logicalBytes < 0)
    throw new Defect('logicalBytes', `${describeValue(v.logicalBytes)} is not a byte count`);
  if (!isFiniteNumber(v.storedBytes) || v.storedBytes < 0)
    throw new Defect('storedBytes', `${describeValue(v.storedBytes)} is not a byte count`);
  checkNodes(v.nodes, true);
  checkOrigin(v.origin);
  return v as unknown as PointManifest;
}

function checkId(id: unknown, keyId: string, what: string): void {
  if (typeof id !== 'string' || !isShortId(id)) throw new Defect('id', `${describeValue(id)} is not a ${what} id`);
  if (id !== keyId) throw new Defect('id', `${text(id)} is not the id it is stored under (${text(keyId)})`);
}

function checkAccess(access: unknown): void {
  if (access === null) return;
  if (!Array.isArray(access))
    throw new Defect('access', `${describeValue(access)} is neither null nor a list of principals`);
  for (let i = 0; i < access.length; i++) {
    const p: unknown = access[i];
    const ok =
      typeof p === 'string' && ((p.startsWith('user:') && p.length > 5) || (p.startsWith('group:') && p.length > 6));
    if (!ok) throw new Defect(`access[${i}]`, `${describeValue(p)} is not user:NAME or group:NAME`);
  }
}

function checkOrigin(origin: unknown): void {
  if (origin === undefined) return;
  if (!isObject(origin)) throw new Defect('origin', `${describeValue(origin)} is not a JSON object`);
  for (const field of ORIGIN_STRINGS) {
    if (typeof origin[field] !== 'string')
      throw new Defect(`origin.${field}`, `${describeValue(origin[field])} is not a string`);
  }
}

/** A record's or manifest's nodes: unique safe names, each with a list of disks with unique safe names. */
function checkNodes(nodes: unknown, manifest: boolean): void {
  if (!Array.isArray(nodes)) throw new Defect('nodes', `${describeValue(nodes)} is not a list`);
  for (let i = 0; i < nodes.length; i++) {
    const node: unknown = nodes[i];
    if (!isObject(node)) throw new Defect(`nodes[${i}]`, `${describeValue(node)} is not a JSON object`);
    const problem = segmentProblem(node.name);
    if (problem) throw new Defect(`nodes[${i}].name`, `${describeValue(node.name)} ${problem}`);
    for (let j = 0; j < i; j++)
      if ((nodes[j] as NodeInfo).name === node.name)
        throw new Defect(`nodes[${i}].name`, `${text(node.name)} names a node twice`);
    const disks = node.disks;
    if (!Array.isArray(disks)) throw new Defect(`nodes[${i}].disks`, `${describeValue(disks)} is not a list`);
    for (let j = 0; j < disks.length; j++) {
      checkDisk(disks[j], i, j, manifest);
      for (let k = 0; k < j; k++)
        if ((disks[k] as DiskInfo).name === (disks[j] as DiskInfo).name)
          throw new Defect(`nodes[${i}].disks[${j}].name`, `${text((disks[j] as DiskInfo).name)} names a disk twice`);
    }
  }
}

/** A disk's field, for an error (built only when one is thrown). */
const at = (i: number, j: number, field: string) => `nodes[${i}].disks[${j}]${field}`;

function checkDisk(d: unknown, i: number, j: number, manifest: boolean): void {
  if (!isObject(d)) throw new Defect(at(i, j, ''), `${describeValue(d)} is not a JSON object`);
  const problem = segmentProblem(d.name, MAX_DISK_NAME_BYTES);
  if (problem) throw new Defect(at(i, j, '.name'), `${describeValue(d.name)} ${problem}`);
  if (d.kind !== 'files' && d.kind !== 'image')
    throw new Defect(at(i, j, '.kind'), `${describeValue(d.kind)} is not files or image`);
  if (typeof d.shared !== 'boolean')
    throw new Defect(at(i, j, '.shared'), `${describeValue(d.shared)} is not true or false`);
  if (d.ownerNode !== undefined && segmentProblem(d.ownerNode))
    throw new Defect(at(i, j, '.ownerNode'), `${describeValue(d.ownerNode)} is not a node name`);
  if (manifest) checkDiskData(d, i, j);
}

/** A manifest's disk: its byte count and where its data is (a tree for files, an image for images). */
function checkDiskData(d: Record<string, unknown>, i: number, j: number): void {
  if (!isFiniteNumber(d.logicalBytes) || d.logicalBytes < 0)
    throw new Defect(at(i, j, '.logicalBytes'), `${describeValue(d.logicalBytes)} is not a byte count`);
  if (d.fileCount !== undefined && !isUint(d.fileCount))
    throw new Defect(at(i, j, '.fileCount'), `${describeValue(d.fileCount)} is not a count`);
  const tree = d.tree;
  if (tree === undefined ? d.kind === 'files' : !chunkList(tree))
    throw new Defect(at(i, j, '.tree'), `${describeValue(tree)} is not a list of chunk ids`);
  const image = d.image;
  if (image === undefined && d.kind !== 'image') return;
  if (!isObject(image)) throw new Defect(at(i, j, '.image'), `${describeValue(image)} is not a JSON object`);
  if (!isUint(image.size))
    throw new Defect(at(i, j, '.image.size'), `${describeValue(image.size)} is not a byte count`);
  if (!chunkList(image.chunks))
    throw new Defect(at(i, j, '.image.chunks'), `${describeValue(image.chunks)} is not a list of chunk ids`);
}

function chunkList(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (!isChunkId(v[i])) return false;
  return true;
}

function checkTreeEntry(e: unknown): TreeEntry {
  if (!isObject(e)) throw new Defect('', `it is ${describeValue(e)}, not a JSON object`);
  const problem = pathProblem(e.path);
  if (problem) throw new Defect('path', `${describeValue(e.path)} is an unsafe path: it ${problem}`);
  const type = e.type;
  if (type !== 'file' && type !== 'dir' && type !== 'symlink')
    throw new Defect('type', `${describeValue(type)} is not file, dir or symlink`);
  if (!isUint(e.mode) || e.mode > 0o7777)
    throw new Defect('mode', `${describeValue(e.mode)} is not a permission mode (0 to 0o7777)`);
  if (!isUint(e.uid) || e.uid > MAX_ID) throw new Defect('uid', `${describeValue(e.uid)} is not a user id`);
  if (!isUint(e.gid) || e.gid > MAX_ID) throw new Defect('gid', `${describeValue(e.gid)} is not a group id`);
  const mtime = e.mtimeMs;
  if (!isFiniteNumber(mtime) || mtime > MAX_TIME_MS || mtime < -MAX_TIME_MS)
    throw new Defect('mtimeMs', `${describeValue(mtime)} is not a time a date can hold`);
  if (!isUint(e.size)) throw new Defect('size', `${describeValue(e.size)} is not a byte count`);
  if (e.chunks !== undefined && !chunkList(e.chunks))
    throw new Defect('chunks', `${describeValue(e.chunks)} is not a list of chunk ids`);
  if (type === 'symlink') {
    const target = targetProblem(e.target);
    if (target) throw new Defect('target', `${describeValue(e.target)} ${target}`);
  }
  if (e.ino !== undefined && (!isFiniteNumber(e.ino) || e.ino < 0))
    throw new Defect('ino', `${describeValue(e.ino)} is not an inode number`);
  if (e.ctimeMs !== undefined && !isFiniteNumber(e.ctimeMs))
    throw new Defect('ctimeMs', `${describeValue(e.ctimeMs)} is not a time`);
  return e as unknown as TreeEntry;
}
