/**
 * The catalogue of a backup's restore points (FORMAT.md, "Catalogue"):
 * summaries of its points in a handful of segments under
 * `backups/<id>/catalog/`, so listing a backup of 100,000 points reads about
 * 17 objects instead of 100,000 manifests. Version 2 repositories only.
 *
 * Guarantees: a segment is written only after the manifests of the points it
 * names (the writer's commit order), so the catalogue never names a point
 * without a manifest; segments are appended, never rewritten, and a merge
 * deletes only segments it read and superseded in a segment already
 * durable, so concurrent writers (shared locks) never lose a point. A point
 * whose manifest was written but whose segment was not (a writer killed
 * between the two) is missing from listings until `rebuildCatalogue`.
 * Every segment read passes the checks here: a damaged one is `corrupt`,
 * naming it.
 *
 * Reads are remembered per Repository object: a segment is never rewritten
 * (its name has a random part), so a later listing reads only the segments
 * it has not seen with the same size and mtime, and one that finds the same
 * segments as the last returns the same points without parsing anything —
 * the TUI's Backups screen, its Restore points screen and their polling share
 * one read of a 100,000-point catalogue. The points returned are shared: do
 * not change them.
 */
import {randomBytes} from 'node:crypto';
import {BackhaulError} from '../errors.js';
import {isShortId, type BackupId} from '../ids.js';
import type {Origin, PointManifest, PointType} from './model.js';
import {segmentProblem} from './names.js';
import {describeValue, Defect, isFiniteNumber, isIsoTime, isObject} from './record-checks.js';
import type {Repository} from './repository.js';
import type {ObjectInfo} from '../storage/storage.js';
import {yieldToEventLoop} from '../util/concurrency.js';

/** Segments read (and parsed) together before the event loop gets a turn. */
const READ_BATCH = 2;

/** How often a reader lists the catalogue again when a segment it listed was merged away meanwhile. */
const SEGMENT_RETRIES = 8;
/** Past this many segments, a writer merges them into one. */
export const MERGE_AFTER = 16;

export interface CataloguePoint {
  id: string;
  time: string;
  type: PointType;
  parent?: string;
  logicalBytes: number;
  storedBytes: number;
  /** Node names. */
  nodes: string[];
  origin?: Origin;
}

export interface CatalogueSegment {
  format: 2;
  points: CataloguePoint[];
  supersedes: string[];
}

export const cataloguePrefix = (backup: BackupId | string) => `backups/${backup}/catalog/`;
const NAME = /^(\d{12})-[0-9a-f]{8}\.json$/;

export function cataloguePoint(m: PointManifest): CataloguePoint {
  return {
    id: m.id,
    time: m.time,
    type: m.type,
    ...(m.parent ? {parent: m.parent} : {}),
    logicalBytes: m.logicalBytes,
    storedBytes: m.storedBytes,
    nodes: m.nodes.map(n => n.name),
    ...(m.origin ? {origin: m.origin} : {}),
  };
}

/** Oldest first: by time, then id (as listPoints orders manifests). */
export function byTime(a: {time: string; id: string}, b: {time: string; id: string}): number {
  return a.time.localeCompare(b.time) || a.id.localeCompare(b.id);
}

/** The segments under the backup's catalogue (key, size, mtime), in sequence order. */
async function segmentInfos(repo: Repository, backup: BackupId | string): Promise<ObjectInfo[]> {
  const infos: ObjectInfo[] = [];
  const prefix = cataloguePrefix(backup);
  for await (const info of repo.storage.list(prefix)) {
    if (NAME.test(info.key.slice(prefix.length))) infos.push(info);
  }
  return infos.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The segment names under the backup's catalogue, in sequence order. */
async function segmentNames(repo: Repository, backup: BackupId | string): Promise<string[]> {
  const prefix = cataloguePrefix(backup);
  return (await segmentInfos(repo, backup)).map(i => i.key.slice(prefix.length));
}

interface Remembered {
  /** Segment key → its size and mtime when read, and what it held. */
  readonly segments: Map<string, {readonly stamp: string; readonly segment: CatalogueSegment}>;
  /** The last listing's stamps, and the points it made. */
  listing?: {readonly stamp: string; readonly points: readonly CataloguePoint[]};
  /** A read under way, and the listing it is for. */
  reading?: {readonly stamp: string; readonly promise: Promise<readonly CataloguePoint[]>};
}

/** Per repository object, per backup: what its catalogue held when last read. */
const remembered = new WeakMap<Repository, Map<string, Remembered>>();

function rememberedFor(repo: Repository, backup: string): Remembered {
  let byBackup = remembered.get(repo);
  if (!byBackup) remembered.set(repo, (byBackup = new Map()));
  let r = byBackup.get(backup);
  if (!r) byBackup.set(backup, (r = {segments: new Map()}));
  return r;
}

const stampOf = (i: ObjectInfo) => `${i.size}:${i.mtimeMs ?? ''}`;

/** Whether the backup has a catalogue at all (a version 1 repository's backups have none). */
export async function hasCatalogue(repo: Repository, backup: BackupId | string): Promise<boolean> {
  return (await segmentNames(repo, backup)).length > 0;
}

/**
 * The backup's points as its catalogue lists them, oldest first, and the
 * segments read. A point named by several segments is taken from the last
 * (a copy that added cluster nodes to a point appends it again).
 */
export async function readCatalogue(
  repo: Repository,
  backup: BackupId | string,
): Promise<{points: CataloguePoint[]; segments: string[]}> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readCatalogueOnce(repo, backup);
    } catch (e) {
      // Listed, then gone: another writer merged it, into a segment durable before the deletion. List again.
      if (!(e instanceof BackhaulError && e.code === 'not-found') || attempt >= SEGMENT_RETRIES) throw e;
    }
  }
}

async function readCatalogueOnce(
  repo: Repository,
  backup: BackupId | string,
): Promise<{points: CataloguePoint[]; segments: string[]}> {
  const infos = await segmentInfos(repo, backup);
  const prefix = cataloguePrefix(backup);
  const names = infos.map(i => i.key.slice(prefix.length));
  const known = rememberedFor(repo, String(backup));
  const listingStamp = infos.map(i => `${i.key} ${stampOf(i)}`).join('\n');
  if (known.listing?.stamp === listingStamp) return {points: [...known.listing.points], segments: names};
  // The same segments being read for another caller (the points screen opened before the counts came): wait for that read.
  if (known.reading?.stamp !== listingStamp) {
    const promise = readSegments(repo, infos, names, known, listingStamp);
    known.reading = {stamp: listingStamp, promise};
    const done = () => {
      if (known.reading?.promise === promise) known.reading = undefined;
    };
    promise.then(done, done);
  }
  return {points: [...(await known.reading!.promise)], segments: names};
}

async function readSegments(
  repo: Repository,
  infos: readonly ObjectInfo[],
  names: readonly string[],
  known: Remembered,
  listingStamp: string,
): Promise<readonly CataloguePoint[]> {
  const fresh = infos.filter(i => known.segments.get(i.key)?.stamp !== stampOf(i));
  // A few segments at a time, the event loop served between them: a 100,000-point catalogue is
  // megabytes of JSON, and the TUI reading it must still answer keys and draw frames meanwhile.
  for (let at = 0; at < fresh.length; at += READ_BATCH) {
    if (at > 0) await yieldToEventLoop();
    const batch = fresh.slice(at, at + READ_BATCH);
    const values = await repo.readObjects(batch.map(i => i.key));
    batch.forEach((info, i) =>
      known.segments.set(info.key, {stamp: stampOf(info), segment: parseSegment(values[i], info.key, repo.location)}),
    );
  }
  const listed = new Set(infos.map(i => i.key));
  for (const key of known.segments.keys()) if (!listed.has(key)) known.segments.delete(key);
  const segments = infos.map(i => known.segments.get(i.key)!.segment);
  const superseded = new Set<string>();
  for (const s of segments) for (const n of s.supersedes) superseded.add(n);
  const points = new Map<string, CataloguePoint>();
  segments.forEach((s, i) => {
    if (superseded.has(names[i]!)) return; // its points are in the segment that superseded it
    for (const p of s.points) points.set(p.id, p);
  });
  const sorted = [...points.values()].sort(byTime);
  known.listing = {stamp: listingStamp, points: sorted};
  return sorted;
}

/**
 * Appends a segment naming `points` (their manifests are durable), then, past
 * MERGE_AFTER segments, merges every segment it read into one and deletes
 * them. Returns the new segment's name.
 */
export async function appendToCatalogue(
  repo: Repository,
  backup: BackupId | string,
  points: CataloguePoint[],
): Promise<string> {
  const before = await segmentNames(repo, backup);
  const name = await writeSegment(repo, backup, nextSeq(before), {format: 2, points, supersedes: []});
  if (before.length + 1 > MERGE_AFTER) await merge(repo, backup);
  return name;
}

function nextSeq(names: readonly string[]): number {
  const last = names.at(-1);
  return last ? Number(NAME.exec(last)![1]) + 1 : 1;
}

async function writeSegment(
  repo: Repository,
  backup: BackupId | string,
  seq: number,
  segment: CatalogueSegment,
): Promise<string> {
  for (;;) {
    const name = `${String(seq).padStart(12, '0')}-${randomBytes(4).toString('hex')}.json`;
    if (await repo.putObject(cataloguePrefix(backup) + name, segment, true)) return name;
  }
}

/** One segment superseding every segment read; then those are deleted (the merged one is durable first). */
async function merge(repo: Repository, backup: BackupId | string): Promise<void> {
  const {points, segments} = await readCatalogue(repo, backup);
  await writeSegment(repo, backup, nextSeq(segments), {format: 2, points, supersedes: segments});
  for (const name of segments) await repo.storage.delete(cataloguePrefix(backup) + name);
}

/**
 * Replaces the backup's catalogue by one segment listing exactly `points`
 * and superseding `segments` (all those read); they are deleted only once it
 * is durable. For a writer under the exclusive lock (forget): no other
 * writer appends a segment meanwhile. Returns the new segment's name.
 */
export async function replaceCatalogue(
  repo: Repository,
  backup: BackupId | string,
  points: CataloguePoint[],
  segments: readonly string[],
  assertHeld: () => void = () => {},
): Promise<string> {
  assertHeld();
  const name = await writeSegment(repo, backup, nextSeq([...segments].sort()), {
    format: 2,
    points: [...points].sort(byTime),
    supersedes: [...segments],
  });
  for (const old of segments) {
    assertHeld();
    await repo.storage.delete(cataloguePrefix(backup) + old);
  }
  return name;
}

/**
 * Adds to the catalogue every point whose manifest exists but which no
 * segment names (a writer killed between manifest and segment; a repository
 * being upgraded). Returns how many points it added.
 */
export async function rebuildCatalogue(repo: Repository, backup: BackupId): Promise<number> {
  const listed = new Set((await readCatalogue(repo, backup)).points.map(p => p.id));
  const missing = (await repo.listPoints(backup)).filter(m => !listed.has(m.id)).map(cataloguePoint);
  if (missing.length > 0) await appendToCatalogue(repo, backup, missing);
  return missing.length;
}

function parseSegment(v: unknown, key: string, location: string): CatalogueSegment {
  try {
    if (!isObject(v)) throw new Defect('', `it is ${describeValue(v)}, not a JSON object`);
    if (v.format !== 2) throw new Defect('format', `${describeValue(v.format)} is not catalogue format 2`);
    if (!Array.isArray(v.points)) throw new Defect('points', `${describeValue(v.points)} is not a list`);
    v.points.forEach(checkPoint);
    const sup = v.supersedes ?? [];
    if (!Array.isArray(sup) || !sup.every(n => typeof n === 'string' && NAME.test(n)))
      throw new Defect('supersedes', `${describeValue(sup)} is not a list of segment names`);
    return {format: 2, points: v.points as CataloguePoint[], supersedes: sup as string[]};
  } catch (e) {
    if (!(e instanceof Defect)) throw e;
    throw new BackhaulError(
      'corrupt',
      `${key} in ${location} is damaged: ${e.message}.`,
      'Run `backhaul repo rebuild-catalog` to write it again from the manifests; nothing was changed.',
    );
  }
}

function checkPoint(p: unknown, i: number): void {
  const at = (f: string) => `points[${i}]${f}`;
  if (!isObject(p)) throw new Defect(at(''), `${describeValue(p)} is not a JSON object`);
  if (typeof p.id !== 'string' || !isShortId(p.id))
    throw new Defect(at('.id'), `${describeValue(p.id)} is not a restore point id`);
  if (typeof p.time !== 'string' || !isIsoTime(p.time))
    throw new Defect(at('.time'), `${describeValue(p.time)} is not an ISO 8601 date`);
  if (p.type !== 'full' && p.type !== 'incremental')
    throw new Defect(at('.type'), `${describeValue(p.type)} is not full or incremental`);
  if (p.parent !== undefined && (typeof p.parent !== 'string' || !isShortId(p.parent)))
    throw new Defect(at('.parent'), `${describeValue(p.parent)} is not a restore point id`);
  for (const f of ['logicalBytes', 'storedBytes'] as const) {
    if (!isFiniteNumber(p[f]) || (p[f] as number) < 0)
      throw new Defect(at(`.${f}`), `${describeValue(p[f])} is not a byte count`);
  }
  if (!Array.isArray(p.nodes) || !p.nodes.every(n => segmentProblem(n) === undefined))
    throw new Defect(at('.nodes'), `${describeValue(p.nodes)} is not a list of node names`);
  if (p.origin !== undefined && !isObject(p.origin))
    throw new Defect(at('.origin'), `${describeValue(p.origin)} is not a JSON object`);
}
