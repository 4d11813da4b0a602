/**
 * Audit anchors: the audit chain's head kept outside the repository, where
 * whoever can write the repository cannot reach it (README, "Audit log":
 * evidence is kept outside the attacker's reach). Every entry appendAudit writes is recorded
 * as one JSON line in `<stateDir>/audit-anchors/<repository id>.jsonl`
 *
 *   {"repo":"5f0c…","location":"/srv/backups/copy","seq":7,"hash":"<entry hash>","time":"…","pid":4242}
 *
 * and sent as one line to the system log. When the system log cannot take it,
 * a line {"repo","seq","syslog":"failed","error","time"} follows, so that
 * `audit --verify` can say so.
 *
 * Guarantees:
 * - The store is opened and checked (state-files.ts) before the entry is
 *   written to the repository, so an unusable store fails the append before
 *   anything is written; the anchor line follows the entry's putIfAbsent.
 * - A repository is known by the id in its config; a config without a valid
 *   id (or none) is known by a hash of its location instead.
 * - Loading applies the anchors recorded at the repository's location; when
 *   there are none there (moved, or reached by another path) those recorded
 *   for its id anywhere on this host. Copies of one repository that diverge
 *   (same id, two places) therefore each answer for their own entries.
 * Limit: a crash (or a failed write) between the entry and its anchor leaves
 * that entry unanchored, and `audit --verify` reports it as not written on
 * this host: nothing outside the repository vouches for it.
 */
import {createHash} from 'node:crypto';
import type {FileHandle} from 'node:fs/promises';
import {join} from 'node:path';
import {stateDir} from '../workspace/dirs.js';
import type {ReadableStorage} from '../storage/storage.js';
import {ensurePrivateDir, listPrivate, openAppend, readPrivate, writeLine} from './state-files.js';
import {sendToSyslog} from './syslog.js';

export interface Anchor {
  repo: string;
  location: string;
  seq: number;
  hash: string;
  time: string;
  pid: number;
}

/** Another repository whose newest anchor was recorded where this one now is. */
export interface DisplacedAnchor {
  repositoryId: string;
  file: string;
  seq: number;
  time: string;
}

export interface AnchorFacts {
  repositoryId: string;
  /** The file this repository's anchors are kept in. */
  file: string;
  /** The anchors that apply (see the header), in file order. */
  anchors: Anchor[];
  /** True when none was recorded at this location and those of other locations apply. */
  fromOtherLocations: boolean;
  /** Anchors the system log did not take, and the last reason. */
  syslogFailures: number;
  syslogError?: string;
  /** Lines of the file that are not anchors (a torn write, or an edit). */
  badLines: number;
  displaced: DisplacedAnchor[];
}

/** What the entry being anchored says, for the system log line. */
export interface AnchoredEntry {
  seq: number;
  hash: string;
  action: string;
  result: string;
  actor: {user: string; viaSudo: boolean};
}

export interface AnchorWriter {
  readonly file: string;
  record(entry: AnchoredEntry): Promise<void>;
  close(): Promise<void>;
}

const REPOSITORY_ID = /^[0-9a-f]{32}$/;
const FILE = /^((?:loc-)?[0-9a-f]{32})\.jsonl$/;
const HASH = /^[0-9a-f]{64}$/;
/** Enough of another repository's file to find its newest anchor. */
const TAIL_BYTES = 16 * 1024;

export const anchorsDir = (state: string = stateDir()): string => join(state, 'audit-anchors');
export const anchorFile = (id: string, state?: string): string => join(anchorsDir(state), `${id}.jsonl`);

/** The anchor with the highest seq. */
export function newestAnchor(anchors: readonly Anchor[]): Anchor | undefined {
  return anchors.reduce<Anchor | undefined>((m, a) => (!m || a.seq > m.seq ? a : m), undefined);
}

/** The name a repository's anchors are kept under: its config id, or a hash of its location. */
export async function anchorIdOf(storage: ReadableStorage): Promise<string> {
  try {
    const id = (JSON.parse((await storage.get('config')).toString('utf8')) as {id?: unknown}).id;
    if (typeof id === 'string' && REPOSITORY_ID.test(id)) return id;
  } catch {
    // no readable config: fall back to the location
  }
  return `loc-${createHash('sha256').update(storage.location).digest('hex').slice(0, 32)}`;
}

/** Opens this repository's anchor file for appending (creating the store); call before writing the entry. */
export async function openAnchors(storage: ReadableStorage, now: () => Date = () => new Date()): Promise<AnchorWriter> {
  const id = await anchorIdOf(storage);
  await ensurePrivateDir(anchorsDir(await ensurePrivateDir(stateDir())));
  const file = anchorFile(id);
  const handle: FileHandle = await openAppend(file);
  const location = storage.location;
  return {
    file,
    async record(entry) {
      const time = now().toISOString();
      const anchor: Anchor = {repo: id, location, seq: entry.seq, hash: entry.hash, time, pid: process.pid};
      await writeLine(handle, file, JSON.stringify(anchor));
      const who = `${entry.actor.user}${entry.actor.viaSudo ? ' (sudo)' : ''}`;
      const sent = await sendToSyslog(
        `audit entry repository=${id} seq=${entry.seq} hash=${entry.hash} action=${entry.action} result=${entry.result} actor=${JSON.stringify(who)} location=${JSON.stringify(location)}`,
      );
      if (!sent.sent)
        await writeLine(
          handle,
          file,
          JSON.stringify({repo: id, seq: entry.seq, syslog: 'failed', error: sent.error, time}),
        );
    },
    close: () => handle.close(),
  };
}

type Line = {kind: 'anchor'; anchor: Anchor} | {kind: 'syslog-failed'; error: string} | {kind: 'bad'};

function parseLine(text: string, id: string): Line {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    if (v['repo'] !== id || !Number.isSafeInteger(v['seq']) || (v['seq'] as number) < 1) return {kind: 'bad'};
    if (v['syslog'] === 'failed') return {kind: 'syslog-failed', error: String(v['error'] ?? 'unknown')};
    if (
      typeof v['hash'] === 'string' &&
      HASH.test(v['hash']) &&
      typeof v['location'] === 'string' &&
      typeof v['time'] === 'string'
    ) {
      return {
        kind: 'anchor',
        anchor: {
          repo: id,
          location: v['location'],
          seq: v['seq'] as number,
          hash: v['hash'],
          time: v['time'],
          pid: Number(v['pid']),
        },
      };
    }
  } catch {
    // not JSON
  }
  return {kind: 'bad'};
}

function parseLines(text: string, id: string): Line[] {
  return text
    .split('\n')
    .filter(l => l.trim() !== '')
    .map(l => parseLine(l, id));
}

/** Other repositories whose newest anchor names this location (its config id changed, or it was re-created). */
async function displacedAt(location: string, id: string): Promise<DisplacedAnchor[]> {
  const found: DisplacedAnchor[] = [];
  for (const name of await listPrivate(anchorsDir())) {
    const other = FILE.exec(name)?.[1];
    if (!other || other === id) continue;
    const file = anchorFile(other);
    const last = parseLines(await readPrivate(file, TAIL_BYTES), other)
      .flatMap(l => (l.kind === 'anchor' ? [l.anchor] : []))
      .at(-1);
    if (last?.location === location) found.push({repositoryId: other, file, seq: last.seq, time: last.time});
  }
  return found;
}

/** What this host's anchors say about the repository in `storage`. */
export async function loadAnchors(storage: ReadableStorage): Promise<AnchorFacts> {
  const id = await anchorIdOf(storage);
  const file = anchorFile(id);
  const lines = parseLines(await readPrivate(file), id);
  const all = lines.flatMap(l => (l.kind === 'anchor' ? [l.anchor] : []));
  const here = all.filter(a => a.location === storage.location);
  const failures = lines.flatMap(l => (l.kind === 'syslog-failed' ? [l.error] : []));
  return {
    repositoryId: id,
    file,
    anchors: here.length > 0 ? here : all,
    fromOtherLocations: here.length === 0 && all.length > 0,
    syslogFailures: failures.length,
    syslogError: failures.at(-1),
    badLines: lines.filter(l => l.kind === 'bad').length,
    displaced: await displacedAt(storage.location, id),
  };
}
