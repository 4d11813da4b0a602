/**
 * The catalog a person browses: backups with their point counts, newest
 * point, logical bytes (what the points hold, node by node, shared disks once
 * per node) and stored bytes (what their points added to this repository).
 */
import type {BackupId} from './ids.js';
import type {BackupKind, BackupRecord, NodeInfo, Origin, PointManifest, PointType} from './repository/model.js';
import type {Repository} from './repository/repository.js';
import type {CataloguePoint, CatalogueSummary} from './repository/catalogue.js';
import {mapLimit} from './util/concurrency.js';

export interface BackupSummary {
  id: string;
  job: string;
  machine: string;
  kind: BackupKind;
  owner: string;
  nodes: {name: string; disks: {name: string; kind: string; shared: boolean; ownerNode?: string}[]}[];
  points: number;
  latestPoint?: string;
  logicalBytes: number;
  storedBytes: number;
  copy: boolean;
  origin?: Origin;
  record: BackupRecord;
}

export interface PointSummary {
  id: string;
  time: string;
  type: PointType;
  logicalBytes: number;
  storedBytes: number;
  nodes: string[];
  parent?: string;
}

export function summarizePoint(p: PointManifest): PointSummary {
  return {
    id: p.id,
    time: p.time,
    type: p.type,
    logicalBytes: p.logicalBytes,
    storedBytes: p.storedBytes,
    nodes: p.nodes.map(n => n.name),
    ...(p.parent ? {parent: p.parent} : {}),
  };
}

/** A catalogue point (repository/catalogue.ts) as `points` prints it: the same fields, in the same order, as summarizePoint. */
export function summarizeListed(p: CataloguePoint): PointSummary {
  return {
    id: p.id,
    time: p.time,
    type: p.type,
    logicalBytes: p.logicalBytes,
    storedBytes: p.storedBytes,
    nodes: p.nodes,
    ...(p.parent ? {parent: p.parent} : {}),
  };
}

function nodesOf(nodes: NodeInfo[]): BackupSummary['nodes'] {
  return nodes.map(n => ({
    name: n.name,
    disks: n.disks.map(d => ({
      name: d.name,
      kind: d.kind,
      shared: d.shared,
      ...(d.shared && d.ownerNode ? {ownerNode: d.ownerNode} : {}),
    })),
  }));
}

/**
 * A backup as its record alone says it, before its points are counted: no
 * points, no bytes (a face shows it while the catalogue is read, then the
 * summary summarizeBackups makes).
 */
export function uncountedSummary(record: BackupRecord): BackupSummary {
  return summaryOf(record, {count: 0, logicalBytes: 0, storedBytes: 0});
}

function summaryOf(record: BackupRecord, totals: CatalogueSummary): BackupSummary {
  return {
    id: record.id,
    job: record.job,
    machine: record.machine,
    kind: record.kind,
    owner: record.owner,
    nodes: nodesOf(record.nodes),
    points: totals.count,
    latestPoint: totals.newest,
    logicalBytes: totals.logicalBytes,
    storedBytes: totals.storedBytes,
    copy: !!record.origin,
    ...(record.origin ? {origin: record.origin} : {}),
    record,
  };
}

/** Each backup with its points counted: from its catalogue's segment headers (no row read) in a version 2 repository. */
export async function summarizeBackups(repo: Repository, records?: BackupRecord[]): Promise<BackupSummary[]> {
  const backups = records ?? (await repo.listBackups());
  const summaries = await mapLimit(backups, 8, async record => summaryOf(record, await repo.pointTotals(record.id)));
  return summaries
    .filter(s => s.points > 0)
    .sort((a, b) => (b.latestPoint ?? '').localeCompare(a.latestPoint ?? '') || a.machine.localeCompare(b.machine));
}

/**
 * What `target` holds of a backup's points: point id → how many of the
 * point's nodes it holds. Read from the target's catalogue (a few segment
 * reads however many points, only their ids parsed; none when it is
 * unchanged since the last call), never a manifest or a lookup per point; from the manifests only in
 * a version 1 target, which has no catalogue. A target without the backup
 * holds nothing.
 */
export async function copiedNodes(target: Repository, backup: BackupId): Promise<ReadonlyMap<string, number>> {
  return target.pointNodeCounts(backup);
}
