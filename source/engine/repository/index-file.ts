/**
 * Index files as stored (FORMAT.md, "Index files"): their format (1 in
 * version 1 repositories, 2 with `supersedes` in version 2 ones, 3 (binary,
 * index-table.ts) in version 2 ones whose config says `indexFiles: 3`), how they
 * are named (`index/<SHA-256 of the stored bytes>`), sealed (under
 * `index/`: their key is the hash of the sealed bytes), checked on reading
 * and written. The in-memory index built from them is index-store.ts.
 *
 * Guarantees: a file parseIndexFile returns matched its name's hash, opened
 * with the codec, has format 1 or 2, valid pack ids and blob entries, and
 * (format 2) a `supersedes` that is absent or a list of index file ids; a
 * format 1 file never carries one; a format 3 one passed IndexTable's checks.
 * Anything else is `corrupt`.
 */
import {createHash} from 'node:crypto';
import {BackhaulError, corrupt} from '../errors.js';
import {parsePackId, type PackId} from '../ids.js';
import type {Storage} from '../storage/storage.js';
import type {BlobEntry} from './pack.js';
import {INDEX_KEY, PLAIN_CODEC, type ObjectCodec} from './codec.js';
import {checkBlobEntries} from './records.js';
import {isHex} from './record-checks.js';
import {encodeIndexTable, IndexTable, isTableBytes} from './index-table.js';

export interface IndexedPack {
  id: PackId;
  blobs: BlobEntry[];
}

export interface IndexFile {
  /** 1: version 1 repositories (no `supersedes`); 2: version 2 ones; 3: binary (index-table.ts). */
  format: 1 | 2 | 3;
  /** Ids (the hex after `index/`) of the index files this one replaces; format 2 and 3 only, absent meaning none. */
  supersedes?: string[];
  /** Format 3: decoded from `table` when first asked for (a ChunkIndex reads the table itself). */
  packs: IndexedPack[];
  /** Format 3 only: the file's rows, looked up in place. */
  table?: IndexTable;
}

/** Where an index file is written: a repository (or what of one a writer needs). */
export interface IndexTarget {
  readonly storage: Storage;
  readonly codec: ObjectCodec;
  readonly config: IndexConfig;
}

/** What of a repository's config decides the index files it gets. */
export interface IndexConfig {
  readonly version: number;
  readonly indexFiles?: 3;
}

/** The index file format a repository with this config writes: 1 in version 1, 3 where its config says so, else 2. */
export const indexFormatFor = (config: IndexConfig): 1 | 2 | 3 =>
  config.version < 2 ? 1 : config.indexFiles === 3 ? 3 : 2;

/** The key of an index file from its id, and back. */
export const indexKey = (id: string) => `${INDEX_KEY}${id}`;
export const indexIdOf = (key: string) => key.slice(INDEX_KEY.length);

/** The ids every one of `files` names in `supersedes`. */
export function supersededBy(files: Iterable<IndexFile>): Set<string> {
  const ids = new Set<string>();
  for (const f of files) for (const id of f.supersedes ?? []) ids.add(id);
  return ids;
}

/** An index file's stored bytes (its name is their SHA-256), opened by the codec and checked. */
export function parseIndexFile(data: Buffer, key: string, codec: ObjectCodec = PLAIN_CODEC): IndexFile {
  if (createHash('sha256').update(data).digest('hex') !== indexIdOf(key)) {
    throw corrupt(`Index file ${key} does not match its hash.`);
  }
  try {
    const plain = codec.openObject(INDEX_KEY, data);
    if (isTableBytes(plain)) return tableFile(new IndexTable(plain));
    const file = JSON.parse(plain.toString('utf8')) as IndexFile;
    if (file?.format !== 1 && file?.format !== 2)
      throw new Error(`format ${JSON.stringify(file?.format)} is not 1 or 2`);
    if (!Array.isArray(file.packs)) throw new Error('it lists no packs');
    for (const p of file.packs) {
      parsePackId(p.id);
      checkBlobEntries(p.blobs, `pack ${p.id.slice(0, 12)}`);
    }
    // Format 1 has no `supersedes`: one found there means nothing (a reader must not skip files for it).
    if (file.format === 1) delete file.supersedes;
    else checkSupersedes(file.supersedes);
    return file;
  } catch (e) {
    throw corrupt(`Index file ${key} cannot be read: ${(e as Error).message}`);
  }
}

/** A format 3 file in the shape of the others; its packs decoded only if someone asks. */
function tableFile(table: IndexTable): IndexFile {
  let packs: IndexedPack[] | undefined;
  return {
    format: 3,
    supersedes: table.supersedes,
    table,
    get packs() {
      return (packs ??= table.packs() as IndexedPack[]);
    },
  };
}

function checkSupersedes(ids: unknown): void {
  if (ids === undefined) return;
  if (!Array.isArray(ids)) throw new Error('its supersedes is not a list');
  for (const id of ids as unknown[])
    if (typeof id !== 'string' || id.length !== 64 || !isHex(id))
      throw new Error(`its supersedes names ${JSON.stringify(id)?.slice(0, 80)}, not an index file id`);
}

/** The stored bytes of an index file and its key (the hash of those bytes). */
export function encodeIndexFile(file: IndexFile, codec: ObjectCodec = PLAIN_CODEC): {key: string; data: Buffer} {
  // Sealed under the directory, not the key: the key is the hash of the sealed bytes.
  const plain =
    file.format === 3 ? encodeIndexTable(file.supersedes ?? [], file.packs) : Buffer.from(JSON.stringify(file));
  const data = codec.sealObject(INDEX_KEY, plain);
  return {key: indexKey(createHash('sha256').update(data).digest('hex')), data};
}

/**
 * Writes an index file for the given packs, in the format of the target's
 * version; returns its key. Packs must already be durable. `supersedes`
 * (format 2 only): ids of index files it replaces, which the caller deletes
 * only after this returns (the file is then durable).
 */
export async function writeIndexFile(
  target: IndexTarget,
  packs: IndexedPack[],
  supersedes: readonly string[] = [],
): Promise<string> {
  const format = indexFormatFor(target.config);
  if (format === 1 && supersedes.length > 0)
    throw new BackhaulError(
      'format',
      `${target.storage.location} is format version 1, whose index files cannot supersede others.`,
      'This is a bug in Backhaul.',
    );
  const file: IndexFile = format === 1 ? {format, packs} : {format, supersedes: [...supersedes], packs};
  // (Format 3 is encoded from the same object by encodeIndexFile.)
  const {key, data} = encodeIndexFile(file, target.codec);
  await target.storage.putIfAbsent(key, data);
  return key;
}
