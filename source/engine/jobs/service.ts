/**
 * The service: the scheduler `backhaul service` runs in the foreground (what
 * systemd's ExecStart runs). One per configuration (service-lock.ts). Every
 * 4 s it looks at each enabled job and starts a detached run
 * (start.ts) when one is due — the runs are their own processes, so the
 * service can restart without ending them, and `job stop`, `attach` and the
 * history treat them like any run:
 *
 * - Immediate mode polls the source's change stamp
 *   (repository/changes.ts) every 4 s — a poll, not a watch: the source may
 *   be object storage or NFS, where inotify sees nothing, and a stamp is one
 *   listing and a stat per backup, so a new restore point is noticed within
 *   one poll of its commit (bench/jobs-service.ts measures commit to copied). A stamp unlike the one the last run started from
 *   starts a run, which copies every point made since the job was created
 *   that the target lacks (the first run: the job's `points`, latest by
 *   default). At start the service runs each immediate job once, catching up
 *   on points made while it was down.
 * - Periodic mode runs on its interval (counted from the last run's start,
 *   in the history) or its cron expression.
 * - Inside a copy window nothing starts; a run already going pauses itself
 *   (run-gate.ts).
 * - Health checks run on their own schedule, as runs of their own.
 * - Retries (kept simple, after the reference system's): a failed or
 *   interrupted periodic run is retried up to 3 times, 30 s apart, then
 *   waits for its next time; an immediate one is retried up to 3 times,
 *   5 min apart — or at once when a new point appears.
 *
 * The files of runs that ended more than 30 days ago (log, spec, output)
 * are removed hourly; their history records stay.
 *
 * Everything it does is reported as events (the command prints them, for
 * the journal); it never prints.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {changeStamp} from '../repository/changes.js';
import type {Storage} from '../storage/storage.js';
import {resolveLocation, storageFor} from '../workspace/open.js';
import {readHistory, type SessionResult} from './history.js';
import type {JobDefinition} from './job.js';
import {readRunLog, runEnd} from './run-log.js';
import {pruneRunFiles, reapRuns} from './runs.js';
import {nextHealth, nextPeriodic} from './schedule.js';
import {lockService} from './service-lock.js';
import {jobRunSpec, startRun} from './start.js';
import {lastSession} from './status.js';
import {listJobs} from './store.js';
import {parseWindow, windowState, type CopyWindow} from './window.js';

export type ServiceEvent =
  | {type: 'service.start'; pid: number; jobs: number}
  | {type: 'run.start'; job: string; runId: string; trigger: string; kind: 'copy' | 'health'; pid: number}
  | {type: 'run.end'; job: string; runId: string; result: SessionResult; exitCode: number}
  | {type: 'service.error'; job?: string; message: string}
  | {type: 'service.stop'};

export interface ServiceOptions {
  signal: AbortSignal;
  onEvent?: (event: ServiceEvent) => void;
  /** How to start a run (jobs/start.ts `defaultRunner`). */
  runner?: readonly string[];
  tickMs?: number;
  /** How often an immediate job's source is polled. */
  pollMs?: number;
}

export const RETRIES = 3;
/** How often every job is looked at; an immediate job's source is polled at most every POLL_MS. */
const TICK_MS = 4000;
const POLL_MS = 4000;
/** Finished runs' files older than 30 days are removed at start and hourly (runs.ts pruneRunFiles). */
const PRUNE_EVERY_MS = 3_600_000;
const PERIODIC_RETRY_MS = 30_000;
const IMMEDIATE_RETRY_MS = 300_000;

interface JobTrack {
  lastStart?: Date;
  lastHealth?: Date;
  everSucceeded: boolean;
  /** The run this service started last and has not seen end. */
  runId?: string;
  failures: number;
  retryAt?: Date;
  /** The source's stamp the last immediate run started from. */
  stamp?: string;
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class JobService {
  private readonly tracks = new Map<string, JobTrack>();
  private readonly storages = new Map<string, Storage>();
  private readonly stamps = new Map<string, {at: number; stamp: string}>();
  private readonly said = new Set<string>();
  private readonly windows = new Map<string, CopyWindow>();
  private readonly emit: (e: ServiceEvent) => void;

  constructor(private readonly options: ServiceOptions) {
    this.emit = options.onEvent ?? (() => {});
  }

  /** Runs until the signal aborts (see the header). */
  async run(): Promise<void> {
    const release = lockService();
    try {
      await this.load();
      this.emit({type: 'service.start', pid: process.pid, jobs: this.tracks.size});
      while (!this.options.signal.aborted) {
        await this.tick(new Date()).catch((e: unknown) => this.error(undefined, e));
        await sleep(this.options.tickMs ?? TICK_MS, undefined, {signal: this.options.signal}).catch(() => {});
      }
    } finally {
      release();
      this.emit({type: 'service.stop'});
    }
  }

  private async load(): Promise<void> {
    const history = await readHistory();
    for (const job of listJobs()) this.track(job.name, history);
  }

  private track(name: string, history?: Awaited<ReturnType<typeof readHistory>>): JobTrack {
    let t = this.tracks.get(name);
    if (t) return t;
    const copy = history ? lastSession(history, name) : undefined;
    const health = history ? lastSession(history, name, 'health') : undefined;
    t = {
      lastStart: copy ? new Date(copy.summary.startedAt) : undefined,
      lastHealth: health ? new Date(health.summary.startedAt) : undefined,
      everSucceeded: history?.some(s => s.job === name && s.kind === 'copy' && s.summary.result === 'success') ?? false,
      failures: 0,
    };
    this.tracks.set(name, t);
    return t;
  }

  private error(job: string | undefined, e: unknown): void {
    const message = messageOf(e);
    const key = `${job ?? ''} ${message}`;
    if (this.said.has(key)) return; // said once, not every second
    this.said.add(key);
    this.emit({type: 'service.error', job, message});
  }

  private lastPrune = 0;

  /** One look at every job (see the header). */
  async tick(now: Date): Promise<void> {
    if (now.getTime() - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now.getTime();
      pruneRunFiles(now.getTime());
    }
    const running = new Map((await reapRuns(now)).filter(r => r.job !== undefined).map(r => [r.job!, r.runId]));
    for (const job of listJobs()) {
      if (this.options.signal.aborted) return;
      await this.consider(job, this.track(job.name), now, running.get(job.name)).catch((e: unknown) =>
        this.error(job.name, e),
      );
    }
  }

  /** The job's window, parsed once per set of rules. */
  private windowOpen(job: JobDefinition, now: Date): boolean {
    if (job.windows.length === 0) return true;
    const key = JSON.stringify(job.windows);
    let window = this.windows.get(key);
    if (!window) this.windows.set(key, (window = parseWindow(job.windows)));
    return windowState(window, now).open;
  }

  private async consider(job: JobDefinition, t: JobTrack, now: Date, liveRunId: string | undefined): Promise<void> {
    if (t.runId && t.runId !== liveRunId) await this.noticeEnd(job, t, now);
    if (!job.enabled || liveRunId !== undefined) return;
    if (!this.windowOpen(job, now)) return;
    const health = nextHealth(job, t.lastHealth);
    if (health && health <= now) {
      t.lastHealth = now;
      return this.start(job, t, now, 'health schedule', 'health');
    }
    if (t.retryAt && now >= t.retryAt) {
      t.retryAt = undefined;
      if (job.mode === 'immediate') t.stamp = await this.stampOf(job.source, now, true);
      return this.start(job, t, now, 'retry');
    }
    if (job.mode === 'periodic') {
      const due = nextPeriodic(job, t.lastStart, now);
      if (due && due <= now && !t.retryAt) return this.start(job, t, now, 'schedule');
      return;
    }
    const stamp = await this.stampOf(job.source, now);
    if (stamp !== undefined && stamp !== t.stamp) {
      t.stamp = stamp;
      t.retryAt = undefined;
      return this.start(job, t, now, 'new point');
    }
  }

  private async start(
    job: JobDefinition,
    t: JobTrack,
    now: Date,
    trigger: 'schedule' | 'new point' | 'retry' | 'health schedule',
    kind: 'copy' | 'health' = 'copy',
  ): Promise<void> {
    const run = await startRun(jobRunSpec(job, {kind, trigger, firstRun: !t.everSucceeded}), this.options.runner);
    if (kind === 'copy') t.lastStart = now;
    t.runId = run.runId;
    this.emit({type: 'run.start', job: job.name, runId: run.runId, trigger, kind, pid: run.pid});
  }

  /** The run this service started has ended (no longer live): say so, and plan a retry if it failed. */
  private async noticeEnd(job: JobDefinition, t: JobTrack, now: Date): Promise<void> {
    const runId = t.runId!;
    t.runId = undefined;
    const end = runEnd((await readRunLog(runId)) ?? []);
    if (!end) return;
    this.emit({type: 'run.end', job: job.name, runId, result: end.result, exitCode: end.exitCode});
    if (end.result === 'success' || end.result === 'warning') {
      t.failures = 0;
      t.everSucceeded ||= end.result === 'success';
    } else if (end.result === 'failed' || end.result === 'interrupted') {
      t.failures++;
      if (t.failures <= RETRIES)
        t.retryAt = new Date(now.getTime() + (job.mode === 'periodic' ? PERIODIC_RETRY_MS : IMMEDIATE_RETRY_MS));
      else t.failures = 0;
    }
  }

  /** The source's change stamp, polled at most every pollMs (shared by the jobs of one source). */
  private async stampOf(source: string, now: Date, fresh = false): Promise<string | undefined> {
    const cached = this.stamps.get(source);
    if (!fresh && cached && now.getTime() - cached.at < (this.options.pollMs ?? POLL_MS)) return cached.stamp;
    try {
      let storage = this.storages.get(source);
      if (!storage) {
        const resolved = resolveLocation(source);
        storage = await storageFor(resolved.entry, {registered: resolved.name !== undefined});
        this.storages.set(source, storage);
      }
      const stamp = await changeStamp(storage);
      this.stamps.set(source, {at: now.getTime(), stamp});
      return stamp;
    } catch (e) {
      this.storages.delete(source);
      throw e;
    }
  }
}

/** Runs the service until `options.signal` aborts; a second one for the same configuration is refused (exit 11). */
export function runService(options: ServiceOptions): Promise<void> {
  return new JobService(options).run();
}
