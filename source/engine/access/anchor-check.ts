/**
 * The comparison of a repository's audit chain with this host's anchors
 * (anchors.ts). Pure: the caller reads both.
 *
 * An anchor at entry k vouches for entries 1..k as a whole, because each
 * entry's hash covers the previous one's (verifyAudit checks those links).
 * So the chain passes when
 * - every anchored entry exists with the anchored hash (else it was edited
 *   and the chain rewritten forward from it, or replaced),
 * - the chain reaches the newest anchored entry (else the tail, or every
 *   entry, was deleted),
 * - no entry comes after the newest anchored one: this host did not write it
 *   (forged, or written by another host; `allowUnanchored` accepts those for
 *   repositories several hosts write, and they are then only counted), and
 * - no other repository's anchors were last recorded at this location (its
 *   config id was changed to escape its anchors, or it was re-created).
 */
import {newestAnchor, type AnchorFacts} from './anchors.js';

/** Mirrors AuditProblem (audit.ts), which imports this module. */
interface Problem {
  seq: number | null;
  key: string;
  reason: string;
}

export interface UnanchoredRange {
  first: number;
  last: number;
  count: number;
}

export interface AnchorCheck {
  problems: Problem[];
  /** Entries after the newest anchor (problems too, unless allowed). */
  unanchored?: UnanchoredRange;
}

/** What the chain holds: readable entries' hashes by seq (undefined: listed but unreadable), and every listed seq. */
export interface ChainFacts {
  hashes: ReadonlyMap<number, string | undefined>;
  seqs: readonly number[];
}

type KeyOf = (seq: number) => string;

function mismatches(chain: ChainFacts, facts: AnchorFacts, keyOf: KeyOf): Problem[] {
  const wrong = new Map<number, string>();
  for (const a of facts.anchors) {
    const hash = chain.hashes.get(a.seq);
    if (hash !== undefined && hash !== a.hash && !wrong.has(a.seq)) wrong.set(a.seq, a.time);
  }
  const seqs = [...wrong.keys()].sort((x, y) => x - y);
  if (seqs.length === 0) return [];
  const first = seqs[0]!;
  const problems = [
    {
      seq: first,
      key: keyOf(first),
      reason: `differs from the anchored hash recorded at ${wrong.get(first)} in ${facts.file}: it was edited or replaced, and the chain rewritten after it`,
    },
  ];
  if (seqs.length > 1) {
    const next = seqs[1]!;
    const rest = seqs.length - 2;
    const others =
      rest === 0
        ? ''
        : rest === 1
          ? `, as does entry ${seqs.at(-1)}`
          : `, as do ${rest} more anchored entries up to entry ${seqs.at(-1)}`;
    problems.push({seq: next, key: keyOf(next), reason: `differs from its anchor too${others}`});
  }
  return problems;
}

function truncation(chain: ChainFacts, facts: AnchorFacts, keyOf: KeyOf): Problem[] {
  const newest = newestAnchor(facts.anchors);
  const end = chain.seqs.at(-1) ?? 0;
  if (!newest || newest.seq <= end) return [];
  const lost =
    newest.seq === end + 1 ? `entry ${newest.seq} was deleted` : `entries ${end + 1} to ${newest.seq} were deleted`;
  const reason =
    end === 0
      ? `missing: the log is empty, but entry ${newest.seq} was anchored at ${newest.time} in ${facts.file} (every entry was deleted)`
      : `missing: the log ends at entry ${end}, but entry ${newest.seq} was anchored at ${newest.time} in ${facts.file} (${lost})`;
  return [{seq: newest.seq, key: keyOf(newest.seq), reason}];
}

function unanchoredRange(chain: ChainFacts, facts: AnchorFacts): UnanchoredRange | undefined {
  const newest = newestAnchor(facts.anchors)?.seq ?? 0;
  const after = chain.seqs.filter(s => s > newest);
  return after.length > 0 ? {first: after[0]!, last: after.at(-1)!, count: after.length} : undefined;
}

function unanchoredProblem(range: UnanchoredRange, facts: AnchorFacts, keyOf: KeyOf): Problem {
  const newest = newestAnchor(facts.anchors)?.seq ?? 0;
  const others =
    range.count === 1
      ? ''
      : range.count === 2
        ? `, nor was entry ${range.last}`
        : `, nor were the ${range.count - 1} entries after it (up to ${range.last})`;
  const where =
    newest === 0
      ? `nothing in ${facts.file} anchors this log`
      : `the newest entry anchored in ${facts.file} is ${newest}`;
  return {
    seq: range.first,
    key: keyOf(range.first),
    reason: `not written by Backhaul on this host${others}: ${where}. Forged, or written by another host or by a Backhaul without anchors (--allow-unanchored accepts entries after the newest anchor)`,
  };
}

function displacement(facts: AnchorFacts): Problem[] {
  return facts.displaced.map(d => ({
    seq: null,
    key: 'config',
    reason: `the audit log at this location was anchored as repository ${d.repositoryId} (up to entry ${d.seq}, at ${d.time}), but the repository here now says it is ${facts.repositoryId}: its config was replaced, hiding those anchors, or that repository was moved away or deleted and another created here. If so on purpose, rename ${d.file} so that it no longer ends in .jsonl (a moved repository's next entry clears this too)`,
  }));
}

export function checkAnchors(
  chain: ChainFacts,
  facts: AnchorFacts,
  keyOf: KeyOf,
  allowUnanchored = false,
): AnchorCheck {
  const unanchored = unanchoredRange(chain, facts);
  const problems = [...mismatches(chain, facts, keyOf), ...truncation(chain, facts, keyOf), ...displacement(facts)];
  if (unanchored && !allowUnanchored) problems.push(unanchoredProblem(unanchored, facts, keyOf));
  return {problems, unanchored};
}
