/**
 * The bytes of one catalogue segment (FORMAT.md, "Catalogue"): version 3,
 * which every writer writes (one zstd frame of three lines of compact JSON:
 * a header with the segment's count and totals, the point ids with their
 * node lists, then the other columns), and version 2 (one indented JSON
 * object of rows), which readers keep reading.
 *
 * Guarantees: `decodeSegment(encodeSegment(points, s))` lists `points` and
 * `s`. A version 3 segment is parsed in three steps, each only when asked:
 * the header on decoding (what the Backups screen's counts need), the ids
 * and node counts (what the "copied" marks need), the rows (what a listing
 * needs); each step checks what it parses and refuses damage as `corrupt`,
 * naming the segment, before returning anything. The zstd frame is bounded
 * before it is decompressed (zstd-frame.ts).
 */
import zstd from '@mongodb-js/zstd/bindings.js';
import {BackhaulError} from '../errors.js';
import {isShortId} from '../ids.js';
import type {Origin, PointType} from './model.js';
import {segmentProblem} from './names.js';
import {describeValue, Defect, isFiniteNumber, isIsoTime, isObject} from './record-checks.js';
import {zstdFrameBound} from './zstd-frame.js';

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

/** What a segment's header says of its points: enough for a Backups screen row. */
export interface SegmentSummary {
  count: number;
  /** The least and the greatest `time` (both absent when count is 0). */
  oldest?: string;
  newest?: string;
  logicalBytes: number;
  storedBytes: number;
}

export interface DecodedSegment {
  readonly version: 2 | 3;
  readonly supersedes: readonly string[];
  readonly summary: SegmentSummary;
  /** The points' ids, and how many nodes each names (parallel lists). */
  keys(): {readonly ids: readonly string[]; readonly nodeCounts: readonly number[]};
  /** The points, in the segment's order. */
  points(): readonly CataloguePoint[];
}

export const SEGMENT_NAME = /^(\d{12})-[0-9a-f]{8}\.json$/;
/** A writer's zstd level for segments (its choice; readers do not care). */
const LEVEL = 3;
/** The most a version 3 segment may decompress to (about 3 million points): more is damage, never allocated. */
export const SEGMENT_PLAIN_MAX = 256 * 1024 * 1024;
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const TYPE_LETTER: Record<PointType, string> = {full: 'f', incremental: 'i'};

export function summarize(points: readonly CataloguePoint[]): SegmentSummary {
  let oldest: string | undefined;
  let newest: string | undefined;
  let logicalBytes = 0;
  let storedBytes = 0;
  for (const p of points) {
    if (oldest === undefined || p.time < oldest) oldest = p.time;
    if (newest === undefined || p.time > newest) newest = p.time;
    logicalBytes += p.logicalBytes;
    storedBytes += p.storedBytes;
  }
  return {count: points.length, ...(oldest !== undefined ? {oldest, newest} : {}), logicalBytes, storedBytes};
}

/** The plaintext (before sealing) of a version 3 segment listing `points` and superseding `supersedes`. */
export async function encodeSegment(points: readonly CataloguePoint[], supersedes: readonly string[]): Promise<Buffer> {
  const header = {format: 3, ...summarize(points), supersedes};
  const lists = new Map<string, number>();
  const nodes = points.map(p => {
    const k = JSON.stringify(p.nodes);
    let at = lists.get(k);
    if (at === undefined) lists.set(k, (at = lists.size));
    return at;
  });
  const keys = {ids: points.map(p => p.id), nodeLists: [...lists.keys()].map(k => JSON.parse(k) as string[]), nodes};
  const origins = new Map<string, number>();
  const origin = points.map(p => {
    if (!p.origin) return null;
    const k = JSON.stringify(p.origin);
    let at = origins.get(k);
    if (at === undefined) origins.set(k, (at = origins.size));
    return at;
  });
  const at = new Map(points.map((p, i) => [p.id, i]));
  const rows = {
    times: points.map(p => p.time),
    types: points.map(p => TYPE_LETTER[p.type]).join(''),
    // A parent in the same segment (nearly always the point before) by its index: no second copy of its id.
    parents: points.map(p => (p.parent === undefined ? null : (at.get(p.parent) ?? p.parent))),
    logicalBytes: points.map(p => p.logicalBytes),
    storedBytes: points.map(p => p.storedBytes),
    origins: [...origins.keys()].map(k => JSON.parse(k) as Origin),
    origin,
  };
  const text = `${JSON.stringify(header)}\n${JSON.stringify(keys)}\n${JSON.stringify(rows)}\n`;
  return zstd.compress(Buffer.from(text, 'utf8'), LEVEL);
}

/** A segment's opened (unsealed) bytes, version 3 or 2; `corrupt` naming `key` if they are not one. */
export async function decodeSegment(plain: Buffer, key: string, location: string): Promise<DecodedSegment> {
  const damaged = (e: Defect) =>
    new BackhaulError(
      'corrupt',
      `${key} in ${location} is damaged: ${e.message}.`,
      'Run `backhaul repo rebuild-catalog` to write it again from the manifests; nothing was changed.',
    );
  try {
    if (plain.subarray(0, 4).equals(ZSTD_MAGIC)) return await decodeV3(plain, damaged);
    return decodeV2(parseJson(plain.toString('utf8'), ''));
  } catch (e) {
    if (e instanceof Defect) throw damaged(e);
    throw e;
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new Defect(where, 'it is not valid JSON');
  }
}

async function decodeV3(frame: Buffer, damaged: (e: Defect) => BackhaulError): Promise<DecodedSegment> {
  const bound = zstdFrameBound(frame);
  if (bound === undefined || bound > SEGMENT_PLAIN_MAX)
    throw new Defect('', 'it is not one zstd frame of a bounded size');
  let text: Buffer;
  try {
    text = await zstd.decompress(frame);
  } catch {
    throw new Defect('', 'it cannot be decompressed');
  }
  const first = text.indexOf(10);
  const second = first < 0 ? -1 : text.indexOf(10, first + 1);
  if (second < 0 || text.indexOf(10, second + 1) !== text.length - 1)
    throw new Defect('', 'it is not three lines of JSON');
  const header = checkHeader(parseJson(text.toString('utf8', 0, first), 'header'));
  // Each later line is parsed (and checked) once, when first asked for; a defect found then is still `corrupt`.
  const once = <T>(f: () => T) => {
    let v: T | undefined;
    return () => {
      try {
        return (v ??= f());
      } catch (e) {
        throw e instanceof Defect ? damaged(e) : e;
      }
    };
  };
  const keys = once(() => checkKeys(parseJson(text.toString('utf8', first + 1, second), 'keys'), header.count));
  const points = once(() =>
    checkRows(parseJson(text.toString('utf8', second + 1, text.length - 1), 'rows'), keys(), header),
  );
  return {
    version: 3,
    supersedes: header.supersedes,
    summary: {
      count: header.count,
      ...(header.count > 0 ? {oldest: header.oldest, newest: header.newest} : {}),
      logicalBytes: header.logicalBytes,
      storedBytes: header.storedBytes,
    },
    keys: () => ({ids: keys().ids, nodeCounts: keys().nodeCounts}),
    points,
  };
}

type Header = SegmentSummary & {supersedes: string[]};

function checkHeader(v: unknown): Header {
  if (!isObject(v)) throw new Defect('header', `${describeValue(v)} is not a JSON object`);
  if (v.format !== 3) throw new Defect('header.format', `${describeValue(v.format)} is not catalogue format 3`);
  if (!Number.isSafeInteger(v.count) || (v.count as number) < 0)
    throw new Defect('header.count', `${describeValue(v.count)} is not a count`);
  const count = v.count as number;
  for (const f of ['oldest', 'newest'] as const) {
    if (count > 0 ? typeof v[f] !== 'string' || !isIsoTime(v[f]) : v[f] !== undefined)
      throw new Defect(`header.${f}`, `${describeValue(v[f])} is not the ${f} point's time`);
  }
  if (count > 0 && (v.oldest as string) > (v.newest as string))
    throw new Defect('header.oldest', 'it is after header.newest');
  for (const f of ['logicalBytes', 'storedBytes'] as const) {
    if (!isFiniteNumber(v[f]) || (v[f] as number) < 0)
      throw new Defect(`header.${f}`, `${describeValue(v[f])} is not a byte count`);
  }
  return {
    count,
    ...(count > 0 ? {oldest: v.oldest as string, newest: v.newest as string} : {}),
    logicalBytes: v.logicalBytes as number,
    storedBytes: v.storedBytes as number,
    supersedes: checkSupersedes(v.supersedes, 'header.supersedes'),
  };
}

function checkSupersedes(v: unknown, where: string): string[] {
  const sup = v ?? [];
  if (!Array.isArray(sup) || !sup.every(n => typeof n === 'string' && SEGMENT_NAME.test(n)))
    throw new Defect(where, `${describeValue(sup)} is not a list of segment names`);
  return sup as string[];
}

interface Keys {
  ids: string[];
  nodeCounts: number[];
  nodeLists: string[][];
  nodes: number[];
}

function checkKeys(v: unknown, count: number): Keys {
  if (!isObject(v)) throw new Defect('keys', `${describeValue(v)} is not a JSON object`);
  const {ids, nodeLists, nodes} = v;
  if (!Array.isArray(ids) || ids.length !== count || !ids.every(i => typeof i === 'string' && isShortId(i)))
    throw new Defect('keys.ids', `it is not a list of ${count} restore point ids`);
  if (
    !Array.isArray(nodeLists) ||
    !nodeLists.every(l => Array.isArray(l) && l.every(n => segmentProblem(n) === undefined))
  )
    throw new Defect('keys.nodeLists', `${describeValue(nodeLists)} is not a list of lists of node names`);
  if (
    !Array.isArray(nodes) ||
    nodes.length !== count ||
    !nodes.every(n => Number.isInteger(n) && n >= 0 && n < nodeLists.length)
  )
    throw new Defect('keys.nodes', `it is not a list of ${count} indexes into nodeLists`);
  const lists = nodeLists as string[][];
  return {
    ids: ids as string[],
    nodeLists: lists,
    nodes: nodes as number[],
    nodeCounts: (nodes as number[]).map(n => lists[n]!.length),
  };
}

const badCell = (col: string, i: number, x: unknown, what: string) =>
  new Defect(`rows.${col}[${i}]`, `${describeValue(x)} ${what}`);

function checkRows(v: unknown, keys: Keys, header: Header): CataloguePoint[] {
  if (!isObject(v)) throw new Defect('rows', `${describeValue(v)} is not a JSON object`);
  const n = header.count;
  for (const f of ['times', 'parents', 'logicalBytes', 'storedBytes', 'origin'] as const) {
    const col = v[f];
    if (!Array.isArray(col) || col.length !== n) throw new Defect(`rows.${f}`, `it is not a list of ${n} values`);
  }
  if (typeof v.types !== 'string' || v.types.length !== n)
    throw new Defect('rows.types', `it is not ${n} letters f or i`);
  if (!Array.isArray(v.origins) || !v.origins.every(isObject))
    throw new Defect('rows.origins', `${describeValue(v.origins)} is not a list of JSON objects`);
  const times = v.times as unknown[];
  const parents = v.parents as unknown[];
  const logical = v.logicalBytes as unknown[];
  const stored = v.storedBytes as unknown[];
  const origin = v.origin as unknown[];
  const origins = v.origins as unknown as Origin[];
  const types = v.types;
  const {ids, nodeLists, nodes} = keys;
  // Column by column, the checks a version 2 row gets (ids and node names were checked with the keys);
  // a plain loop: this runs for every point of a 100,000-point listing.
  const points: CataloguePoint[] = new Array<CataloguePoint>(n);
  for (let i = 0; i < n; i++) {
    const time = times[i];
    if (typeof time !== 'string' || !isIsoTime(time)) throw badCell('times', i, time, 'is not an ISO 8601 date');
    const letter = types.charCodeAt(i);
    const type: PointType | undefined = letter === 0x69 ? 'incremental' : letter === 0x66 ? 'full' : undefined;
    if (type === undefined) throw badCell('types', i, types[i], 'is not f or i');
    const l = logical[i];
    if (typeof l !== 'number' || !(l >= 0) || l === Infinity)
      throw badCell('logicalBytes', i, l, 'is not a byte count');
    const s = stored[i];
    if (typeof s !== 'number' || !(s >= 0) || s === Infinity) throw badCell('storedBytes', i, s, 'is not a byte count');
    const p: CataloguePoint = {id: ids[i]!, time, type, logicalBytes: l, storedBytes: s, nodes: nodeLists[nodes[i]!]!};
    const parent = parents[i];
    if (parent !== null) {
      if (typeof parent === 'number' && Number.isInteger(parent) && parent >= 0 && parent < n) p.parent = ids[parent];
      else if (typeof parent === 'string' && isShortId(parent)) p.parent = parent;
      else throw badCell('parents', i, parent, 'is not null, an index into ids or a restore point id');
    }
    const o = origin[i];
    if (o !== null) {
      if (typeof o !== 'number' || !Number.isInteger(o) || o < 0 || o >= origins.length)
        throw badCell('origin', i, o, 'is not null or an index into origins');
      p.origin = origins[o];
    }
    points[i] = p;
  }
  const sum = summarize(points);
  if (
    sum.newest !== header.newest ||
    sum.logicalBytes !== header.logicalBytes ||
    sum.storedBytes !== header.storedBytes
  )
    throw new Defect('header', 'its totals are not those of its rows');
  return points;
}

function decodeV2(v: unknown): DecodedSegment {
  if (!isObject(v)) throw new Defect('', `it is ${describeValue(v)}, not a JSON object`);
  if (v.format !== 2) throw new Defect('format', `${describeValue(v.format)} is not catalogue format 2 or 3`);
  if (!Array.isArray(v.points)) throw new Defect('points', `${describeValue(v.points)} is not a list`);
  v.points.forEach(checkPoint);
  const points = v.points as CataloguePoint[];
  const keys = {ids: points.map(p => p.id), nodeCounts: points.map(p => p.nodes.length)};
  return {
    version: 2,
    supersedes: checkSupersedes(v.supersedes, 'supersedes'),
    summary: summarize(points),
    keys: () => keys,
    points: () => points,
  };
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
