/**
 * The backup copy job and its plan: the one entry both faces call, so the
 * CLI and the TUI cannot drift.
 *
 * - planCopyJob: what a copy would do, written nowhere (`copy --dry-run`, the
 *   TUI's plan screen): the copy rights checked on both sides, both indexes
 *   brought up to date, then the plan.
 * - copyJob: plan and run (the same events, options and summary whoever
 *   calls), on the caller's thread (the CLI) or in a worker thread (the TUI,
 *   whose thread must stay free to answer keys) — the worker runs the same
 *   function (copy-here.ts). Every session that ran is recorded in the
 *   history with its log, before its `copy.done` event, which stays the last
 *   (unless the caller records it itself: a saved job's run, job-run.ts).
 * - pinnedSelection: the selection that copies exactly the points a shown
 *   plan lists, so a plan the user confirmed is the plan that runs.
 */
import {requireCopyRights} from '../access/view.js';
import type {CopyEvent, CopyListener, CopySummary} from '../copy/events.js';
import type {CopyGate} from '../copy/gate.js';
import {planCopy, type CopyPlan, type PlanOptions} from '../copy/plan.js';
import type {Selection} from '../copy/selection.js';
import {CANCELLING, SessionLog, sessionRecord} from '../jobs/session.js';
import {isBackhaulError} from '../errors.js';
import {recordSession} from '../jobs/history.js';
import type {Repository} from '../repository/repository.js';
import type {Storage} from '../storage/storage.js';
import {runCopyHere} from './copy-here.js';
import type {CopyJob, CopyOutcome} from './copy-job.js';
import {runCopyInWorker} from './copy-thread.js';

export type {CopyJob, CopyOutcome} from './copy-job.js';

export async function planCopyJob(
  source: Repository,
  target: Repository,
  selection: Selection,
  options: PlanOptions = {},
): Promise<CopyPlan> {
  await requireCopyRights(source, target);
  // Other processes may have written to either since it was opened (an agent backup to the source,
  // a copy to the target): count what they hold now, so no new point plans at 0 B.
  await Promise.all([source.refreshIndex(), target.refreshIndex()]);
  return planCopy(source, target, selection, options);
}

/** The selection of exactly the points `plan` copies or finds already there (by id), of its backups and `nodes`. */
export function pinnedSelection(plan: CopyPlan, nodes?: readonly string[]): Selection {
  const points = plan.backups.flatMap(b =>
    b.points.filter(p => p.action === 'copy' || p.reason !== 'not selected').map(p => p.id),
  );
  return {backups: plan.backups.map(b => b.backupId), points: points.join(','), ...(nodes ? {nodes: [...nodes]} : {})};
}

export interface CopyJobOptions {
  signal?: AbortSignal;
  onEvent?: CopyListener;
  /** Run in a worker thread: this thread only receives the events. */
  inWorker?: boolean;
  /** On this thread only: sees each storage as it is opened (copy-here.ts). */
  watch?: (storage: Storage) => void;
  /** On this thread only: asked before each pack is sent (copy/gate.ts: a bandwidth limit, a copy window). */
  gate?: CopyGate;
  /** Record the session in the history (default true); a job's run records its own, with more in it. */
  record?: boolean;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export async function copyJob(job: CopyJob, options: CopyJobOptions = {}): Promise<CopyOutcome> {
  const emit = options.onEvent ?? (() => {});
  const log = new SessionLog(job.target);
  let plan: CopyPlan | undefined;
  let summary: CopySummary | undefined;
  const onEvent = (event: CopyEvent) => {
    log.event(event);
    if (event.type === 'copy.start' || event.type === 'copy.plan') plan = event.plan;
    if (event.type === 'copy.done')
      summary = event.summary; // passed on once the session is recorded (below)
    else emit(event);
  };
  const cancelling = () => log.say(CANCELLING);
  options.signal?.addEventListener('abort', cancelling, {once: true});
  try {
    const run = {signal: options.signal, onEvent};
    if (options.inWorker && options.gate) throw new Error("a copy gate works on the caller's thread only");
    return await (options.inWorker
      ? runCopyInWorker(job, run)
      : runCopyHere(job, {...run, watch: options.watch, gate: options.gate}));
  } catch (e) {
    if (!(isBackhaulError(e) && e.code === 'cancelled')) log.say(`The copy stopped: ${messageOf(e)}`);
    throw e;
  } finally {
    options.signal?.removeEventListener('abort', cancelling);
    if (summary && plan && options.record !== false) {
      await recordSession(sessionRecord(plan.source.location, plan.target.location, summary, log.lines)).catch(
        (e: unknown) =>
          emit({
            type: 'copy.log',
            level: 'warning',
            message: `The session was not recorded in the history: ${messageOf(e)}`,
            topic: 'history',
          }),
      );
    }
    if (summary) emit({type: 'copy.done', summary});
  }
}
