/**
 * Runs a copy plan: reads from the source only the chunks the target lacks,
 * each once, in one pipeline over every point (oldest first) and disk
 * (transfer.ts); verifies them as they are read — a pack passed through
 * whole by the SHA-256 of its bytes against its id, which covers every
 * stored byte of every chunk in it; chunks picked out of a pack (or of a
 * pack failing that check) each by decoding and hashing it (FORMAT.md
 * "Copying") — passes the stored bytes on (no re-compression), and commits
 * each point on the target, as soon as all it needs has landed, in the order
 * data → index → backup record → manifest. A point whose source data is
 * damaged fails alone, naming itself; nothing unverified is ever written.
 * Cancel leaves the target consistent. What the storages and the lock report
 * (retries, stalls, a stale lock taken over) becomes `copy.log` events and
 * the summary's `retries`, `stalls` and `notices`.
 */
import {BackhaulError, isBackhaulError} from '../errors.js';
import type {BackupId} from '../ids.js';
import type {BackupRecord, NodeInfo, NodeManifest, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {RepositoryWriter, type WriterNotice} from '../repository/writer.js';
import type {StorageNotice} from '../storage/storage.js';
import {VerifyPool} from '../workers/verify-pool.js';
import {withPointMergeLock} from '../repository/point-merge-lock.js';
import type {CopyGate} from './gate.js';
import {Scheduler} from './schedule.js';
import {transferChunks} from './transfer.js';
import {Rekeyer} from './rekey.js';
import type {CopyListener, CopyStats, CopySummary, Stage} from './events.js';
import type {CopyPlan, PlannedBackup, PlannedDisk, PlannedPoint} from './plan.js';
import {StatsClock} from './stats.js';

export interface RunOptions {
  signal?: AbortSignal;
  onEvent?: CopyListener;
  /** Source reads (packs) in flight (default: packsInFlight). */
  concurrency?: number;
  waitMs?: number;
  /** Workers to verify with (else the run starts its own): the plan's, already warm. */
  pool?: VerifyPool;
  /**
   * Re-identify every chunk with the target's id function and rewrite trees
   * and manifests (rekey.ts) instead of passing packs through. Default: when
   * the two repositories' chunks are stored under different keys.
   */
  rekey?: boolean;
  /** Asked before each pack is sent (gate.ts): a bandwidth limit, a saved job's copy window. */
  gate?: CopyGate;
}

function targetRecord(
  plan: PlannedBackup,
  source: Repository,
  existing: BackupRecord | undefined,
  nodes: Set<string>,
): BackupRecord {
  const keep = (n: NodeInfo) => nodes.has(n.name);
  const base: BackupRecord = existing ?? {
    ...plan.record,
    access: null,
    origin: {repositoryId: source.id, location: source.location, copiedAt: new Date().toISOString()},
  };
  const known = new Set(base.nodes.filter(keep).map(n => n.name));
  const merged = [...base.nodes.filter(keep), ...plan.record.nodes.filter(n => keep(n) && !known.has(n.name))];
  const order = plan.record.nodes.map(n => n.name);
  merged.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return {...base, nodes: merged, origin: {...base.origin!, copiedAt: new Date().toISOString()}};
}

/**
 * A plan the run follows: complete (runCopy), or still being counted while
 * the run copies what it has (runPlan, from stream.ts): its disks arrive in
 * run order, one for each disk of each point to copy.
 */
export interface PlanInput {
  readonly plan: CopyPlan;
  /** For each point to copy, how many disks it has (what `disks` will bring for it). */
  readonly disksOf: ReadonlyMap<PlannedPoint, number>;
  /** Undefined: a disk whose tree could not be read (its point has a failure). */
  readonly disks: AsyncIterable<PlannedDisk | undefined>;
  /** Settles once the plan is complete; undefined when it already is. */
  readonly counting?: Promise<CopyPlan>;
}

/** A plan that is complete. */
export function completePlan(plan: CopyPlan): PlanInput {
  const points = plan.backups.flatMap(b => b.points.filter(p => p.action === 'copy'));
  return {
    plan,
    disksOf: new Map(points.map(p => [p, p.disks.length])),
    disks: (async function* () {
      for (const p of points) yield* p.disks;
    })(),
  };
}

/** A point this run copies, with where its disks start in the run's sequence of segments. */
interface PointWork {
  backup: PlannedBackup;
  point: PlannedPoint;
  /** Its disks are the segments [first, first + count). */
  first: number;
  count: number;
  /** Found complete on the target once the lock was taken: its disks are not copied. */
  skipped: boolean;
}

export function runCopy(
  source: Repository,
  target: Repository,
  plan: CopyPlan,
  options: RunOptions = {},
): Promise<CopySummary> {
  return runPlan(source, target, completePlan(plan), options);
}

export async function runPlan(
  source: Repository,
  target: Repository,
  input: PlanInput,
  options: RunOptions = {},
): Promise<CopySummary> {
  const {plan} = input;
  const emit = options.onEvent ?? (() => {});
  const clock = new StatsClock(plan.transferBytes);
  const summary: CopySummary = {
    result: 'success',
    pointsCopied: 0,
    pointsSkipped: plan.pointsOnTarget,
    pointsFailed: 0,
    failed: [],
    logicalBytes: 0,
    readBytes: 0,
    transferredBytes: 0,
    storedBytes: 0,
    seconds: 0,
    rate: 0,
    bottleneck: 'source read',
    startedAt: new Date().toISOString(),
    endedAt: '',
    retries: 0,
    stalls: 0,
    notices: [],
  };
  emit({type: 'copy.start', plan});
  const unwatch = watchNotices(source, target, summary, emit);
  const stats = () => {
    clock.totalTransfer = plan.transferBytes; // grows while the plan is still being counted
    emit({type: 'copy.stats', stats: clock.snapshot(), totalTransfer: plan.transferBytes});
  };
  const ticker = setInterval(stats, 250);
  void input.counting?.then(
    complete => emit({type: 'copy.plan', plan: complete}),
    () => {},
  );
  let writer: RepositoryWriter | undefined;
  let closed = false;
  const pool = options.pool ?? new VerifyPool(undefined, source.codec.params());
  const onNotice = (n: WriterNotice) => {
    summary.notices.push(n.message);
    emit({
      type: 'copy.log',
      level: n.kind === 'lock-takeover' ? 'warning' : 'info',
      message: n.message,
      topic: n.kind === 'lock-takeover' ? 'lock' : 'uploads',
    });
  };
  try {
    if (plan.pointsToCopy > 0)
      writer = await RepositoryWriter.begin(target, `copy from ${source.location}`, {
        signal: options.signal,
        waitMs: options.waitMs,
        onNotice,
      });
    const work: PointWork[] = [];
    let segments = 0;
    for (const backup of plan.backups) {
      for (const point of backup.points) {
        if (point.action === 'skip') {
          if (point.reason === 'already on target')
            emit({
              type: 'copy.point',
              backupId: backup.backupId,
              machine: backup.machine,
              pointId: point.id,
              status: 'skipped',
              message: point.reason,
              nodes: point.nodes,
            });
          continue;
        }
        const count = input.disksOf.get(point) ?? 0;
        // The plan was made before the lock: a run we waited for may have copied this point meanwhile.
        const complete = await completeOnTarget(target, backup.backupId, point);
        const skipped = complete !== undefined;
        if (complete) {
          // Planned from the target's catalogue, which lacks it: its writer was killed between manifest and
          // segment (or another writer is about to write it). Name it, or list and points never show it.
          await writer!.catalogue(complete);
          summary.pointsSkipped++;
          emit({
            type: 'copy.point',
            backupId: backup.backupId,
            machine: backup.machine,
            pointId: point.id,
            status: 'skipped',
            message: 'already on target (copied meanwhile)',
            nodes: point.nodes,
          });
        }
        work.push({backup, point, first: segments, count, skipped});
        segments += count;
      }
    }
    const rekey = options.rekey ?? !sameKey(source, target);
    if (work.length > 0 && rekey)
      await copyPointsRekeyed(source, target, writer!, work, input, summary, clock, emit, stats);
    else if (work.length > 0)
      await copyPoints(source, target, writer!, work, input, summary, clock, options, emit, pool, stats);
    await input.counting; // a plan that failed fails the run (its error), even once every point it gave is copied
    // Releasing the lock finds out whether it was still ours: if not, the run failed (its error).
    closed = true;
    await writer?.close();
    // Partial while the target holds some of the selection (copied now, or before); failed when it holds none of it.
    const onTarget = summary.pointsCopied + summary.pointsSkipped;
    summary.result = summary.pointsFailed > 0 ? (onTarget > 0 ? 'warning' : 'failed') : 'success';
  } catch (e) {
    summary.result = isBackhaulError(e) && e.code === 'cancelled' ? 'cancelled' : 'failed';
    if (!closed) await writer?.close().catch(() => {}); // this run's error is the one to report
    finish(summary, clock, writer);
    emit({type: 'copy.done', summary});
    throw e;
  } finally {
    clearInterval(ticker);
    unwatch();
    if (!options.pool) await pool.close();
  }
  finish(summary, clock, writer);
  stats();
  emit({type: 'copy.done', summary});
  return summary;
}

/** Relays what the storages report (retries, stalls) as log events, counted in the summary. */
function watchNotices(source: Repository, target: Repository, summary: CopySummary, emit: CopyListener): () => void {
  const on = (n: StorageNotice) => {
    summary.retries++;
    if (n.kind === 'stall') {
      summary.stalls++;
      if (summary.notices.length < 100) summary.notices.push(n.message);
    }
    emit({type: 'copy.log', level: 'warning', message: n.message, topic: 'storage'});
  };
  const stops = [source.storage.watch?.(on), target.storage.watch?.(on)];
  return () => stops.forEach(stop => stop?.());
}

/** A point whose source data is damaged or missing (every reason a point fails alone is corruption of the source). */
function failPoint(
  summary: CopySummary,
  emit: CopyListener,
  backup: PlannedBackup,
  point: PlannedPoint,
  reason: string,
): void {
  const message = `Restore point ${point.id} of ${backup.machine} (${point.time}) was not copied: ${reason}`;
  summary.pointsFailed++;
  summary.failed.push({
    backupId: backup.backupId,
    pointId: point.id,
    machine: backup.machine,
    message,
    code: 'corrupt',
  });
  emit({
    type: 'copy.point',
    backupId: backup.backupId,
    machine: backup.machine,
    pointId: point.id,
    status: 'failed',
    message,
    nodes: point.nodes,
  });
  emit({type: 'copy.log', level: 'error', message});
}

function finish(summary: CopySummary, clock: StatsClock, writer: RepositoryWriter | undefined): void {
  const s: CopyStats = clock.snapshot();
  Object.assign(summary, {
    logicalBytes: s.processedBytes,
    readBytes: s.readBytes,
    transferredBytes: s.transferredBytes,
    storedBytes: writer?.stats.bytesAdded ?? 0,
    seconds: s.seconds,
    rate: s.rate,
    bottleneck: s.bottleneck,
    endedAt: new Date().toISOString(),
  });
}

/**
 * Every point's disks as one sequence of segments through one transfer
 * pipeline (schedule.ts, transfer.ts), oldest point first, fed as the plan
 * counts them; each point is committed as soon as its last disk is done,
 * while the packs of the points after it are already on their way. A point
 * is committed only if every chunk it needs is on the target; a damaged
 * source chunk fails the points that need it.
 */
async function copyPoints(
  source: Repository,
  target: Repository,
  writer: RepositoryWriter,
  work: PointWork[],
  input: PlanInput,
  summary: CopySummary,
  clock: StatsClock,
  options: RunOptions,
  emit: CopyListener,
  pool: VerifyPool,
  stats: () => void,
): Promise<void> {
  const scheduler = new Scheduler(source, writer);
  const workOf: PointWork[] = work.flatMap(w => Array.from({length: w.count}, () => w));
  const disks: (PlannedDisk | undefined)[] = [];
  let stopped = false;
  const feeding = (async () => {
    try {
      for await (const disk of input.disks) {
        if (stopped) return;
        const w = workOf[disks.length];
        disks.push(disk);
        const unknown = scheduler.openSegment({groups: !disk || !w || w.skipped ? [] : disk.chunks});
        // Chunks the source's index lacks: it is read again once (another writer may have indexed them since).
        if (unknown.length > 0) await source.refreshForMissing(unknown);
        scheduler.closeSegment(unknown);
      }
      scheduler.end();
    } catch (e) {
      scheduler.fail(e);
    }
  })();
  // Every chunk a point needs was scheduled under it or a point before it, or was on the target already, so once
  // its disks are done only a chunk found damaged (or missing) in the source can be missing: then each is checked.
  // Groups found whole on the target once stay so for the rest of the run (a writer never drops a chunk).
  const present = new WeakSet<readonly string[]>();
  const firstMissing = (w: PointWork) => {
    if (scheduler.damaged.size === 0) return undefined;
    for (const d of w.point.disks) {
      for (const group of d.chunks) {
        if (present.has(group)) continue;
        const missing = group.find(id => !writer.has(id));
        if (missing !== undefined) return missing;
        present.add(group);
      }
    }
    return undefined;
  };
  const progress: {done: number; chunksDone: number; lastEmit: number; credited: number}[] = [];
  const progressOf = (k: number) => (progress[k] ??= {done: 0, chunksDone: 0, lastEmit: 0, credited: 0});
  // A disk's logical bytes count as processed as its stored bytes land, not all at its end: a run of
  // one large disk otherwise reports nothing processed (and a rate of 0 B/s) until it is over.
  const creditProcessed = (k: number, whole: boolean) => {
    if (workOf[k]?.skipped) return;
    const p = progressOf(k);
    const logical = disks[k]?.logicalBytes ?? 0;
    const total = scheduler.scheduled[k]?.bytes ?? 0;
    const due = whole || total === 0 ? logical : Math.floor(logical * Math.min(1, p.done / total));
    clock.processedBytes += Math.max(0, due - p.credited);
    p.credited = Math.max(p.credited, due);
  };
  const report = (k: number, force = false) => {
    const disk = disks[k];
    if (!disk) return;
    const p = progressOf(k);
    const now = Date.now();
    if (!force && now - p.lastEmit < 100) return;
    // A disk's first bytes and its end also refresh the figures, whatever the ticker's phase.
    const first = p.lastEmit === 0;
    p.lastEmit = now;
    const w = workOf[k]!;
    const total = scheduler.scheduled[k]!;
    emit({
      type: 'copy.disk',
      backupId: w.backup.backupId,
      machine: w.backup.machine,
      pointId: w.point.id,
      node: disk.node,
      disk: disk.disk,
      bytesDone: Math.min(p.done, total.bytes),
      bytesTotal: total.bytes,
      chunksDone: Math.min(p.chunksDone, total.chunks),
      chunksTotal: total.chunks,
    });
    if (first || force) stats();
  };
  let nextPoint = 0;
  const commitReady = async (doneUpTo: number) => {
    while (nextPoint < work.length && work[nextPoint]!.first + work[nextPoint]!.count - 1 <= doneUpTo) {
      const w = work[nextPoint++]!;
      if (w.skipped) continue;
      if (w.point.failure) {
        failPoint(summary, emit, w.backup, w.point, w.point.failure);
        continue;
      }
      const missing = firstMissing(w);
      if (missing !== undefined) {
        failPoint(
          summary,
          emit,
          w.backup,
          w.point,
          scheduler.damaged.get(missing) ??
            `chunk ${missing.slice(0, 12)} could not be copied from ${source.location}.`,
        );
        continue;
      }
      const stored = Array.from({length: w.count}, (_, i) => scheduler.scheduled[w.first + i]!.bytes).reduce(
        (a, b) => a + b,
        0,
      );
      await commitPoint(source, target, writer, w, stored, clock);
      summary.pointsCopied++;
      emit({
        type: 'copy.point',
        backupId: w.backup.backupId,
        machine: w.backup.machine,
        pointId: w.point.id,
        status: 'copied',
        nodes: w.point.nodes,
      });
    }
  };
  try {
    await transferChunks(source, writer, scheduler, {
      signal: options.signal,
      concurrency: options.concurrency ?? packsInFlight(target),
      clock,
      pool,
      gate: options.gate,
      onBytes: (k, bytes, chunks) => {
        const p = progressOf(k);
        p.done += bytes;
        p.chunksDone += chunks;
        creditProcessed(k, false);
        report(k);
      },
      onSegmentDone: async k => {
        creditProcessed(k, true);
        report(k, true);
        await commitReady(k);
      },
    });
  } finally {
    stopped = true; // a transfer that stopped early (cancel, a failed write) needs no more of the plan
    scheduler.end();
    await feeding;
  }
  await commitReady(Infinity); // points with no disks
  // What landed for points that failed is kept (durable and indexed): a re-run after a repair sends only what was damaged.
  await writer.flush();
}

/**
 * Packs in flight unless the caller says: 8, or for a target that checks each upload's hash itself
 * (object storage) as many requests as it likes in flight (at least 8). Such a pack costs this process
 * little beyond its request, whose latency bounds the copy, and a loaded server answers more of them at
 * once (measured against the loopback RGW: 16 in flight copied 1 GiB faster than 8, in less CPU).
 */
export function packsInFlight(target: Repository): number {
  const storage = target.storage;
  return storage.checksContentHash ? Math.max(8, storage.preferredConcurrency) : 8;
}

/** Whether chunks can pass from `source` to `target` as stored: the same id function and the same key. */
function sameKey(source: Repository, target: Repository): boolean {
  return source.codec.sameKeyAs(target.codec);
}

/**
 * Every point, oldest first, chunk by chunk through the target's id function
 * (rekey.ts): used between repositories whose chunks are stored under
 * different keys. A point whose source data is damaged fails alone; the
 * others are still copied.
 */
async function copyPointsRekeyed(
  source: Repository,
  target: Repository,
  writer: RepositoryWriter,
  work: PointWork[],
  input: PlanInput,
  summary: CopySummary,
  clock: StatsClock,
  emit: CopyListener,
  stats: () => void,
): Promise<void> {
  for await (const disk of input.disks) void disk; // the plan, still being counted, needs its disks taken
  const rekeyer = new Rekeyer(source, writer, clock);
  for (const w of work) {
    if (w.skipped) continue;
    if (w.point.failure) {
      failPoint(summary, emit, w.backup, w.point, w.point.failure);
      continue;
    }
    const before = writer.stats.bytesAdded;
    let nodes: NodeManifest[];
    try {
      nodes = await rekeyer.point(w.point.manifest, new Set(w.point.nodes));
    } catch (e) {
      if (!(isBackhaulError(e) && (e.code === 'corrupt' || e.code === 'not-found'))) throw e;
      failPoint(summary, emit, w.backup, w.point, e.message);
      continue;
    }
    await writer.flush();
    clock.processedBytes += w.point.logicalBytes;
    await commitPoint(source, target, writer, w, writer.stats.bytesAdded - before, clock, nodes);
    summary.pointsCopied++;
    emit({
      type: 'copy.point',
      backupId: w.backup.backupId,
      machine: w.backup.machine,
      pointId: w.point.id,
      status: 'copied',
      nodes: w.point.nodes,
    });
    stats();
  }
  await writer.flush();
}

/**
 * Data (already durable or on its way) → index → backup record → manifest.
 * `rekeyed`: the point's nodes with the target's chunk ids (a copy between keys).
 *
 * Other writers may commit the same point meanwhile (version 2's shared
 * locks: two copies carrying the same backup). The manifest keeps every node
 * found on the target, and a manifest another writer created first is taken
 * as it is when it holds this point's nodes, else extended with them. The
 * backup record then gets the nodes others added while it was read.
 */
async function commitPoint(
  source: Repository,
  target: Repository,
  writer: RepositoryWriter,
  w: PointWork,
  storedBytes: number,
  clock: StatsClock,
  rekeyed?: NodeManifest[],
): Promise<void> {
  const {backup, point} = w;
  const t3 = performance.now();
  const nodes = new Set(point.nodes);
  // Once the manifest exists, a version 2 target's is replaced under the point's merge lock
  // (point-merge-lock.ts): a merge read before another writer's replace would drop the nodes that writer added.
  const merge = async (attempt: number, beforeWrite?: () => void): Promise<boolean> => {
    const existing = backupOnTarget(target, backup.backupId);
    existing.catch(() => {}); // awaited below: a failure that comes first (a storage gone silent) must not go unhandled
    const previous = await target.getPoint(backup.backupId as BackupId, point.id).catch(() => undefined);
    if (previous && !beforeWrite && target.config.version >= 2) {
      await writer.flush(); // the point's chunks made durable before the lock, not while others wait for it
      return withPointMergeLock(target.storage, backup.backupId, point.id, check => merge(attempt, check));
    }
    if (attempt > 0 && previous && point.nodes.every(n => previous.nodes.some(m => m.name === n))) {
      await writer.catalogue(previous); // committed whole by another writer meanwhile
      return true;
    }
    const record = targetRecord(backup, source, await existing, await allTargetNodes(target, backup.backupId, nodes));
    const mine = rekeyed ?? point.manifest.nodes.filter(n => nodes.has(n.name));
    const order = point.manifest.nodes.map(n => n.name);
    const manifest: PointManifest = {
      ...point.manifest,
      nodes: [...mine, ...(previous?.nodes.filter(n => !nodes.has(n.name)) ?? [])].sort(
        (a, b) => order.indexOf(a.name) - order.indexOf(b.name),
      ),
      storedBytes: (previous?.storedBytes ?? 0) + storedBytes,
      origin: {repositoryId: source.id, location: source.location, copiedAt: new Date().toISOString()},
    };
    manifest.logicalBytes = manifest.nodes.reduce((s, n) => s + n.disks.reduce((t, d) => t + d.logicalBytes, 0), 0);
    return writer.commitPoint(record, manifest, previous !== undefined, beforeWrite);
  };
  for (let attempt = 0; !(await merge(attempt)); attempt++);
  await mergeRecordNodes(source, target, writer, backup);
  clock.add('target write', t3);
}

/**
 * (Version 2) Until the target's backup record names every node its
 * catalogue does, rewrites it with them. Each writer checks after its own
 * segment is written, so whichever rewrote the record last sees every
 * segment written before its check, and a segment written after that is
 * checked by its own writer against the record as it then stands: no
 * writer's nodes are left out for good.
 */
async function mergeRecordNodes(
  source: Repository,
  target: Repository,
  writer: RepositoryWriter,
  backup: PlannedBackup,
): Promise<void> {
  if (target.config.version < 2) return;
  for (let i = 0; i < 8; i++) {
    const record = await target.getBackup(backup.backupId);
    const named = new Set(record.nodes.map(n => n.name));
    const all = await allTargetNodes(target, backup.backupId, new Set());
    if ([...all].every(n => named.has(n))) return;
    await writer.putBackup(targetRecord(backup, source, record, all));
  }
}

/** The target's manifest of `point` when it already holds every node the run would copy. */
async function completeOnTarget(
  target: Repository,
  backupId: string,
  point: PlannedPoint,
): Promise<PointManifest | undefined> {
  const existing = await target.getPoint(backupId as BackupId, point.id).catch(() => undefined);
  return existing && point.nodes.every(n => existing.nodes.some(m => m.name === n)) ? existing : undefined;
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
  if (has) for (const p of await target.listPointSummaries(id as BackupId)) for (const n of p.nodes) nodes.add(n);
  return nodes;
}

export type {Stage};
