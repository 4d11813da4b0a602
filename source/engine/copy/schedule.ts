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
 *
 * Chunks are looked up in the source's index, which may grow meanwhile (read
 * again after a miss: another writer committed the point after it was
 * loaded). A run adds a segment in two steps, openSegment and then
 * closeSegment with the ids the index lacked, once it was read again: no
 * chunk is called missing before that.
 */
import type {ChunkIndex} from '../repository/index-store.js';
import type {BlobEntry} from '../repository/pack.js';
import type {Repository} from '../repository/repository.js';
import type {RepositoryWriter} from '../repository/writer.js';
import {groupLookup} from './group-lookups.js';

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
  /** Per source-index slot: the segment that needs the chunk first; -1: not scheduled. Grows with the index. */
  private owner: Int32Array;
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

  /**
   * The source index the slots refer to. Should the source read its index
   * anew meanwhile (a new object, whose slots differ), chunks only the new
   * one knows are missing to this run: its points fail, never silently lack a chunk.
   */
  readonly index: ChunkIndex;
  /** The segment opened and not yet closed, with what it scheduled so far. */
  private opened: {k: number; mine: {chunks: number; bytes: number}} | undefined;

  constructor(
    private readonly source: Repository,
    private readonly writer: RepositoryWriter,
  ) {
    this.index = source.index;
    this.owner = new Int32Array(this.index.slotCount).fill(-1);
  }

  /** The next segment, in one step: ids the index lacks are missing. Returns its number. */
  add(segment: Segment): number {
    return this.closeSegment(this.openSegment(segment));
  }

  /**
   * Starts the next segment and schedules what it needs that the index
   * knows; returns the ids it lacks, for `closeSegment` once the index
   * was read again. Chunks are looked up once each, by slot (a run may go through millions).
   */
  openSegment(segment: Segment): string[] {
    const k = this.scheduled.length;
    const mine = {chunks: 0, bytes: 0};
    this.scheduled.push(mine);
    this.opened = {k, mine};
    const unknown: string[] = [];
    for (const group of segment.groups) {
      if (this.seen.has(group)) continue;
      this.seen.add(group);
      // What the plan found when it counted this group, if it used these indexes: no lookup for what the target held.
      const looked = groupLookup(group, this.index, this.writer.repo.index);
      if (!looked) {
        for (const id of group) if (!this.place(id, k, mine)) unknown.push(id);
        continue;
      }
      const {slots, present} = looked;
      for (let i = 0; i < group.length; i++) {
        if (present[i] === 1) continue;
        const slot = slots[i]!;
        if (slot < 0 ? !this.place(group[i]!, k, mine) : !this.placeSlot(group[i]!, slot, k, mine))
          unknown.push(group[i]!);
      }
    }
    return unknown;
  }

  /** Ends the segment `openSegment` started: schedules `late` ids the index now knows; the others are missing. Returns its number. */
  closeSegment(late: readonly string[] = []): number {
    const {k, mine} = this.opened!;
    this.opened = undefined;
    for (const id of late) {
      if (!this.place(id, k, mine))
        this.damaged.set(id, `chunk ${id.slice(0, 12)} is missing from ${this.source.location}.`);
    }
    this.lastJob.push(this.upTo);
    const last = this.items.at(-1);
    if (last && 'added' in last)
      last.added = k; // one word for a run of segments that brought no job
    else this.items.push({added: k});
    this.wake?.();
    return k;
  }

  /** Schedules a chunk under segment k unless it is scheduled already or on the target; false if the index lacks it. */
  private place(id: string, k: number, mine: {chunks: number; bytes: number}): boolean {
    const slot = this.index.slotOf(id);
    if (slot < 0) return this.writer.has(id);
    return this.placeSlot(id, slot, k, mine);
  }

  /** place() for a chunk whose slot in the source index is known. */
  private placeSlot(id: string, slot: number, k: number, mine: {chunks: number; bytes: number}): boolean {
    const index = this.index;
    if (slot >= this.owner.length) this.grow(index.slotCount);
    if (this.owner[slot] !== -1 || this.writer.has(id)) return true;
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
    return true;
  }

  private grow(slots: number): void {
    const owner = new Int32Array(slots).fill(-1);
    owner.set(this.owner);
    this.owner = owner;
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
    const slot = this.index.slotOf(id);
    return slot >= 0 && slot < this.owner.length && this.owner[slot] !== -1 ? this.owner[slot] : undefined;
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
      await new Promise<void>(resolve => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}
