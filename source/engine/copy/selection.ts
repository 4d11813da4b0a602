/**
 * Which backups, restore points and cluster nodes a copy job takes.
 * Backups: ids, or shell-style patterns on machine and job names (default: all).
 * Points: `latest`, `latest:N` (per backup), `all` or `since:DATE`, each alone, or ids
 * (commas between them).
 * Nodes: a subset of a cluster's nodes (default: every node).
 */
import {notFound, quoted, usageError, type BackhaulError} from '../errors.js';
import {isShortId} from '../ids.js';
import type {BackupRecord, PointManifest} from '../repository/model.js';
import type {RetentionPolicy} from '../retention/policy.js';

export interface Selection {
  backups?: string[];
  /** Shell patterns on the machine (or cluster) name; several: any of them (a saved job's --machine, repeated). */
  machine?: string | readonly string[];
  job?: string | readonly string[];
  points?: string;
  nodes?: string[];
  /** A job's retention policy: points it would remove at once are not copied (plan-retention.ts). */
  retention?: RetentionPolicy;
}

export function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

export function selectBackups(all: BackupRecord[], selection: Selection): BackupRecord[] {
  const machine = anyOf(selection.machine);
  const job = anyOf(selection.job);
  const ids = selection.backups?.length ? new Set(selection.backups) : undefined;
  if (ids) {
    for (const id of ids)
      if (!all.some(b => b.id === id))
        throw notFound(`No backup ${quoted(id)} in the source.`, 'Run `backhaul list --repo SOURCE` to see the ids.');
  }
  return all.filter(b => (!ids || ids.has(b.id)) && (!machine || machine(b.machine)) && (!job || job(b.job)));
}

/** A test for "matches one of the patterns"; undefined for none (everything matches). */
function anyOf(patterns: string | readonly string[] | undefined): ((name: string) => boolean) | undefined {
  const list = typeof patterns === 'string' ? [patterns] : (patterns ?? []);
  if (list.length === 0) return undefined;
  const res = list.map(globToRegExp);
  return name => res.some(re => re.test(name));
}

const patternsText = (p: string | readonly string[]) => (typeof p === 'string' ? [p] : p).map(x => quoted(x)).join(' ');

/** The filters a selection names, as typed: `--machine "ws-*" --points all` (empty when it names none). */
export function describeSelection(selection: Selection): string {
  const parts = (selection.backups ?? []).map(id => quoted(id));
  if (selection.machine !== undefined) parts.push(`--machine ${patternsText(selection.machine)}`);
  if (selection.job !== undefined) parts.push(`--job ${patternsText(selection.job)}`);
  if (selection.points !== undefined)
    parts.push(`--points ${/^[\w:,.+-]+$/.test(selection.points) ? selection.points : quoted(selection.points)}`);
  return parts.join(' ');
}

/** A selection that matches no backup, or no restore point of the backups it matches: nothing to copy is an answer, not a success. */
export function nothingSelected(location: string, selection: Selection, backups: number): BackhaulError {
  const asked = describeSelection(selection);
  if (backups === 0 && asked === '')
    return notFound(
      `The source ${location} holds no backups: nothing to copy.`,
      'Run `backhaul list --repo SOURCE` to see what a repository holds.',
    );
  if (backups === 0)
    return notFound(
      `No backup in ${location} matches ${asked}.`,
      'Run `backhaul list --repo SOURCE` to see its backups, machines and jobs.',
    );
  return notFound(
    `No restore point of the ${backups} selected backup(s) matches ${asked || '--points latest'}.`,
    "Run `backhaul points BACKUP_ID --repo SOURCE` to see a backup's restore points and their times.",
  );
}

export type PointFilter = (points: PointManifest[]) => {picked: PointManifest[]; filtered: PointManifest[]};

/** The forms that name points by rule rather than by id: each stands alone (`--points all,latest` is refused, saying so). */
const isForm = (term: string) => term === 'all' || term === 'latest' || /^latest:/.test(term) || /^since:/.test(term);

export function parsePointSpec(spec = 'latest'): PointFilter {
  const split = (picked: PointManifest[], points: PointManifest[]) => ({
    picked,
    filtered: points.filter(p => !picked.includes(p)),
  });
  const terms = spec.split(',').map(s => s.trim());
  const form = terms.length > 1 ? terms.find(isForm) : undefined;
  if (form !== undefined) {
    throw usageError(
      `--points ${quoted(form)} cannot be combined with other terms (${quoted(spec)}): ${form === 'all' ? 'it already takes every restore point' : 'it stands alone'}.`,
      'Give one of latest, latest:N, all or since:DATE alone, or restore point ids separated by commas.',
    );
  }
  if (spec === 'all') return points => split(points, points);
  if (spec === 'latest') return points => split(points.slice(-1), points);
  const latest = /^latest:(\d+)$/.exec(spec);
  if (latest) {
    const n = Number(latest[1]);
    if (n < 1) throw usageError('--points latest:N needs N ≥ 1.');
    return points => split(points.slice(-n), points);
  }
  if (spec.startsWith('since:')) {
    const since = Date.parse(spec.slice(6));
    if (Number.isNaN(since))
      throw usageError(
        `--points: ${quoted(spec.slice(6))} is not a date.`,
        'Use ISO 8601, e.g. since:2026-11-01 or since:2026-11-01T12:00Z.',
      );
    return points =>
      split(
        points.filter(p => Date.parse(p.time) >= since),
        points,
      );
  }
  const ids = new Set(
    spec
      .split(',')
      .map(s => s.trim())
      .filter(Boolean),
  );
  const forms = 'Use latest, latest:N, all, since:DATE or point ids separated by commas.';
  if (ids.size === 0) throw usageError(`--points ${quoted(spec)} names no restore point.`, forms);
  // A typo ("latest:x", "Latest", "all,") must not silently select nothing.
  for (const id of ids)
    if (!isShortId(id))
      throw usageError(`--points: ${quoted(id)} is neither a restore point id nor a known form.`, forms);
  return points =>
    split(
      points.filter(p => ids.has(p.id)),
      points,
    );
}

/** The point ids an explicit `--points ID,ID` names (undefined for the other forms). */
export function explicitPointIds(spec = 'latest'): string[] | undefined {
  if (spec === 'all' || spec === 'latest' || spec.startsWith('latest:') || spec.startsWith('since:')) return undefined;
  return [
    ...new Set(
      spec
        .split(',')
        .map(s => s.trim())
        .filter(Boolean),
    ),
  ];
}

/** Checks --nodes against a cluster; returns the chosen node names (all when none given). */
export function selectNodes(backup: BackupRecord, nodes: string[] | undefined): string[] {
  const names = backup.nodes.map(n => n.name);
  if (!nodes || nodes.length === 0 || backup.kind !== 'cluster') return names;
  for (const n of nodes) {
    if (!names.includes(n))
      throw usageError(`Cluster ${backup.machine} has no node ${quoted(n)}.`, `Its nodes: ${names.join(', ')}.`);
  }
  return names.filter(n => nodes.includes(n));
}
