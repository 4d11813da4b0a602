/**
 * The copy-progress screen's state as a pure reducer over the engine's copy
 * events (plus the screen's own: cancelling, failed, finished). Every event
 * is folded in — none is dropped — while the screen renders at most ~15
 * times a second. Keeps: overall stats, one bar per disk of the point being
 * copied, read/transfer throughput samples for the sparkline, a status per
 * restore point (the per-object list) and the session log (its lines worded
 * by the engine, as in the history: jobs/session.ts).
 *
 * The events come from a run's log (a detached run: engine/jobs/run-log.ts),
 * so they may be the log's slim form (a plan's totals, not its points) and
 * the run's own entries (phase, log lines, its end): `runEntryEvents` turns
 * an entry into what this reducer takes. Rows of points the state did not
 * know (a viewer that attached without the plan) are added as they appear.
 */
import type {CopyEvent, CopyStats} from '../../engine/copy/events.js';
import type {CopyPlan} from '../../engine/copy/plan.js';
import {CANCELLING, sessionLine} from '../../engine/jobs/session.js';
import {sessionHeadline, type SessionResult, type SessionSummary} from '../../engine/jobs/history.js';
import type {LoggedCopyEvent, RunPhase, StampedEntry} from '../../engine/jobs/run-log.js';
import {formatBytes, formatRate, formatTime} from '../format.js';

export type ObjectStatus = 'pending' | 'running' | 'success' | 'skipped' | 'warning' | 'error';
export interface ObjectRow {
  readonly key: string;
  readonly label: string;
  readonly status: ObjectStatus;
  readonly message?: string;
  /** What the detail view shows besides the label. */
  readonly machine: string;
  readonly pointId: string;
  readonly time: string;
  readonly nodes: readonly string[];
}
export interface DiskBar {
  readonly key: string;
  readonly pointId: string;
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly finished: boolean;
}
export interface LogLine {
  readonly level: 'info' | 'warning' | 'error';
  readonly text: string;
}

export interface ProgressState {
  readonly phase: 'running' | 'cancelling' | 'done';
  readonly target: string;
  readonly totalTransfer: number;
  readonly totalLogical: number;
  readonly kinds: ReadonlyMap<string, string>;
  readonly stats?: CopyStats;
  readonly disks: readonly DiskBar[];
  readonly objects: readonly ObjectRow[];
  readonly log: readonly LogLine[];
  readonly readRates: readonly number[];
  readonly sentRates: readonly number[];
  readonly last?: {readonly seconds: number; readonly read: number; readonly sent: number};
  readonly summary?: SessionSummary;
  /** What the run is doing besides copying (waiting for the copy window, a script), when it is. */
  readonly runPhase?: {readonly phase: RunPhase; readonly until?: string};
  /** Why the run stopped, when it was neither a success nor a cancel. */
  readonly failure?: string;
}

export type UiEvent =
  | {readonly type: 'ui.cancelling'}
  | {readonly type: 'ui.failed'; readonly message: string}
  | {readonly type: 'ui.finished'}
  | {readonly type: 'ui.phase'; readonly phase: RunPhase; readonly until?: string}
  | {readonly type: 'ui.log'; readonly level: LogLine['level']; readonly text: string}
  | {
      readonly type: 'ui.end';
      readonly result: SessionResult;
      readonly summary?: SessionSummary;
      readonly message?: string;
    };
/** An event with the wall-clock time it arrived (the log shows it). */
export interface Stamped {
  readonly at: number;
  readonly event: CopyEvent | LoggedCopyEvent | UiEvent;
}

const MAX_LOG = 500;
const MAX_SAMPLES = 240;
const keyOf = (backupId: string, pointId: string) => `${backupId}/${pointId}`;
const clock = (at: number) => new Date(at).toISOString().slice(11, 19);

/** The state of a viewer that knows nothing of the run yet (it attached from the Jobs screen): rows come with the events. */
export function emptyProgress(target: string): ProgressState {
  return {
    phase: 'running',
    target,
    totalTransfer: 0,
    totalLogical: 0,
    kinds: new Map(),
    disks: [],
    objects: [],
    log: [],
    readRates: [],
    sentRates: [],
  };
}

/** What one entry of a run's log means to the reducer (nothing for the run's start: the screen knows it). */
export function runEntryEvents(entry: StampedEntry): Stamped[] {
  const at = entry.t;
  switch (entry.type) {
    case 'copy':
      return [{at, event: entry.event}];
    case 'run.phase':
      return [{at, event: {type: 'ui.phase', phase: entry.phase, until: entry.until}}];
    case 'run.log':
      return [{at, event: {type: 'ui.log', level: entry.level, text: entry.text}}];
    case 'run.end':
      return [
        {at, event: {type: 'ui.end', result: entry.result, summary: entry.summary, message: entry.message}},
        {at, event: {type: 'ui.finished'}},
      ];
    default:
      return [];
  }
}

/** A row for a point the state has not seen (no plan was given): its id stands for its time. */
function withObject(
  s: ProgressState,
  e: {backupId: string; machine: string; pointId: string; nodes?: readonly string[]},
): readonly ObjectRow[] {
  const key = keyOf(e.backupId, e.pointId);
  if (s.objects.some(o => o.key === key)) return s.objects;
  const nodes = e.nodes ?? [];
  return [
    ...s.objects,
    {
      key,
      label: `${e.machine} ${e.pointId}${nodes.length > 0 ? ` [${nodes.join(',')}]` : ''}`,
      status: 'pending',
      machine: e.machine,
      pointId: e.pointId,
      time: '',
      nodes,
    },
  ];
}

const PHASE_WORDS: Record<RunPhase, string> = {
  starting: 'Starting…',
  'pre-script': 'Running the pre-script…',
  copying: 'Copying.',
  'waiting for window': 'Waiting for the copy window to open…',
  retention: 'Applying the retention policy on the target…',
  'post-script': 'Running the post-script…',
  'health check': "Checking the target's health…",
};
export const phaseWords = (p: {phase: RunPhase; until?: string}) =>
  `${PHASE_WORDS[p.phase]}${p.until ? ` (until ${formatTime(p.until)} UTC)` : ''}`;

export function initialProgress(plan: CopyPlan, target: string): ProgressState {
  const objects: ObjectRow[] = [];
  for (const b of plan.backups) {
    for (const p of b.points) {
      if (p.action === 'skip' && p.reason !== 'already on target') continue;
      const nodes = b.kind === 'cluster' && p.nodes.length > 0 ? ` [${p.nodes.join(',')}]` : '';
      objects.push({
        key: keyOf(b.backupId, p.id),
        label: `${b.machine} ${formatTime(p.time).slice(5)}${nodes}`,
        status: p.action === 'copy' ? 'pending' : 'skipped',
        ...(p.reason ? {message: p.reason} : {}),
        machine: b.machine,
        pointId: p.id,
        time: p.time,
        nodes: p.nodes,
      });
    }
  }
  return {
    phase: 'running',
    target,
    totalTransfer: plan.transferBytes,
    totalLogical: plan.logicalBytes,
    kinds: new Map(plan.backups.map(b => [b.backupId, b.kind])),
    disks: [],
    objects,
    log: [],
    readRates: [],
    sentRates: [],
  };
}

const push = <T>(list: readonly T[], item: T, max: number): T[] => [
  ...list.slice(Math.max(0, list.length - max + 1)),
  item,
];
const setObject = (s: ProgressState, key: string, status: ObjectStatus, message?: string): readonly ObjectRow[] =>
  s.objects.map(o => (o.key === key ? {...o, status, ...(message ? {message} : {})} : o));

export function progressReducer(state: ProgressState, {at, event: e}: Stamped): ProgressState {
  const s = e.type === 'copy.disk' || e.type === 'copy.point' ? {...state, objects: withObject(state, e)} : state;
  const log = (level: LogLine['level'], text: string) => push(s.log, {level, text: `${clock(at)} ${text}`}, MAX_LOG);
  switch (e.type) {
    case 'copy.start':
      // The line reads only the plan's totals, which the run log's slim plan keeps.
      return {
        ...s,
        totalTransfer: s.totalTransfer || e.plan.transferBytes,
        totalLogical: s.totalLogical || e.plan.logicalBytes,
        log: log('info', sessionLine(e as CopyEvent, s.target)!.text),
      };
    case 'copy.plan':
      return {...s, totalTransfer: e.plan.transferBytes, totalLogical: e.plan.logicalBytes};
    case 'copy.disk': {
      const key = `${e.pointId}/${e.node}/${e.disk}`;
      const label = s.kinds.get(e.backupId) === 'cluster' ? `${e.node}/${e.disk}` : `${e.machine}/${e.disk}`;
      const bar: DiskBar = {
        key,
        pointId: e.pointId,
        label,
        done: e.bytesDone,
        total: e.bytesTotal,
        finished: e.chunksDone >= e.chunksTotal && e.bytesDone >= e.bytesTotal,
      };
      const others = s.disks.filter(d => d.key !== key && (d.pointId === e.pointId || !d.finished));
      const at = s.disks.findIndex(d => d.key === key);
      const disks =
        at < 0
          ? [...others, bar]
          : s.disks.filter(d => others.includes(d) || d.key === key).map(d => (d.key === key ? bar : d));
      const objectKey = keyOf(e.backupId, e.pointId);
      const objects = s.objects.some(o => o.key === objectKey && o.status === 'pending')
        ? setObject(s, objectKey, 'running')
        : s.objects;
      return {...s, disks, objects};
    }
    case 'copy.point': {
      const key = keyOf(e.backupId, e.pointId);
      if (e.status === 'copied')
        return {...s, objects: setObject(s, key, 'success'), log: log('info', sessionLine(e, s.target)!.text)};
      if (e.status === 'skipped') return {...s, objects: setObject(s, key, 'skipped', e.message)};
      return {...s, objects: setObject(s, key, 'error', e.message)};
    }
    case 'copy.stats': {
      const {seconds, readBytes: read, transferredBytes: sent} = e.stats;
      const dt = s.last ? seconds - s.last.seconds : 0;
      if (!s.last || dt <= 0.05)
        return {...s, stats: e.stats, totalTransfer: e.totalTransfer, last: s.last ?? {seconds, read, sent}};
      return {
        ...s,
        stats: e.stats,
        totalTransfer: e.totalTransfer,
        last: {seconds, read, sent},
        readRates: push(s.readRates, (read - s.last.read) / dt, MAX_SAMPLES),
        sentRates: push(s.sentRates, (sent - s.last.sent) / dt, MAX_SAMPLES),
      };
    }
    case 'copy.log':
      return {...s, log: log(e.level, e.message)};
    case 'copy.done': {
      const cancelled = e.summary.result === 'cancelled';
      const objects = s.objects.map(o =>
        o.status === 'running'
          ? {
              ...o,
              status: cancelled ? ('warning' as const) : ('error' as const),
              message: cancelled ? 'cancelled, not committed' : 'not copied',
            }
          : o,
      );
      return {
        ...s,
        summary: e.summary,
        objects,
        log: log(e.summary.result === 'success' ? 'info' : 'warning', summaryHeadline(e.summary)),
      };
    }
    case 'ui.cancelling':
      return s.phase === 'running' ? {...s, phase: 'cancelling', log: log('warning', CANCELLING)} : s;
    case 'ui.failed':
      return {...s, failure: e.message, log: log('error', e.message)};
    case 'ui.finished':
      return {...s, phase: 'done'};
    case 'ui.phase':
      return {
        ...s,
        runPhase: e.phase === 'copying' ? undefined : {phase: e.phase, until: e.until},
        log: e.phase === 'copying' || e.phase === 'starting' ? s.log : log('info', phaseWords(e)),
      };
    case 'ui.log':
      return {...s, log: log(e.level, e.text)};
    case 'ui.end': {
      const summary = s.summary ?? e.summary;
      // A copy's own summary already says how it failed; a run that ended without one (a pre-script, a kill) says it here.
      const failure =
        (e.result === 'failed' || e.result === 'interrupted') && (!s.summary || e.message)
          ? (s.failure ?? e.message ?? `The run ended: ${e.result}.`)
          : s.failure;
      const headline =
        !s.summary && summary
          ? [{level: e.result === 'success' ? ('info' as const) : ('warning' as const), text: summaryHeadline(summary)}]
          : [];
      return {
        ...s,
        summary,
        runPhase: undefined,
        ...(failure ? {failure} : {}),
        log: headline.length > 0 ? log(headline[0]!.level, headline[0]!.text) : s.log,
      };
    }
  }
}

/** The session's result in one line: the engine's wording, the same in the history and its session log. */
export const summaryHeadline: (x: SessionSummary) => string = sessionHeadline;

/** Bytes per second over `seconds` (0 before any time has passed). */
export const perSecond = (bytes: number, seconds: number) => (seconds > 0 ? bytes / seconds : 0);

/**
 * The run's bytes, each rate beside the figure it is a rate of: the engine's
 * `rate` is processed (logical) bytes per second, which an incremental copy
 * makes far larger than what it sends.
 */
export function summaryDetail(x: SessionSummary): string {
  return `processed ${formatBytes(x.logicalBytes)} (${formatRate(x.rate)}) · read ${formatBytes(x.readBytes)} · sent ${formatBytes(x.transferredBytes)} (${formatRate(perSecond(x.transferredBytes, x.seconds))}) · stored ${formatBytes(x.storedBytes)} · bottleneck ${x.bottleneck}`;
}

/** Overall progress: transferred of to-transfer; when nothing needs sending, processed of logical. */
export function overall(s: ProgressState): {done: number; total: number} {
  const total = s.totalTransfer > 0 ? s.totalTransfer : s.totalLogical;
  if (s.summary?.result === 'success') return {done: total, total};
  return {done: (s.totalTransfer > 0 ? s.stats?.transferredBytes : s.stats?.processedBytes) ?? 0, total};
}
