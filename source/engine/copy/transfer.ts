/**
 * Moves chunks from a source repository into a target writer, pack by pack,
 * taking the jobs of a Scheduler (schedule.ts) as it makes them: one
 * pipeline for a run's whole sequence of segments (restore points and their
 * disks), with no pause at their boundaries; a pack whose chunks are all
 * needed (by whichever points) passes through whole. Each segment is
 * reported done as soon as every job up to its last has landed, which is
 * when the run commits it.
 *
 * A pack passed through whole is verified by the SHA-256 of all its bytes
 * against its id — which covers every stored byte of every blob — and its
 * trailer against the index. Between two local directories a worker reads,
 * checks and only then writes it beside its key on the target. To object
 * storage the pack goes up in one PutObject with its id as the signed
 * payload hash, which the server checks before it stores anything. Otherwise
 * the pack is read once and hashed in memory before it is written. Blobs
 * picked out of a pack, and every blob of a pack that fails its hash, are
 * decoded and hashed one by one: a damaged chunk is left out and reported
 * (the run fails the points that need it, by name), the sound ones are still
 * copied, and nothing unverified reaches the target (FORMAT.md, "Copying").
 */
import {cancelled, isBackhaulError} from '../errors.js';
import type {PackId} from '../ids.js';
import type {ChunkIndex} from '../repository/index-store.js';
import {packKey, packProblem, type BlobEntry} from '../repository/pack.js';
import type {Repository} from '../repository/repository.js';
import type {RepositoryWriter} from '../repository/writer.js';
import {prefetchFrom} from '../util/concurrency.js';
import type {CopyGate} from './gate.js';
import {PackBuffers} from './pack-buffers.js';
import type {JobSpec, ScheduleItem, Scheduler} from './schedule.js';
import type {LocalFiles, StagedPack, WritableLocalFiles} from '../storage/storage.js';
import type {Checked, VerifyPool} from '../workers/verify-pool.js';
import type {StatsClock} from './stats.js';

/**
 * Every blob of a pack, as the source index knows them (ChunkIndex.packEntries:
 * computed again when it names a pack it did not know before: it was read
 * again after a miss, another writer's packs).
 */
function packBlobs(index: ChunkIndex, pack: string): BlobEntry[] {
  return index.packEntries(pack) ?? [];
}

/** A pack already stored under its key by the time the writer takes it. */
const STORED: StagedPack = {path: '', commit: async () => {}, discard: async () => {}};

interface Job {
  pack: string;
  needed: BlobEntry[];
  whole: BlobEntry[];
  passThrough: boolean;
  /** Where it stands in the pipeline (segments are done once every job up to their last has landed). */
  index: number;
  /** A pass-through pack already copied to the target and verified there. */
  staged?: StagedPack;
  checked?: Checked;
}

export interface TransferOptions {
  signal?: AbortSignal;
  concurrency: number;
  clock: StatsClock;
  pool: VerifyPool;
  /** Stored bytes (and chunks) of segment `segment` landed on the target. */
  onBytes: (segment: number, bytes: number, chunks: number) => void;
  /** Every chunk of segments up to `segment` has landed (or was found damaged): called in order, awaited. */
  onSegmentDone: (segment: number) => Promise<void>;
  /** Asked before each pack is read to be sent, for the bytes it sends (gate.ts): a bandwidth limit, a copy window. */
  gate?: CopyGate;
}

export async function transferChunks(
  source: Repository,
  writer: RepositoryWriter,
  scheduler: Scheduler,
  options: TransferOptions,
): Promise<void> {
  const sameKey = source.codec.sameKeyAs(writer.repo.codec);
  const {lastJob, damaged} = scheduler;
  let nextSegment = 0;
  let landed = -1;
  /** Segments known so far whose last job has landed are done. */
  const advance = async () => {
    while (nextSegment < lastJob.length && lastJob[nextSegment]! <= landed) await options.onSegmentDone(nextSegment++);
  };
  const credit = (blobs: readonly BlobEntry[]) => {
    for (const b of blobs) {
      const k = scheduler.ownerOf(b[0]);
      if (k !== undefined) options.onBytes(k, b[2], 1);
    }
  };
  const {clock, pool} = options;
  // The backends' typed capabilities (storage.ts): local files on either side, a target that checks hashes.
  const from = source.storage.local;
  const target = writer.repo.storage;
  const bothLocal = from && target.local ? {from, to: target.local} : undefined;
  const checksHash = target.checksContentHash?.bind(target);
  const open = new Set<StagedPack>();
  const buffers = new PackBuffers(options.concurrency);
  let finished = false;

  /** Reads a pack from the source and checks it (whole, or the needed blobs). */
  const read = async (pack: string, blobs: BlobEntry[], whole: boolean): Promise<Checked> => {
    const packId = whole ? pack : undefined;
    const t0 = performance.now();
    // From a local directory a worker reads the file itself, into reused memory (timed as hashing).
    const direct = from ? await pool.verifyFile(from.path(packKey(pack)), packId, blobs) : undefined;
    if (direct) {
      clock.add('hashing', t0);
      return direct;
    }
    const raw = await source.storage.get(packKey(pack), options.signal);
    clock.add('source read', t0);
    const t1 = performance.now();
    const checked = await pool.verify(raw, packId, blobs);
    clock.add('hashing', t1);
    return checked;
  };

  /**
   * A worker reads the source pack, checks it (hash and trailer) and only
   * then writes it beside its target key, past the page cache: one read, one
   * hash, no read-back. Undefined if it did not work out (the plain path then
   * reads it and names what is wrong).
   */
  const stage = async (
    pack: string,
    whole: BlobEntry[],
    files: {from: LocalFiles; to: WritableLocalFiles},
  ): Promise<StagedPack | undefined> => {
    const source = files.from.path(packKey(pack));
    const t0 = performance.now();
    const staged = await files.to
      .stage(packKey(pack), async temp => {
        if (!(await pool.copyPack(source, temp, pack, whole))) throw new Error('unsound pack');
      })
      .catch(() => undefined);
    clock.add('target write', t0);
    if (!staged) return undefined; // the plain path says why (a damaged or missing source pack, a full disk)
    if (finished) {
      await staged.discard(); // the run ended (failed or cancelled) while this one was being copied
      return undefined;
    }
    open.add(staged);
    return staged;
  };

  /**
   * Sends a pack to a target that checks its hash as it stores it (S3: the
   * id is the signed payload hash): only the trailer is checked here, no hash
   * pass of our own. Undefined if that did not work out: the pack is then read
   * again and checked blob by blob (a damaged one is refused, stores nothing).
   */
  const send = async (
    pack: string,
    whole: BlobEntry[],
    checks: NonNullable<typeof checksHash>,
  ): Promise<StagedPack | undefined> => {
    const key = packKey(pack);
    const t0 = performance.now();
    // Read here, not in a verify worker: nothing is hashed, and the buffers are reused (pack-buffers.ts).
    const got = from
      ? await buffers.read(from.path(key)).catch(() => undefined)
      : {data: await source.storage.get(key, options.signal), release: () => {}};
    clock.add('source read', t0);
    if (!got) return undefined;
    try {
      if (!checks(key, got.data.length) || packProblem(got.data, {blobs: whole}, source.codec) !== undefined)
        return undefined;
      const t1 = performance.now();
      await writer.repo.storage.put(key, got.data, options.signal);
      clock.add('target write', t1);
      return STORED;
    } catch (e) {
      if (isBackhaulError(e) && e.code === 'corrupt') return undefined;
      throw e;
    } finally {
      got.release();
    }
  };

  // Stagings still running when the run ends are waited for (they then remove their files).
  const staging = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    staging.add(p);
    void p.finally(() => staging.delete(p)).catch(() => {});
    return p;
  };

  const start = async ({pack, needed, index}: JobSpec): Promise<Job> => {
    if (options.gate)
      clock.addMs(
        'throttling',
        await options.gate.pass(
          needed.reduce((s, b) => s + b[2], 0),
          options.signal,
        ),
      );
    const whole = packBlobs(scheduler.index, pack);
    // Stored bytes pass through only between codecs with the same key material (codec.ts).
    const passThrough = sameKey && whole.length === needed.length;
    const staged = !passThrough
      ? undefined
      : bothLocal
        ? await track(stage(pack, whole, bothLocal))
        : checksHash
          ? await send(pack, whole, checksHash)
          : undefined;
    if (staged) return {pack, needed, whole, passThrough, index, staged};
    return {
      pack,
      needed,
      whole,
      passThrough,
      index,
      checked: await read(pack, passThrough ? whole : needed, passThrough),
    };
  };
  const items = prefetchFrom(scheduler.take(), options.concurrency, async (item: ScheduleItem) =>
    'job' in item ? start(item.job) : undefined,
  );
  try {
    for await (const job of items) {
      if (options.signal?.aborted) throw cancelled();
      if (job) await land(job);
      await advance();
    }
    landed = Infinity;
    await advance();
  } finally {
    finished = true;
    await Promise.allSettled([...staging]);
    await Promise.all([...open].map(staged => staged.discard()));
  }

  async function land(job: Job): Promise<void> {
    clock.readBytes += job.needed.reduce((s, b) => s + b[2], 0);
    const t2 = performance.now();
    landed = job.index;
    if (job.staged) {
      // Should the writer throw (a failed write, cancel), the finally above removes the file.
      const added = await writer.addStagedPack(job.pack as PackId, job.staged, job.whole);
      open.delete(job.staged);
      clock.add('target write', t2);
      if (added) return passed(job, clock, credit);
      job.checked = await read(job.pack, job.whole, true); // some of its chunks arrived meanwhile: copy the others
    }
    await store(source, writer, job, job.checked!, clock, credit, damaged);
    clock.add('target write', t2);
  }
}

function passed(job: Job, clock: StatsClock, credit: (blobs: readonly BlobEntry[]) => void): void {
  clock.transferredBytes += job.whole.reduce((s, b) => s + b[2], 0);
  clock.chunks += job.whole.length;
  credit(job.whole);
}

/**
 * Stores a checked pack: whole if it passed and may pass through, else its
 * wanted blobs, leaving out (and noting in `damaged`) those that failed their
 * check: the points that need them fail, the others still get the rest.
 */
async function store(
  source: Repository,
  writer: RepositoryWriter,
  job: Job,
  checked: Checked,
  clock: StatsClock,
  credit: (blobs: readonly BlobEntry[]) => void,
  damaged: Map<string, string>,
): Promise<void> {
  const bad = job.needed.filter(b => checked.bad.includes(b[0]));
  if (bad.length > 0) {
    const message = `${bad.length} chunk(s) in source pack ${job.pack.slice(0, 12)} of ${source.location} are damaged (first: ${bad[0]![0].slice(0, 12)}).`;
    for (const b of bad) damaged.set(b[0], message);
  }
  // The pack's memory goes back to the pool once the target has written it (or the blobs were copied out).
  if (
    bad.length === 0 &&
    job.passThrough &&
    checked.packOk &&
    (await writer.addPack(job.pack as PackId, checked.data, job.whole, checked.release))
  ) {
    passed(job, clock, credit);
    return;
  }
  try {
    for (const blob of job.needed) {
      const [id, offset, length, rawLength, encoding] = blob;
      if (damaged.has(id)) continue;
      const added = await writer.addEncoded(
        id,
        Buffer.from(checked.data.subarray(offset, offset + length)),
        rawLength,
        encoding,
      );
      if (added) {
        clock.transferredBytes += length;
        clock.chunks++;
      }
      credit([blob]);
    }
  } finally {
    checked.release();
  }
}
