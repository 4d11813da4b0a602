/**
 * Runs a copy plan: for each restore point (oldest first), reads from the
 * source only the chunks the target lacks, verifies them as they are read —
 * a pack passed through whole by the SHA-256 of its bytes against its id,
 * which covers every stored byte of every chunk in it; chunks picked out of
 * a pack (or of a pack failing that check) each by decoding and hashing it
 * (transfer.ts, FORMAT.md "Copying") — passes the stored bytes on (no
 * re-compression), then commits the point on the target in the order data →
 * index → backup record → manifest. A point whose source data is damaged
 * fails alone, naming itself; nothing unverified is ever written. Cancel
 * leaves the target consistent.
 */
import {BackhaulError, cancelled, isBackhaulError} from '../errors.js';
import type {BackupId, ChunkId} from '../ids.js';
import type {BackupRecord, NodeInfo, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {RepositoryWriter} from '../repository/writer.js';
import {VerifyPool} from '../util/verify-pool.js';
import {transferChunks} from './transfer.js';
import type {CopyListener, CopyStats, CopySummary, Stage} from './events.js';
import type {CopyPlan, PlannedBackup, PlannedPoint} from './plan.js';
import {StatsClock} from './stats.js';

export interface RunOptions {
  signal?: AbortSignal;
  onEvent?: CopyListener;
  /** Source reads in flight (default 8). */
  concurrency?: number;
  waitMs?: number;
  /** Workers to verify with (else the run starts its own): the plan's, already warm. */
  pool?: VerifyPool;
}

function targetRecord(plan: PlannedBackup, source: Repository, existing: BackupRecord | undefined, nodes: Set<string>): BackupRecord {
  const keep = (n: NodeInfo) => nodes.has(n.name);
  const base: BackupRecord = existing ?? {
    ...plan.record, access: null,
    origin: {repositoryId: source.id, location: source.location, copiedAt: new Date().toISOString()},
  };
  const known = new Set(base.nodes.filter(keep).map((n) => n.name));
  const merged = [...base.nodes.filter(keep), ...plan.record.nodes.filter((n) => keep(n) && !known.has(n.name))];
  const order = plan.record.nodes.map((n) => n.name);
  merged.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return {...base, nodes: merged, origin: {...base.origin!, copiedAt: new Date().toISOString()}};
}

export async function runCopy(source: Repository, target: Repository, plan: CopyPlan, options: RunOptions = {}): Promise<CopySummary> {
  const emit = options.onEvent ?? (() => {});
  const clock = new StatsClock(plan.transferBytes);
  const summary: CopySummary = {result: 'success', pointsCopied: 0, pointsSkipped: plan.pointsSkipped, pointsFailed: 0, failed: [],
    logicalBytes: 0, readBytes: 0, transferredBytes: 0, storedBytes: 0, seconds: 0, rate: 0, bottleneck: 'source read', startedAt: new Date().toISOString(), endedAt: ''};
  emit({type: 'copy.start', plan});
  const ticker = setInterval(() => emit({type: 'copy.stats', stats: clock.snapshot(), totalTransfer: plan.transferBytes}), 250);
  let writer: RepositoryWriter | undefined;
  const pool = options.pool ?? new VerifyPool();
  try {
    if (plan.pointsToCopy > 0) writer = await RepositoryWriter.begin(target, `copy from ${source.location}`, {signal: options.signal, waitMs: options.waitMs});
    for (const backup of plan.backups) {
      for (const point of backup.points) {
        if (point.action === 'skip') {
          if (point.reason === 'already on target') emit({type: 'copy.point', backupId: backup.backupId, machine: backup.machine, pointId: point.id, status: 'skipped', message: point.reason, nodes: point.nodes});
          continue;
        }
        // The plan was made before the lock: a run we waited for may have copied this point meanwhile.
        if (await completeOnTarget(target, backup.backupId, point)) {
          summary.pointsSkipped++;
          emit({type: 'copy.point', backupId: backup.backupId, machine: backup.machine, pointId: point.id, status: 'skipped', message: 'already on target (copied meanwhile)', nodes: point.nodes});
          continue;
        }
        try {
          if (point.failure) throw new BackhaulError('corrupt', point.failure);
          await copyPoint(source, target, writer!, backup, point, clock, options, emit, pool);
          summary.pointsCopied++;
          emit({type: 'copy.point', backupId: backup.backupId, machine: backup.machine, pointId: point.id, status: 'copied', nodes: point.nodes});
        } catch (e) {
          if (!(isBackhaulError(e) && e.code === 'corrupt')) throw e;
          const message = `Restore point ${point.id} of ${backup.machine} (${point.time}) was not copied: ${e.message}`;
          summary.pointsFailed++;
          summary.failed.push({backupId: backup.backupId, pointId: point.id, machine: backup.machine, message});
          emit({type: 'copy.point', backupId: backup.backupId, machine: backup.machine, pointId: point.id, status: 'failed', message, nodes: point.nodes});
          emit({type: 'copy.log', level: 'error', message});
        }
      }
    }
    summary.result = summary.pointsFailed > 0 ? (summary.pointsCopied > 0 ? 'warning' : 'failed') : 'success';
  } catch (e) {
    summary.result = isBackhaulError(e) && e.code === 'cancelled' ? 'cancelled' : 'failed';
    finish(summary, clock, writer);
    emit({type: 'copy.done', summary});
    throw e;
  } finally {
    clearInterval(ticker);
    await writer?.close();
    if (!options.pool) await pool.close();
  }
  finish(summary, clock, writer);
  emit({type: 'copy.stats', stats: clock.snapshot(), totalTransfer: plan.transferBytes});
  emit({type: 'copy.done', summary});
  return summary;
}

function finish(summary: CopySummary, clock: StatsClock, writer: RepositoryWriter | undefined): void {
  const s: CopyStats = clock.snapshot();
  Object.assign(summary, {logicalBytes: s.processedBytes, readBytes: s.readBytes, transferredBytes: s.transferredBytes,
    storedBytes: writer?.stats.bytesAdded ?? 0, seconds: s.seconds, rate: s.rate, bottleneck: s.bottleneck, endedAt: new Date().toISOString()});
}

async function copyPoint(source: Repository, target: Repository, writer: RepositoryWriter, backup: PlannedBackup, point: PlannedPoint,
  clock: StatsClock, options: RunOptions, emit: CopyListener, pool: VerifyPool): Promise<void> {
  const startBytes = writer.stats.bytesAdded;
  for (const disk of point.disks) {
    const needed = disk.chunks.filter((id) => !writer.has(id));
    const total = needed.reduce((s, id) => s + source.index.lengthOf(id), 0);
    let done = 0;
    let chunksDone = 0;
    let lastEmit = 0;
    const progress = (force = false) => {
      const now = Date.now();
      if (!force && now - lastEmit < 100) return;
      lastEmit = now;
      emit({type: 'copy.disk', backupId: backup.backupId, machine: backup.machine, pointId: point.id, node: disk.node, disk: disk.disk, bytesDone: Math.min(done, total), bytesTotal: total, chunksDone: Math.min(chunksDone, needed.length), chunksTotal: needed.length});
    };
    progress(true);
    await transferChunks(source, writer, needed, {
      signal: options.signal, concurrency: options.concurrency ?? 8, clock, pool,
      onBytes: (bytes) => {
        done += bytes;
        chunksDone++;
        progress();
      },
    });
    done = total;
    chunksDone = needed.length;
    progress(true);
    clock.processedBytes += disk.logicalBytes;
  }
  const t3 = performance.now();
  const existing = backupOnTarget(target, backup.backupId);
  const previous = await target.getPoint(backup.backupId as BackupId, point.id).catch(() => undefined);
  const nodes = new Set(point.nodes);
  const record = targetRecord(backup, source, await existing, await allTargetNodes(target, backup.backupId, nodes));
  const manifest: PointManifest = {
    ...point.manifest, nodes: point.manifest.nodes.filter((n) => nodes.has(n.name)),
    storedBytes: (previous?.storedBytes ?? 0) + writer.stats.bytesAdded - startBytes,
    origin: {repositoryId: source.id, location: source.location, copiedAt: new Date().toISOString()},
  };
  manifest.logicalBytes = manifest.nodes.reduce((s, n) => s + n.disks.reduce((t, d) => t + d.logicalBytes, 0), 0);
  await writer.commitPoint(record, manifest, previous !== undefined);
  clock.add('target write', t3);
}

async function completeOnTarget(target: Repository, backupId: string, point: PlannedPoint): Promise<boolean> {
  const existing = await target.getPoint(backupId as BackupId, point.id).catch(() => undefined);
  return existing !== undefined && point.nodes.every((n) => existing.nodes.some((m) => m.name === n));
}

async function backupOnTarget(target: Repository, id: string): Promise<BackupRecord | undefined> {
  return target.getBackup(id).catch((e: unknown) => {
    if (e instanceof BackhaulError && e.code === 'not-found') return undefined;
    throw e;
  });
}

/** Nodes the target's copy holds in any point, plus the ones this point adds. */
async function allTargetNodes(target: Repository, id: string, adding: Set<string>): Promise<Set<string>> {
  const nodes = new Set(adding);
  const has = await target.storage.stat(`backups/${id}/backup.json`);
  if (has) for (const p of await target.listPoints(id as BackupId)) for (const n of p.nodes) nodes.add(n.name);
  return nodes;
}

export type {Stage};
