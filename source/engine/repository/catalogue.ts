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
 */
import {randomBytes} from 'node:crypto';
import {BackhaulError} from '../errors.js';
import {isShortId, type BackupId} from '../ids.js';
import type {Origin, PointManifest, PointType} from './model.js';
import {segmentProblem} from './names.js';
import {describeValue, Defect, isFiniteNumber, isIsoTime, isObject} from './record-checks.js';
import type {Repository} from './repository.js';

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

/** The segment names under the backup's catalogue, in sequence order. */
async function segmentNames(repo: Repository, backup: BackupId | string): Promise<string[]> {
  const names: string[] = [];
  const prefix = cataloguePrefix(backup);
  for await (const info of repo.storage.list(prefix)) {
    const name = info.key.slice(prefix.length);
    if (NAME.test(name)) names.push(name);
  }
  return names.sort();
}

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
  const prefix = cataloguePrefix(backup);
  let names: string[];
  let values: unknown[];
  for (let attempt = 1; ; attempt++) {
    names = await segmentNames(repo, backup);
    try {
      values = await repo.readObjects(names.map(n => prefix + n));
      break;
    } catch (e) {
      // Listed, then gone: another writer merged it, into a segment durable before the deletion. List again.
      if (!(e instanceof BackhaulError && e.code === 'not-found') || attempt >= SEGMENT_RETRIES) throw e;
    }
  }
  const superseded = new Set<string>();
  const segments = values.map((v, i) => parseSegment(v, prefix + names[i]!, repo.location));
  for (const s of segments) for (const n of s.supersedes) superseded.add(n);
  const points = new Map<string, CataloguePoint>();
  segments.forEach((s, i) => {
    if (superseded.has(names[i]!)) return; // its points are in the segment that superseded it
    for (const p of s.points) points.set(p.id, p);
  });
  return {points: [...points.values()].sort(byTime), segments: names};
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
