/**
 * What the plan learnt of each group of chunk ids (PlannedDisk.chunks) when
 * it counted them: each id's slot in the source index and whether the
 * target held it. The run's scheduler takes the same groups next and reads
 * this instead of looking every id up in both indexes again (a 2 GiB
 * backup's point is some 60,000 ids; each lookup is hundreds of
 * nanoseconds, and there were four per id).
 *
 * Valid only for the very index objects it was made with: a source index
 * read anew has other slots, a target index replaced may hold other chunks.
 * Present on the target at plan time stays true for the run (a target's
 * index only grows while the run holds its lock; a repair drops entries
 * before it plans).
 */
import type {ChunkIndex} from '../repository/index-store.js';

export interface GroupLookup {
  readonly source: ChunkIndex;
  readonly target: ChunkIndex;
  /** Per id of the group: its slot in `source` (-1: unknown there). */
  readonly slots: Int32Array;
  /** Per id: 1 if `target` held it. */
  readonly present: Uint8Array;
}

const lookups = new WeakMap<readonly string[], GroupLookup>();

/**
 * What the target held of the source's chunks, by source slot
 * (ChunkIndex.presenceIn), once enough ids were looked up one by one to
 * pay for it: a walk of both indexes costs a few nanoseconds a row, a
 * lookup hundreds, so past a thirty-second of their rows the walk is
 * cheaper than the lookups still to come of a copy that large. A snapshot:
 * a chunk the run adds to the target later reads as absent in it, which
 * the scheduler's own check (writer.has) catches, as it does for a lookup
 * made before the chunk was added.
 */
interface Presence {
  readonly target: ChunkIndex;
  looked: number;
  bySlot?: Uint8Array;
}
const presences = new WeakMap<ChunkIndex, Presence>();

function presenceOf(source: ChunkIndex, target: ChunkIndex, asking: number): Presence {
  let p = presences.get(source);
  if (!p || p.target !== target) presences.set(source, (p = {target, looked: 0}));
  p.looked += asking;
  if (!p.bySlot && p.looked * 32 >= source.slotCount + target.slotCount) p.bySlot = source.presenceIn(target);
  return p;
}

/** Looks every id of `group` up in both indexes, once, and keeps the answers for the scheduler. */
export function lookUpGroup(group: readonly string[], source: ChunkIndex, target: ChunkIndex): GroupLookup {
  const known = lookups.get(group);
  if (known && known.source === source && known.target === target) return known;
  const slots = new Int32Array(group.length);
  const present = new Uint8Array(group.length);
  const bySlot = presenceOf(source, target, group.length).bySlot;
  for (let i = 0; i < group.length; i++) {
    const id = group[i]!;
    const slot = (slots[i] = source.slotOf(id));
    present[i] = bySlot && slot >= 0 && slot < bySlot.length ? bySlot[slot]! : target.has(id) ? 1 : 0;
  }
  const lookup = {source, target, slots, present};
  lookups.set(group, lookup);
  return lookup;
}

/** The plan's answers for `group`, if they were made with these index objects. */
export function groupLookup(group: readonly string[], source: ChunkIndex, target: ChunkIndex): GroupLookup | undefined {
  const known = lookups.get(group);
  return known && known.source === source && known.target === target ? known : undefined;
}
