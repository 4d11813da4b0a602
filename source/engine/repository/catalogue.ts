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
 * Three reads, each parsing only what it needs of a segment (version 3,
 * catalogue-segment.ts): `readCatalogueSummary` (counts and totals: the
 * segments' headers; their ids too only when their time ranges meet, to
 * find a point named twice),
 * `readCatalogueNodeCounts` (ids and node counts: the "copied" marks) and
 * `readCatalogue` (every row).
 *
 * Reads are remembered per Repository object: a segment is never rewritten
 * (its name has a random part), so a later read fetches only the segments
 * it has not seen with the same size and mtime, and one that finds the same
 * segments as the last returns the same answer without parsing anything —
 * the TUI's Backups screen, its Restore points screen and their polling share
 * one fetch of a 100,000-point catalogue. What is returned is shared: do not
 * change it.
 */
import {randomBytes} from 'node:crypto';
import {BackhaulError} from '../errors.js';
import type {BackupId} from '../ids.js';
import {
  decodeSegment,
  encodeSegment,
  SEGMENT_NAME,
  summarize,
  type CataloguePoint,
  type DecodedSegment,
  type SegmentSummary,
} from './catalogue-segment.js';
import type {PointManifest} from './model.js';
import type {Repository} from './repository.js';
import type {ObjectInfo} from '../storage/storage.js';
import {yieldToEventLoop} from '../util/concurrency.js';

export type {CataloguePoint, SegmentSummary as CatalogueSummary} from './catalogue-segment.js';

/** Segments fetched (and decoded) together before the event loop gets a turn. */
const READ_BATCH = 2;

/** How often a reader lists the catalogue again when a segment it listed was merged away meanwhile. */
const SEGMENT_RETRIES = 8;
/** Past this many segments, a writer merges them into one. */
export const MERGE_AFTER = 16;

export const cataloguePrefix = (backup: BackupId | string) => `backups/${backup}/catalog/`;

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

/**
 * Oldest first: by time, then id (as listPoints orders manifests), comparing
 * UTF-16 code units: times are all of one ISO 8601 form and ids ASCII, and
 * localeCompare costs most of sorting 100,000 points.
 */
export function byTime(a: {time: string; id: string}, b: {time: string; id: string}): number {
  if (a.time !== b.time) return a.time < b.time ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** The segments under the backup's catalogue (key, size, mtime), in sequence order. */
async function segmentInfos(repo: Repository, backup: BackupId | string): Promise<ObjectInfo[]> {
  const infos: ObjectInfo[] = [];
  const prefix = cataloguePrefix(backup);
  for await (const info of repo.storage.list(prefix)) {
    if (SEGMENT_NAME.test(info.key.slice(prefix.length))) infos.push(info);
  }
  return infos.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The segment names under the backup's catalogue, in sequence order. */
async function segmentNames(repo: Repository, backup: BackupId | string): Promise<string[]> {
  const prefix = cataloguePrefix(backup);
  return (await segmentInfos(repo, backup)).map(i => i.key.slice(prefix.length));
}

/** One listing of the catalogue, its segments fetched and decoded (headers only, for version 3). */
interface Loaded {
  readonly stamp: string;
  /** Every segment listed, in sequence order. */
  readonly names: readonly string[];
  /** The segments whose points count: those no listed segment supersedes, in sequence order. */
  readonly live: readonly DecodedSegment[];
}

interface Remembered {
  /** Segment key → its size and mtime when fetched, and what it held. */
  readonly segments: Map<string, {readonly stamp: string; readonly segment: DecodedSegment}>;
  /** The last listing, and what was worked out from it (each when first asked for). */
  last?: Loaded;
  points?: readonly CataloguePoint[];
  summary?: SegmentSummary;
  nodeCounts?: ReadonlyMap<string, number>;
  distinct?: boolean;
  /** Rows being parsed, and the listing they are of. */
  rows?: {readonly loaded: Loaded; readonly promise: Promise<readonly CataloguePoint[]>};
  /** A fetch under way, and the listing it is for. */
  reading?: {readonly stamp: string; readonly promise: Promise<Loaded>};
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
  const {known, loaded} = await load(repo, backup);
  const segments = [...loaded.names];
  if (known.last === loaded && known.points) return {points: [...known.points], segments};
  // The same rows being parsed for another caller (a prefetch, the Backups screen's): wait for that.
  if (known.rows?.loaded !== loaded) {
    const promise = unionOfRows(known, loaded);
    known.rows = {loaded, promise};
    const done = () => {
      if (known.rows?.promise === promise) known.rows = undefined;
    };
    promise.then(done, done);
  }
  return {points: [...(await known.rows!.promise)], segments};
}

/** Every live segment's rows, a point named twice taken from the later segment, oldest first. */
async function unionOfRows(known: Remembered, loaded: Loaded): Promise<readonly CataloguePoint[]> {
  // Without a point named twice, the union is every segment's rows (no map of 100,000 ids).
  const distinct = noPointTwice(known, loaded);
  const byId = new Map<string, CataloguePoint>();
  const all: CataloguePoint[] = [];
  for (const [i, s] of loaded.live.entries()) {
    // Rows are parsed a segment at a time, the event loop served between them (the TUI keeps drawing).
    if (i > 0 && s.version === 3) await yieldToEventLoop();
    if (distinct) for (const p of s.points()) all.push(p);
    else for (const p of s.points()) byId.set(p.id, p);
  }
  const points = (distinct ? all : [...byId.values()]).sort(byTime);
  if (known.last === loaded) known.points = points;
  return points;
}

/**
 * The backup's point count, oldest and newest point and byte totals, as
 * readCatalogue's points would give them, from the segments' headers; ids
 * are parsed only when segments' time ranges meet, to find points named by
 * more than one segment (then their rows decide).
 */
export async function readCatalogueSummary(
  repo: Repository,
  backup: BackupId | string,
): Promise<{summary: SegmentSummary; segments: string[]}> {
  const {known, loaded} = await load(repo, backup);
  const segments = [...loaded.names];
  if (known.last === loaded && known.summary) return {summary: known.summary, segments};
  const summary = noPointTwice(known, loaded)
    ? sumOf(loaded.live.map(s => s.summary))
    : summarize((await readCatalogue(repo, backup)).points);
  if (known.last === loaded) known.summary = summary;
  return {summary, segments};
}

/**
 * Whether no point id is in two of the listing's live segments (remembered
 * with the listing). A point has one time in every segment naming it, so
 * segments whose [oldest, newest] ranges do not meet share no point: only
 * when ranges meet are their ids compared (a writer appends points newer
 * than the catalogue's, so usually none are).
 */
function noPointTwice(known: Remembered, loaded: Loaded): boolean {
  if (known.last === loaded && known.distinct !== undefined) return known.distinct;
  const byOldest = loaded.live.filter(s => s.summary.count > 0);
  byOldest.sort((a, b) => (a.summary.oldest! < b.summary.oldest! ? -1 : a.summary.oldest! > b.summary.oldest! ? 1 : 0));
  let distinct = true;
  if (byOldest.some((s, i) => i > 0 && s.summary.oldest! <= byOldest[i - 1]!.summary.newest!)) {
    const ids = new Set<string>();
    let total = 0;
    for (const s of byOldest) {
      for (const id of s.keys().ids) ids.add(id);
      total += s.summary.count;
    }
    distinct = ids.size === total;
  }
  if (known.last === loaded) known.distinct = distinct;
  return distinct;
}

function sumOf(parts: readonly SegmentSummary[]): SegmentSummary {
  let [count, logicalBytes, storedBytes] = [0, 0, 0];
  let oldest: string | undefined;
  let newest: string | undefined;
  for (const p of parts) {
    count += p.count;
    logicalBytes += p.logicalBytes;
    storedBytes += p.storedBytes;
    if (p.oldest !== undefined && (oldest === undefined || p.oldest < oldest)) oldest = p.oldest;
    if (p.newest !== undefined && (newest === undefined || p.newest > newest)) newest = p.newest;
  }
  return {count, ...(oldest !== undefined ? {oldest, newest} : {}), logicalBytes, storedBytes};
}

/** Point id → how many nodes the catalogue names for it (the last segment naming a point decides), without parsing rows. */
export async function readCatalogueNodeCounts(
  repo: Repository,
  backup: BackupId | string,
): Promise<{nodeCounts: ReadonlyMap<string, number>; segments: string[]}> {
  const {known, loaded} = await load(repo, backup);
  const segments = [...loaded.names];
  if (known.last === loaded && known.nodeCounts) return {nodeCounts: known.nodeCounts, segments};
  const nodeCounts = new Map<string, number>();
  for (const s of loaded.live) {
    const {ids, nodeCounts: counts} = s.keys();
    for (let i = 0; i < ids.length; i++) nodeCounts.set(ids[i]!, counts[i]!);
  }
  if (known.last === loaded) known.nodeCounts = nodeCounts;
  return {nodeCounts, segments};
}

/** The catalogue's current listing, its segments fetched; lists again when a listed segment was merged away meanwhile. */
async function load(repo: Repository, backup: BackupId | string): Promise<{known: Remembered; loaded: Loaded}> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await loadOnce(repo, backup);
    } catch (e) {
      // Listed, then gone: another writer merged it, into a segment durable before the deletion. List again.
      if (!(e instanceof BackhaulError && e.code === 'not-found') || attempt >= SEGMENT_RETRIES) throw e;
    }
  }
}

async function loadOnce(repo: Repository, backup: BackupId | string): Promise<{known: Remembered; loaded: Loaded}> {
  const infos = await segmentInfos(repo, backup);
  const known = rememberedFor(repo, String(backup));
  const stamp = infos.map(i => `${i.key} ${stampOf(i)}`).join('\n');
  if (known.last?.stamp === stamp) return {known, loaded: known.last};
  // The same segments being fetched for another caller (the points screen opened before the counts came): wait for that.
  if (known.reading?.stamp !== stamp) {
    const promise = fetchSegments(repo, backup, infos, known, stamp);
    known.reading = {stamp, promise};
    const done = () => {
      if (known.reading?.promise === promise) known.reading = undefined;
    };
    promise.then(done, done);
  }
  return {known, loaded: await known.reading!.promise};
}

async function fetchSegments(
  repo: Repository,
  backup: BackupId | string,
  infos: readonly ObjectInfo[],
  known: Remembered,
  stamp: string,
): Promise<Loaded> {
  const prefix = cataloguePrefix(backup);
  const names = infos.map(i => i.key.slice(prefix.length));
  const fresh = infos.filter(i => known.segments.get(i.key)?.stamp !== stampOf(i));
  for (let at = 0; at < fresh.length; at += READ_BATCH) {
    if (at > 0) await yieldToEventLoop();
    const batch = fresh.slice(at, at + READ_BATCH);
    const bytes = await repo.readSealedMany(batch.map(i => i.key));
    const decoded = await Promise.all(batch.map((info, i) => decodeSegment(bytes[i]!, info.key, repo.location)));
    batch.forEach((info, i) => known.segments.set(info.key, {stamp: stampOf(info), segment: decoded[i]!}));
  }
  const listed = new Set(infos.map(i => i.key));
  for (const key of known.segments.keys()) if (!listed.has(key)) known.segments.delete(key);
  const all = infos.map(i => known.segments.get(i.key)!.segment);
  const superseded = new Set<string>();
  for (const s of all) for (const n of s.supersedes) superseded.add(n);
  // A superseded segment still listed: its points are in the segment that superseded it.
  const loaded: Loaded = {stamp, names, live: all.filter((_, i) => !superseded.has(names[i]!))};
  known.last = loaded;
  known.points = known.summary = known.nodeCounts = known.distinct = undefined;
  return loaded;
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
  const name = await writeSegment(repo, backup, nextSeq(before), points, []);
  if (before.length + 1 > MERGE_AFTER) await merge(repo, backup);
  return name;
}

function nextSeq(names: readonly string[]): number {
  const last = names.at(-1);
  return last ? Number(SEGMENT_NAME.exec(last)![1]) + 1 : 1;
}

async function writeSegment(
  repo: Repository,
  backup: BackupId | string,
  seq: number,
  points: readonly CataloguePoint[],
  supersedes: readonly string[],
): Promise<string> {
  // Version 2 segments where the config names no segment version: older builds read this repository too.
  const v3 = repo.config.catalogueSegments === 3;
  const bytes = v3 ? await encodeSegment(points, supersedes) : undefined;
  for (;;) {
    const name = `${String(seq).padStart(12, '0')}-${randomBytes(4).toString('hex')}.json`;
    const key = cataloguePrefix(backup) + name;
    const written = bytes
      ? await repo.putSealed(key, bytes, true)
      : await repo.putObject(key, {format: 2, points: [...points], supersedes: [...supersedes]}, true);
    if (written) return name;
  }
}

/** One segment superseding every segment read; then those are deleted (the merged one is durable first). */
async function merge(repo: Repository, backup: BackupId | string): Promise<void> {
  const {points, segments} = await readCatalogue(repo, backup);
  await writeSegment(repo, backup, nextSeq(segments), points, segments);
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
  const name = await writeSegment(repo, backup, nextSeq([...segments].sort()), [...points].sort(byTime), [...segments]);
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
  return (await rebuildCatalogueOf(repo, backup)).added;
}

export interface CatalogueRebuild {
  /** Points named again (missing ones; with damaged segments, every point of the backup). */
  added: number;
  /** Segments found damaged, superseded by a segment written from the manifests, then deleted. */
  replaced: string[];
}

/**
 * rebuildCatalogue, saying what it did. A damaged segment (which refuses
 * every listing of the backup) is replaced: the manifests are what the
 * catalogue summarises, so one segment naming every point they hold,
 * superseding every segment listed, is written, and those are deleted once
 * it is durable. A segment another writer appends meanwhile is not listed,
 * so not superseded: its point stays named.
 */
export async function rebuildCatalogueOf(repo: Repository, backup: BackupId): Promise<CatalogueRebuild> {
  let listed: ReadonlyMap<string, number>;
  try {
    listed = (await readCatalogueNodeCounts(repo, backup)).nodeCounts;
  } catch (e) {
    if (!(e instanceof BackhaulError && e.code === 'corrupt')) throw e;
    const names = await segmentNames(repo, backup);
    const replaced = await damagedSegments(repo, backup, names);
    if (replaced.length === 0) throw e; // the listing failed for another reason: say so as it was said
    const points = (await repo.listPoints(backup)).map(cataloguePoint);
    await replaceCatalogue(repo, backup, points, names);
    return {added: points.length, replaced};
  }
  const missing = (await repo.listPoints(backup)).filter(m => !listed.has(m.id)).map(cataloguePoint);
  if (missing.length > 0) await appendToCatalogue(repo, backup, missing);
  return {added: missing.length, replaced: []};
}

/** The segments among `names` that do not open or decode. */
async function damagedSegments(repo: Repository, backup: BackupId, names: readonly string[]): Promise<string[]> {
  const damaged: string[] = [];
  for (const name of names) {
    const key = cataloguePrefix(backup) + name;
    try {
      const [plain] = await repo.readSealedMany([key]);
      await decodeSegment(plain!, key, repo.location);
    } catch (e) {
      if (e instanceof BackhaulError && e.code === 'corrupt') damaged.push(name);
      else if (!(e instanceof BackhaulError && e.code === 'not-found')) throw e;
    }
  }
  return damaged;
}
