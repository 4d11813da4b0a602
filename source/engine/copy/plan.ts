/**
 * The copy plan: what a backup copy job will do, before it does it. Per backup,
 * point and node: logical bytes (as stored: each node with its shared disks,
 * like the reference system sends), the bytes it will read and transfer (only
 * chunks the target lacks, each once, whatever node references it), the bytes
 * already present, and whether the target has room. Nothing is written.
 */
import type {BackupId} from '../ids.js';
import {BackhaulError, isBackhaulError} from '../errors.js';
import type {BackupRecord, DiskManifest, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import type {ChunkId} from '../ids.js';
import {packKey} from '../repository/pack.js';
import {TreeIdCollector} from '../repository/tree-ids.js';
import {formatBytes} from '../util/format.js';
import {VerifyPool, type TreeChunkIds} from '../workers/verify-pool.js';
import {
  explicitPointIds,
  nothingSelected,
  parsePointSpec,
  selectBackups,
  selectNodes,
  type Selection,
} from './selection.js';
import {withinRetention} from './plan-retention.js';
import {lookUpGroup} from './group-lookups.js';
import type {ChunkIndex} from '../repository/index-store.js';

export interface PlannedDisk {
  node: string;
  disk: string;
  kind: string;
  shared: boolean;
  ownerNode?: string;
  logicalBytes: number;
  /**
   * The chunks this disk needs, in groups: its tree chunks first, then the
   * ids each tree chunk lists (the same array in every disk and point whose
   * tree holds that chunk, so a plan of many incremental points holds each
   * once). An id may appear in more than one group.
   */
  chunks: readonly (readonly string[])[];
  transferBytes: number;
  presentBytes: number;
}

export interface PlannedPoint {
  id: string;
  time: string;
  type: string;
  action: 'copy' | 'skip';
  reason?: string;
  /** Nodes the target's copy of this point will hold after the run. */
  nodes: string[];
  disks: PlannedDisk[];
  logicalBytes: number;
  transferBytes: number;
  presentBytes: number;
  manifest: PointManifest;
  /** Set when the source cannot say what this point needs (a damaged file tree): the run fails the point alone. */
  failure?: string;
}

export interface NodeTotals {
  name: string;
  logicalBytes: number;
  transferBytes: number;
  presentBytes: number;
}

export interface PlannedBackup {
  backupId: string;
  machine: string;
  job: string;
  kind: string;
  owner: string;
  onTarget: boolean;
  record: BackupRecord;
  points: PlannedPoint[];
  nodes: NodeTotals[];
  logicalBytes: number;
  transferBytes: number;
  presentBytes: number;
  sharedNote?: string;
}

export interface CopyPlan {
  source: {location: string; id: string};
  target: {location: string; id: string};
  backups: PlannedBackup[];
  pointsToCopy: number;
  /** Every point the plan skips, whatever the reason (the points listed with action 'skip'). */
  pointsSkipped: number;
  /** Of those, the ones already on the target (a run counts these as skipped; the others are not part of it). */
  pointsOnTarget: number;
  /** Of those, the ones the selection leaves out (`--points latest` skips the older ones). */
  pointsNotSelected: number;
  logicalBytes: number;
  readBytes: number;
  transferBytes: number;
  storeBytes: number;
  presentBytes: number;
  chunksToTransfer: number;
  freeBytes?: number;
  fits: boolean;
  notes: string[];
}

/** Per-chunk bookkeeping overhead in packs and index files, for the free-space check. */
export const CHUNK_OVERHEAD = 160;

/** What a plan has learnt of the source's file trees: whole trees, and each tree chunk as scanned. */
interface TreeCache {
  trees: Map<string, (readonly string[])[]>;
  chunks: Map<string, Promise<TreeChunkIds | undefined>>;
}

/**
 * Starts scanning a file tree's chunks in the pool's workers (each tree
 * chunk once per plan: an incremental point's tree shares most of its chunks
 * with the point before), so they are scanned while the plan counts others.
 */
function scanTree(
  source: Repository,
  tree: readonly string[],
  cache: TreeCache,
  pool: VerifyPool,
): Promise<TreeChunkIds | undefined>[] {
  const local = source.storage.local;
  return tree.map(id => {
    let p = cache.chunks.get(id);
    if (p) return p;
    const loc = source.index.get(id);
    p =
      !local || !loc
        ? Promise.resolve(undefined)
        : pool.treeChunk({path: local.path(packKey(loc.pack))}, [
            id,
            loc.offset,
            loc.length,
            loc.rawLength,
            loc.encoding,
          ]);
    p.catch(() => {});
    cache.chunks.set(id, p);
    return p;
  });
}

/**
 * The chunks a disk needs, in groups (PlannedDisk.chunks). A file tree is
 * scanned for ids (tree-ids.ts) rather than parsed; from a local directory
 * the pool's workers read, verify and scan its chunks on both cores. A tree
 * chunk they cannot handle is read here, which names what is wrong with it.
 */
async function diskChunks(
  source: Repository,
  disk: DiskManifest,
  cache: TreeCache,
  pool: VerifyPool,
): Promise<(readonly string[])[]> {
  if (disk.image) return [disk.image.chunks];
  const tree = disk.tree ?? [];
  const key = tree.join(',');
  let groups = cache.trees.get(key);
  if (groups) return groups;
  const scans = scanTree(source, tree, cache, pool);
  const collector = new TreeIdCollector();
  collector.groups.push(tree);
  for (const [i, id] of tree.entries()) {
    const scanned = await scans[i];
    if (scanned) collector.add(scanned.head, scanned.ids, scanned.tail);
    else collector.addChunk(await source.readChunk(id as ChunkId));
  }
  cache.trees.set(key, (groups = collector.finish()));
  return groups;
}

export interface PlanOptions {
  /** Workers to read file trees with (else the plan starts its own). */
  pool?: VerifyPool;
}

export async function planCopy(
  source: Repository,
  target: Repository,
  selection: Selection,
  options: PlanOptions = {},
): Promise<CopyPlan> {
  const pool = options.pool ?? new VerifyPool(undefined, source.codec.params());
  try {
    return await countPlan(source, target, await planSkeleton(source, target, selection), pool);
  } finally {
    if (!options.pool) await pool.close();
  }
}

/** A disk of a point the plan copies, before its chunks are known. */
export interface DiskTask {
  pb: PlannedBackup;
  point: PlannedPoint;
  totals: NodeTotals;
  node: string;
  disk: DiskManifest;
}

/** A plan whose points are decided (copy or skip, and why) but whose disks are not counted yet. */
export interface PlanSkeleton {
  readonly plan: CopyPlan;
  /** The disks of the points to copy, in the order the run copies them. */
  readonly tasks: readonly DiskTask[];
}

/**
 * What a plan decides from manifests alone, reading no file tree: which
 * points of which backups to copy (those whose selected nodes the target
 * lacks) and which to skip, oldest first; the bytes are counted by countPlan.
 */
/**
 * The nodes of each point the target holds of a backup: from its catalogue
 * (one listing and a handful of reads, not a request per point) in a
 * version 2 target; from its manifests in a version 1 one.
 */
async function nodesOnTarget(target: Repository, backup: BackupId): Promise<Map<string, string[]>> {
  const held = new Map<string, string[]>();
  for (const p of await target.listPointSummaries(backup)) held.set(p.id, p.nodes);
  return held;
}

export async function planSkeleton(
  source: Repository,
  target: Repository,
  selection: Selection,
): Promise<PlanSkeleton> {
  if (target.config.version < source.config.version) {
    // Its zstd blobs and version 2 packs would be unreadable to the Backhaul versions that read the target.
    throw new BackhaulError(
      'usage',
      `${target.location} is a version ${target.config.version} repository; ${source.location} is version ${source.config.version}.`,
      `Upgrade the target first: \`backhaul repo upgrade\`; nothing was copied.`,
    );
  }
  if (source.id === target.id)
    throw new BackhaulError(
      'usage',
      'The source and the target are the same repository.',
      'Copy to a secondary repository.',
    );
  const filter = parsePointSpec(selection.points);
  const backups = selectBackups(await source.listBackups(), selection).sort((a, b) =>
    a.machine.localeCompare(b.machine),
  );
  if (backups.length === 0) throw nothingSelected(source.location, selection, 0);
  const plan: CopyPlan = {
    source: {location: source.location, id: source.id},
    target: {location: target.location, id: target.id},
    backups: [],
    pointsToCopy: 0,
    pointsSkipped: 0,
    pointsOnTarget: 0,
    pointsNotSelected: 0,
    logicalBytes: 0,
    readBytes: 0,
    transferBytes: 0,
    storeBytes: 0,
    presentBytes: 0,
    chunksToTransfer: 0,
    fits: true,
    notes: [],
  };
  // First what is copied, then every tree it needs goes to the workers at once, then the counting.
  const tasks: DiskTask[] = [];
  let pickedAny = false;
  for (const record of backups) {
    const wantNodes = selectNodes(record, selection.nodes);
    const onTarget = (await target.storage.stat(`backups/${record.id}/backup.json`)) !== undefined;
    let {picked, filtered} = filter(await source.listPoints(record.id));
    pickedAny ||= picked.length > 0;
    if (selection.retention)
      ({picked, filtered} = await withinRetention(picked, filtered, target, record.id, onTarget, selection.retention));
    const pb: PlannedBackup = {
      backupId: record.id,
      machine: record.machine,
      job: record.job,
      kind: record.kind,
      owner: record.owner,
      onTarget,
      record,
      points: [],
      nodes: wantNodes.map(name => ({name, logicalBytes: 0, transferBytes: 0, presentBytes: 0})),
      logicalBytes: 0,
      transferBytes: 0,
      presentBytes: 0,
    };
    for (const manifest of filtered) {
      pb.points.push({
        id: manifest.id,
        time: manifest.time,
        type: manifest.type,
        action: 'skip',
        reason: 'not selected',
        nodes: [],
        disks: [],
        logicalBytes: 0,
        transferBytes: 0,
        presentBytes: 0,
        manifest,
      });
      plan.pointsSkipped++;
      plan.pointsNotSelected++;
    }
    const held = onTarget ? await nodesOnTarget(target, record.id as BackupId) : undefined;
    for (const manifest of [...picked].sort((a, b) => a.time.localeCompare(b.time))) {
      const have = new Set(held ? (held.get(manifest.id) ?? []) : []);
      const missing = wantNodes.filter(n => !have.has(n) && manifest.nodes.some(m => m.name === n));
      const point: PlannedPoint = {
        id: manifest.id,
        time: manifest.time,
        type: manifest.type,
        action: 'copy',
        nodes: manifest.nodes.map(n => n.name).filter(n => have.has(n) || missing.includes(n)),
        disks: [],
        logicalBytes: 0,
        transferBytes: 0,
        presentBytes: 0,
        manifest,
      };
      pb.points.push(point);
      if (missing.length === 0) {
        point.action = 'skip';
        point.reason = 'already on target';
        plan.pointsSkipped++;
        plan.pointsOnTarget++;
        continue;
      }
      plan.pointsToCopy++;
      tasks.push(...pointTasks(pb, point, manifest, missing));
    }
    pb.points.sort((a, b) => a.time.localeCompare(b.time));
    plan.backups.push(pb);
  }
  const named = explicitPointIds(selection.points);
  const found = new Set(plan.backups.flatMap(b => b.points.map(p => p.id)));
  const unknown = named?.filter(id => !found.has(id)) ?? [];
  if (unknown.length > 0)
    throw new BackhaulError(
      'not-found',
      `No restore point ${unknown.map(id => `"${id}"`).join(', ')} in the selected backups.`,
      'Run `backhaul points BACKUP_ID --repo SOURCE` to see the ids.',
    );
  if (!pickedAny) throw nothingSelected(source.location, selection, backups.length);
  return {plan, tasks};
}

/**
 * The disks of one point to copy, in the order the run copies them: each
 * shared disk first under the node that owns it (the only node the agent
 * reads it on) when that node is copied, then every disk in manifest order.
 * Chunks count (and move) under the first disk that needs them, so a shared
 * disk's transfer is attributed to its owner node, not to whichever node
 * happens to come first; when the owner is not copied it goes with the
 * first node that is (sharedNote says so).
 */
function pointTasks(
  pb: PlannedBackup,
  point: PlannedPoint,
  manifest: PointManifest,
  copied: readonly string[],
): DiskTask[] {
  const tasks: DiskTask[] = [];
  for (const node of manifest.nodes.filter(n => copied.includes(n.name))) {
    const totals = pb.nodes.find(t => t.name === node.name)!;
    for (const disk of node.disks) tasks.push({pb, point, totals, node: node.name, disk});
  }
  const ownsIt = (t: DiskTask) => t.disk.shared && t.disk.ownerNode === t.node;
  return [...tasks.filter(ownsIt), ...tasks.filter(t => !ownsIt(t))];
}

/** Who sends each shared disk of a cluster backup, for its note: the owner node, or the first copied node when the owner is not copied. */
function sharedSenders(pb: PlannedBackup): string {
  const senders = new Map<string, string>();
  for (const d of pb.points.flatMap(p => p.disks)) {
    if (!d.shared || senders.has(d.disk)) continue;
    const owner = d.ownerNode ?? '?';
    const ownerCopied = pb.points.some(p => p.disks.some(x => x.disk === d.disk && x.node === owner));
    senders.set(
      d.disk,
      ownerCopied
        ? `${d.disk} with ${owner} (its owner)`
        : `${d.disk} with ${d.node} (its owner ${owner} is not copied)`,
    );
  }
  return [...senders.values()].join(', ');
}

/**
 * Counts the skeleton's disks and completes its plan (in place, and returns
 * it), each disk in the run's order; `onDisk` hears of each as soon as it is
 * (undefined: its tree could not be read, and its point has a failure).
 * Without `onDisk` every tree goes to the workers at once. With it (a run
 * copying while the plan counts, stream.ts) each disk's tree goes to them
 * only when its turn comes: the run's packs then queue at the workers behind
 * one disk's tree chunks, not behind every tree of the plan, so the first
 * disk starts moving as soon as its own tree is scanned.
 */
export async function countPlan(
  source: Repository,
  target: Repository,
  skeleton: PlanSkeleton,
  pool: VerifyPool,
  onDisk?: (disk: PlannedDisk | undefined) => void,
): Promise<CopyPlan> {
  const {plan, tasks} = skeleton;
  const trees: TreeCache = {trees: new Map(), chunks: new Map()};
  if (!onDisk) for (const t of tasks) if (t.disk.tree) scanTree(source, t.disk.tree, trees, pool);
  await countDisks(source, target, plan, tasks, trees, pool, onDisk);
  for (const pb of plan.backups) {
    const sharedLogical = pb.points
      .flatMap(p => p.disks)
      .filter(d => d.shared)
      .reduce((s, d) => s + d.logicalBytes, 0);
    if (pb.kind === 'cluster' && sharedLogical > 0 && pb.logicalBytes > pb.transferBytes) {
      pb.sharedNote = `${pb.machine}: shared disks count once per node in the logical size (${formatBytes(pb.logicalBytes)}, of which ${formatBytes(sharedLogical)} shared-disk data) but each shared chunk is sent and stored once: ${formatBytes(pb.transferBytes)} to transfer. Each shared disk's transfer counts under the node that sends it: ${sharedSenders(pb)}.`;
      plan.notes.push(pb.sharedNote);
    }
  }
  plan.readBytes = plan.transferBytes;
  plan.storeBytes = plan.transferBytes + plan.chunksToTransfer * CHUNK_OVERHEAD;
  plan.freeBytes = await target.storage.freeSpace();
  plan.fits = plan.freeBytes === undefined || plan.storeBytes <= plan.freeBytes;
  if (plan.freeBytes === undefined)
    plan.notes.push(
      `Free space on ${target.location} cannot be known (object storage); this copy will store about ${formatBytes(plan.storeBytes)}.`,
    );
  return plan;
}

/**
 * Counts each chunk once for the whole plan, in the order the run will copy
 * (oldest point first): as present on the target, or to transfer. A group of
 * ids met before (a tree chunk shared by several points) was counted whole
 * the first time.
 */
async function countDisks(
  source: Repository,
  target: Repository,
  plan: CopyPlan,
  tasks: readonly DiskTask[],
  trees: TreeCache,
  pool: VerifyPool,
  onDisk?: (disk: PlannedDisk | undefined) => void,
): Promise<void> {
  // Each chunk counts once: by its source slot, or (ids the index lacked until it was read again) by id.
  // (Made at the first disk: a re-run with nothing to copy never loads the source's index.)
  let countedSlots: {index: ChunkIndex | undefined; seen: Uint8Array<ArrayBuffer>} = {
    index: undefined,
    seen: new Uint8Array(0),
  };
  const counted = new Set<string>();
  const countedGroups = new WeakSet<readonly string[]>();
  for (const {pb, point, totals, node, disk} of tasks) {
    let chunks: (readonly string[])[];
    try {
      chunks = await diskChunks(source, disk, trees, pool);
    } catch (e) {
      if (!(isBackhaulError(e) && e.code === 'corrupt')) throw e;
      point.failure ??= `${node}/${disk.name}: ${e.message}`;
      onDisk?.(undefined);
      continue;
    }
    // A target opened with its index deferred loads it while the workers scan the first tree (copy/stream.ts).
    await target.loadIndex();
    const pd: PlannedDisk = {
      node,
      disk: disk.name,
      kind: disk.kind,
      shared: disk.shared,
      ...(disk.ownerNode ? {ownerNode: disk.ownerNode} : {}),
      logicalBytes: disk.logicalBytes,
      chunks,
      transferBytes: 0,
      presentBytes: 0,
    };
    const count = (present: boolean, size: number) => {
      if (present) pd.presentBytes += size;
      else {
        pd.transferBytes += size;
        plan.chunksToTransfer++;
      }
    };
    // Chunks the source's index lacks are counted once it has been re-read: another writer may have
    // committed this point after the index was loaded (a chunk missing even then counts 0 B, and the run fails its point).
    const unknown: string[] = [];
    const index = source.index;
    if (countedSlots.index !== index) countedSlots = {index, seen: new Uint8Array(index.slotCount)};
    if (countedSlots.seen.length < index.slotCount) countedSlots.seen = grow(countedSlots.seen, index.slotCount);
    const seen = countedSlots.seen;
    for (const group of chunks) {
      if (countedGroups.has(group)) continue;
      countedGroups.add(group);
      // Each id looked up once in both indexes; the run's scheduler reads the answers (group-lookups.ts).
      const {slots, present} = lookUpGroup(group, index, target.index);
      for (let i = 0; i < group.length; i++) {
        const slot = slots[i]!;
        if (slot < 0) {
          if (!counted.has(group[i]!)) unknown.push(group[i]!);
        } else if (seen[slot] === 0) {
          seen[slot] = 1;
          count(present[i] === 1, index.lengthAt(slot));
        }
      }
    }
    if (unknown.length > 0) await source.refreshForMissing(unknown);
    for (const id of unknown) {
      const slot = source.index === index ? index.slotOf(id) : -1;
      if (slot >= 0) {
        // Found now: counted by slot like the others, so a later group naming it does not count it again.
        if (slot >= countedSlots.seen.length) countedSlots.seen = grow(countedSlots.seen, index.slotCount);
        if (countedSlots.seen[slot] === 1) continue;
        countedSlots.seen[slot] = 1;
      } else if (counted.has(id)) continue;
      counted.add(id);
      count(target.index.has(id), source.index.lengthOf(id));
    }
    point.disks.push(pd);
    // The disk counts in its point, node, backup and plan (the plan's totals grow as a streamed run goes).
    for (const sum of [point, totals, pb, plan]) {
      sum.logicalBytes += pd.logicalBytes;
      sum.transferBytes += pd.transferBytes;
      sum.presentBytes += pd.presentBytes;
    }
    onDisk?.(pd);
  }
}

function grow(seen: Uint8Array, size: number): Uint8Array<ArrayBuffer> {
  const grown = new Uint8Array(size);
  grown.set(seen);
  return grown;
}

export function refuseIfTooBig(plan: CopyPlan): void {
  if (!plan.fits) {
    throw new BackhaulError(
      'no-space',
      `The copy needs about ${formatBytes(plan.storeBytes)} but ${plan.target.location} has only ${formatBytes(plan.freeBytes ?? 0)} free.`,
      'Nothing was written. Free space on the target, or copy fewer points (e.g. --points latest).',
    );
  }
}
