/**
 * The append-only audit log, kept in the repository: one object per entry at
 * `audit/<seq, 12 digits>.json`, seq counting from 1. Each entry records the
 * SHA-256 of the previous one (prevHash) and its own hash over the canonical
 * JSON of everything but `hash`, so the entries form a hash chain.
 *
 * Guarantees:
 * - Appends never overwrite: each is a `putIfAbsent`; a writer that loses the
 *   race chains after the winner's entry and tries the next seq. Concurrent
 *   appenders (processes or hosts) therefore produce one gap-free chain.
 * - `verifyAudit` names every broken entry: edited (hash mismatch), deleted
 *   (gap in seq), moved, or replaced/reordered (prevHash mismatch).
 * - Every entry written is anchored outside the repository (anchors.ts): the
 *   anchor store is checked before the entry is written, and the entry's seq
 *   and hash are recorded after. So `verifyAudit` also finds what a writer of
 *   the repository could otherwise hide (anchor-check.ts): a chain rewritten
 *   forward from an edit, a deleted tail or log, an appended forged entry.
 * Limit: root on this host can rewrite the anchors too.
 */
import {PLAIN_CODEC, type ObjectCodec} from '../repository/codec.js';
import {createHash} from 'node:crypto';
import {corrupt} from '../errors.js';
import type {ReadableStorage, Storage} from '../storage/storage.js';
import {checkAnchors, type UnanchoredRange} from './anchor-check.js';
import {loadAnchors, newestAnchor, openAnchors} from './anchors.js';

export const AUDIT_PREFIX = 'audit/';
/** prevHash of entry 1. Never change: it is part of every existing chain. */
export const GENESIS_HASH = '0'.repeat(64);
const KEY = /^audit\/([0-9]{12})\.json$/;
const MAX_ATTEMPTS = 10_000;

export type AuditAction = 'restore.delegated' | 'restore.own' | 'access.grant' | 'access.revoke' | 'policy.change';
export type AuditResult = 'ok' | 'failed' | 'partial' | 'cancelled' | 'unchanged';

export interface AuditActor {
  user: string;
  uid: number;
  viaSudo: boolean;
}

/** What the caller says happened; seq, time and the hashes are added by appendAudit. */
export interface AuditInput {
  action: AuditAction;
  actor: AuditActor;
  result: AuditResult;
  forUser?: string;
  /** For grants: the `user:`/`group:` principal; for policy changes: who was added or removed. */
  principal?: string;
  /** For policy changes, e.g. `add-admin`. */
  change?: string;
  backupId?: string;
  pointId?: string;
  node?: string;
  disk?: string;
  paths?: string[];
  destination?: string;
  reason?: string;
  startedAt?: string;
  endedAt?: string;
  bytes?: number;
  error?: string;
}

export interface AuditEntry extends AuditInput {
  seq: number;
  time: string;
  prevHash: string;
  hash: string;
}

export interface AuditProblem {
  /** The entry at fault (for a stray object: null). */
  seq: number | null;
  key: string;
  reason: string;
}

/** What this host's anchors said (anchors.ts). */
export interface AnchorSummary {
  repositoryId: string;
  /** Where this repository's anchors are kept. */
  file: string;
  /** The newest anchored entry, if any. */
  head?: {seq: number; hash: string; time: string};
  /** Anchors compared. */
  count: number;
  /** True when none was recorded at this location, and those recorded elsewhere for this id were used. */
  fromOtherLocations: boolean;
  /** Entries after the newest anchor: problems unless allowUnanchored. */
  unanchored?: UnanchoredRange;
  allowUnanchored: boolean;
  /** Anchors the system log did not take, and the last reason. */
  syslog: {failed: number; error?: string};
  /** Lines of the anchor file that are not anchors. */
  badLines: number;
}

export interface AuditVerification {
  ok: boolean;
  entries: AuditEntry[];
  problems: AuditProblem[];
  /** The newest entry. */
  head?: {seq: number; hash: string};
  anchor: AnchorSummary;
}

export interface VerifyOptions {
  /** Accept entries after the newest anchor (a repository several hosts write). */
  allowUnanchored?: boolean;
}

export const auditKey = (seq: number): string => `${AUDIT_PREFIX}${String(seq).padStart(12, '0')}.json`;

/** JSON with object keys sorted and undefined members left out: one byte string per value. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(v => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter(k => obj[k] !== undefined)
      .sort();
    return `{${keys.map(k => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function hashEntry(entry: Omit<AuditEntry, 'hash'> & {hash?: string}): string {
  const {hash: _omit, ...rest} = entry;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** Entries in the log as [seq, key], in seq order; objects that are not entries go to `strays`. */
async function listEntries(storage: ReadableStorage, strays?: string[]): Promise<Array<[number, string]>> {
  const found: Array<[number, string]> = [];
  for await (const info of storage.list(AUDIT_PREFIX)) {
    const m = KEY.exec(info.key);
    if (m) found.push([Number(m[1]), info.key]);
    else strays?.push(info.key);
  }
  return found.sort((a, b) => a[0] - b[0]);
}

/** The hash the next entry must chain to: the stored hash, or the raw bytes' hash if the entry is unreadable. */
function chainHash(raw: Buffer): string {
  try {
    const hash = (JSON.parse(raw.toString('utf8')) as Partial<AuditEntry>).hash;
    if (typeof hash === 'string') return hash;
  } catch {
    // fall through: a damaged entry still anchors the chain; verify reports it
  }
  return createHash('sha256').update(raw).digest('hex');
}

export async function appendAudit(
  storage: Storage,
  input: AuditInput,
  now: () => Date = () => new Date(),
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<AuditEntry> {
  const anchors = await openAnchors(storage, now);
  try {
    const entry = await appendEntry(storage, input, now, codec);
    await anchors.record(entry);
    return entry;
  } finally {
    await anchors.close();
  }
}

async function appendEntry(
  storage: Storage,
  input: AuditInput,
  now: () => Date,
  codec: ObjectCodec,
): Promise<AuditEntry> {
  const listed = await listEntries(storage);
  const last = listed.at(-1);
  let seq = last ? last[0] : 0;
  const read = async (key: string) => opened(codec, key, await storage.get(key));
  let prevHash = last ? chainHash(await read(last[1])) : GENESIS_HASH;
  const actor: AuditActor = {user: input.actor.user, uid: input.actor.uid, viaSudo: input.actor.viaSudo};
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const body: Omit<AuditEntry, 'hash'> = {...input, actor, seq: seq + 1, time: now().toISOString(), prevHash};
    const entry: AuditEntry = {...body, hash: hashEntry(body)};
    const key = auditKey(entry.seq);
    if (await storage.putIfAbsent(key, codec.sealObject(key, Buffer.from(JSON.stringify(entry) + '\n')))) return entry;
    // Another writer took this seq: chain after its entry instead.
    seq += 1;
    prevHash = chainHash(await read(auditKey(seq)));
  }
  throw corrupt(
    'Could not append to the audit log: too many concurrent writers.',
    'Try again; if it persists, check the audit/ objects with `backhaul audit --verify`.',
  );
}

/** An entry's JSON bytes; stored bytes that do not open stay as they are (then unreadable as an entry: verify reports them). */
function opened(codec: ObjectCodec, key: string, stored: Buffer): Buffer {
  try {
    return codec.openObject(key, stored);
  } catch {
    return stored;
  }
}

function parseEntry(raw: Buffer): AuditEntry | undefined {
  try {
    const e = JSON.parse(raw.toString('utf8')) as AuditEntry;
    const valid =
      e &&
      typeof e === 'object' &&
      Number.isSafeInteger(e.seq) &&
      typeof e.hash === 'string' &&
      typeof e.prevHash === 'string' &&
      typeof e.action === 'string';
    return valid && hasEntryShape(e) ? e : undefined;
  } catch {
    return undefined;
  }
}

const OPTIONAL_TEXT = [
  'forUser',
  'principal',
  'change',
  'backupId',
  'pointId',
  'node',
  'disk',
  'destination',
  'reason',
  'startedAt',
  'endedAt',
  'error',
] as const;

/** Every field the faces show has the type AuditEntry declares: a crafted entry is unreadable, never a TypeError in a screen. */
function hasEntryShape(e: AuditEntry): boolean {
  const a = e.actor as Partial<AuditActor> | null;
  if (
    !a ||
    typeof a !== 'object' ||
    typeof a.user !== 'string' ||
    typeof a.uid !== 'number' ||
    typeof a.viaSudo !== 'boolean'
  )
    return false;
  if (
    typeof e.time !== 'string' ||
    typeof e.result !== 'string' ||
    (e.bytes !== undefined && typeof e.bytes !== 'number')
  )
    return false;
  if (e.paths !== undefined && !(Array.isArray(e.paths) && e.paths.every(p => typeof p === 'string'))) return false;
  return OPTIONAL_TEXT.every(k => e[k] === undefined || typeof e[k] === 'string');
}

/** Every entry, oldest first. Throws `corrupt` on an unreadable entry (use verifyAudit to see all problems). */
export async function readAudit(storage: ReadableStorage, codec: ObjectCodec = PLAIN_CODEC): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (const [, key] of await listEntries(storage)) {
    const entry = parseEntry(opened(codec, key, await storage.get(key)));
    if (!entry)
      throw corrupt(
        `Audit entry ${key} is not a valid entry.`,
        'Run `backhaul audit --verify` to see every damaged entry.',
      );
    entries.push(entry);
  }
  return entries;
}

/** Checks the hash chain, and compares it with this host's anchors. */
export async function verifyAudit(
  storage: ReadableStorage,
  options: VerifyOptions = {},
  codec: ObjectCodec = PLAIN_CODEC,
): Promise<AuditVerification> {
  const strays: string[] = [];
  const listed = await listEntries(storage, strays);
  const problems: AuditProblem[] = strays.map(key => ({
    seq: null,
    key,
    reason: 'an object in audit/ that is not an audit entry',
  }));
  const entries: AuditEntry[] = [];
  const hashes = new Map<number, string | undefined>();
  let expected = 1;
  // The previous entry's seq and stored hash; undefined after a gap or an unreadable entry.
  let prev: {seq: number; hash: string} | undefined = {seq: 0, hash: GENESIS_HASH};
  for (const [seq, key] of listed) {
    if (seq > expected) {
      const range = seq - 1 > expected ? `entries ${expected} to ${seq - 1} are` : `entry ${expected} is`;
      problems.push({
        seq: expected,
        key: auditKey(expected),
        reason: `${range} missing: deleted from the log (gap in the sequence)`,
      });
      prev = undefined;
    }
    expected = seq + 1;
    const entry = parseEntry(opened(codec, key, await storage.get(key)));
    hashes.set(seq, entry?.hash);
    if (!entry) {
      problems.push({seq, key, reason: 'not a readable audit entry: the object was edited or damaged'});
      prev = undefined;
      continue;
    }
    entries.push(entry);
    if (entry.seq !== seq) problems.push({seq, key, reason: `says it is entry ${entry.seq}: it was moved or replaced`});
    if (hashEntry(entry) !== entry.hash)
      problems.push({seq, key, reason: 'edited: its contents no longer match its hash'});
    if (prev && entry.prevHash !== prev.hash) {
      problems.push(
        prev.seq === 0
          ? {
              seq,
              key,
              reason: 'the first entry does not start the chain: entries before it were removed or it was replaced',
            }
          : {
              seq: prev.seq,
              key: auditKey(prev.seq),
              reason: `edited or replaced: entry ${seq} recorded a different hash for it (or entries were reordered)`,
            },
      );
    }
    prev = {seq, hash: entry.hash};
  }
  const facts = await loadAnchors(storage);
  const allowUnanchored = options.allowUnanchored ?? false;
  const checked = checkAnchors({hashes, seqs: listed.map(([seq]) => seq)}, facts, auditKey, allowUnanchored);
  problems.push(...checked.problems);
  problems.sort((a, b) => (a.seq ?? -1) - (b.seq ?? -1));
  const last = entries.at(-1);
  const newest = newestAnchor(facts.anchors);
  const anchor: AnchorSummary = {
    repositoryId: facts.repositoryId,
    file: facts.file,
    head: newest && {seq: newest.seq, hash: newest.hash, time: newest.time},
    count: facts.anchors.length,
    fromOtherLocations: facts.fromOtherLocations,
    unanchored: checked.unanchored,
    allowUnanchored,
    syslog: {failed: facts.syslogFailures, error: facts.syslogError},
    badLines: facts.badLines,
  };
  return {
    ok: problems.length === 0,
    entries,
    problems,
    head: last ? {seq: last.seq, hash: last.hash} : undefined,
    anchor,
  };
}
