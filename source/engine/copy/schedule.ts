/**
 * The order in which a copy run moves chunks. Segments (one per restore
 * point and disk, in the order the run commits them) are added as the plan
 * learns what they need — while earlier ones are already being copied —
 * and every chunk the target lacks is scheduled once, under the first
 * segment that needs it, into a job for the source pack that holds it. A job
 * keeps taking chunks of later segments until the transfer takes it, so a
 * pack needed whole by several points still passes through whole.
 *
 * A segment is done once every job up to its `lastJob` has landed (jobs land
 * in order): its own chunks are in those jobs, and everything earlier
 * segments needed too.
 */
import type {BlobEntry} from '../repository/pack.js';
import type {Repository} from '../repository/repository.js';
import type {RepositoryWriter} from '../repository/writer.js';

/** What a segment needs: chunk ids in groups (PlannedDisk.chunks), in its order; ones the target has are skipped. */
export interface Segment {
  readonly groups: readonly (readonly string[])[];
}

/** The chunks to take from one source pack, and the job's place in the pipeline. */
export interface JobSpec {
  readonly pack: string;
  readonly packNumber: number;
  readonly needed: BlobEntry[];
  readonly index: number;
}

/** What the transfer takes, in order: a job, or word that segments up to `added` are known. */
export type ScheduleItem = {job: JobSpec} | {added: number};

export class Scheduler {
  /** Per source-index slot: the segment that needs the chunk first; -1: not scheduled. */
  private readonly owner: Int32Array;
  /** Jobs made and not yet taken, by pack number: they still take chunks. */
  private readonly open = new Map<number, JobSpec>();
  private readonly items: ScheduleItem[] = [];
  /** A group met before (a tree chunk in many points' trees) has every id of it scheduled or on the target already. */
  private readonly seen = new WeakSet<readonly string[]>();
  private jobs = 0;
  private upTo = -1;
  private ended = false;
  private failure: {reason: unknown} | undefined;
  private wake: (() => void) | undefined;
  /** Per segment: the chunks scheduled for it and their stored bytes. */
  readonly scheduled: {chunks: number; bytes: number}[] = [];
  /** Per segment: the last job (in pipeline order) it waits for; -1: none. */
  readonly lastJob: number[] = [];
  /** Chunks not copied (the source lacks them, or holds them damaged), with why. */
  readonly damaged = new Map<string, string>();

  constructor(private readonly source: Repository, private readonly writer: RepositoryWriter) {
    this.owner = new Int32Array(source.index.slotCount).fill(-1);
  }

  /** The next segment; returns its number. Chunks are looked up once each, by slot (a run may go through millions). */
  add(segment: Segment): number {
    const index = this.source.index;
    const k = this.scheduled.length;
    const mine = {chunks: 0, bytes: 0};
    this.scheduled.push(mine);
    for (const group of segment.groups) {
      if (this.seen.has(group)) continue;
      this.seen.add(group);
      for (const id of group) {
        const slot = index.slotOf(id);
        if (slot >= 0 && this.owner[slot] !== -1) continue;
        if (this.writer.has(id)) continue;
        if (slot < 0) {
          this.damaged.set(id, `chunk ${id.slice(0, 12)} is missing from ${this.source.location}.`);
          continue;
        }
        this.owner[slot] = k;
        const blob = index.blobAt(slot);
        mine.chunks++;
        mine.bytes += blob[2];
        const pack = index.packNumberAt(slot);
        let job = this.open.get(pack);
        if (!job) {
          job = {pack: index.packName(pack), packNumber: pack, needed: [], index: this.jobs++};
          this.open.set(pack, job);
          this.items.push({job});
        }
        job.needed.push(blob);
        if (job.index > this.upTo) this.upTo = job.index;
      }
    }
    this.lastJob.push(this.upTo);
    const last = this.items.at(-1);
    if (last && 'added' in last) last.added = k; // one word for a run of segments that brought no job
    else this.items.push({added: k});
    this.wake?.();
    return k;
  }

  /** No more segments. */
  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** The plan failed: the transfer stops with this error once it has taken what was scheduled. */
  fail(reason: unknown): void {
    this.failure ??= {reason};
    this.end();
  }

  ownerOf(id: string): number | undefined {
    const slot = this.source.index.slotOf(id);
    return slot >= 0 && this.owner[slot] !== -1 ? this.owner[slot] : undefined;
  }

  /** The items in order, as they are made; a job taken takes no more chunks. */
  async *take(): AsyncGenerator<ScheduleItem> {
    for (;;) {
      while (this.items.length > 0) {
        const item = this.items.shift()!;
        if ('job' in item) this.open.delete(item.job.packNumber);
        yield item;
      }
      if (this.failure) throw this.failure.reason;
      if (this.ended) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
