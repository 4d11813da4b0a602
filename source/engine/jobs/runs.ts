/**
 * Which runs are alive, and what became of those that died. Beside each
 * run's log (run-log.ts) a live run keeps `RUN.run.json` — its id, job, pid
 * and process stamp (util/process.ts: a reused pid is not believed) — and a
 * job's run holds `job-NAME.lock`, created exclusively, so a job is never
 * started twice: a second start finds the lock held by a live process and
 * is refused naming the run.
 *
 * A run that ends writes `run.end`, records its session and removes both
 * files. One that was killed (SIGKILL, a reboot) leaves them: `reapRuns`,
 * called by whoever looks (job status, job run, the service, attach), finds
 * the dead process, writes `run.end` with `interrupted`, records that in the
 * history — once: the reaper first renames the run file away, and only the
 * one whose rename succeeded goes on — and frees the job. Its copy resumes
 * on the next run (what landed is not sent again).
 */
import {randomBytes} from 'node:crypto';
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {BackhaulError, quoted} from '../errors.js';
import {processStamp, sameProcessAlive} from '../util/process.js';
import {emptySummary, recordSession, type SessionRecord} from './history.js';
import {readRunLog, RunLogWriter, runLogFile, runsDir, type StampedEntry} from './run-log.js';

export interface LiveRun {
  runId: string;
  job?: string;
  kind: 'copy' | 'health';
  pid: number;
  stamp?: string;
  startedAt: string;
  trigger: string;
  source: string;
  target: string;
}

const runFile = (runId: string) => join(runsDir(), `${runId}.run.json`);
const jobLockFile = (job: string) => join(runsDir(), `job-${job}.lock`);

/** A new run id: its start time (UTC, sortable) and a random suffix: "20261203-153405-9f3a". */
export function newRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export const RUN_ID = /^\d{8}-\d{6}-[0-9a-f]{4}$/;

function readJson<T>(path: string): T | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function writeAtomic(path: string, value: unknown): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(value) + '\n', {mode: 0o600});
  renameSync(temporary, path);
}

const alive = (run: Pick<LiveRun, 'pid' | 'stamp'>) => sameProcessAlive(run.pid, run.stamp);

/**
 * Takes the job's run lock for `runId`, held by `pid` (see the header). A
 * lock whose run is dead is reaped first; a live one is refused (exit 11).
 */
export async function lockJob(job: string, runId: string, pid = process.pid): Promise<void> {
  mkdirSync(runsDir(), {recursive: true, mode: 0o700});
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(jobLockFile(job), JSON.stringify({runId, pid, stamp: processStamp(pid)}) + '\n', {
        flag: 'wx',
        mode: 0o600,
      });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const held = readJson<{runId: string; pid: number; stamp?: string}>(jobLockFile(job));
    if (held && alive(held)) {
      throw new BackhaulError(
        'locked',
        `The job ${quoted(job)} is already running (run ${held.runId}, pid ${held.pid}).`,
        `Watch it with \`backhaul attach ${held.runId}\`, or stop it with \`backhaul job stop ${job}\`.`,
      );
    }
    await reapRuns();
    if (held) rmSync(jobLockFile(job), {force: true}); // a lock whose run file never existed (killed while starting)
  }
  throw new BackhaulError('locked', `The job ${quoted(job)} could not be locked.`, 'Try again in a moment.');
}

/** Re-points the job's lock at the process that runs it (the detached child). */
export function handOverJobLock(job: string, runId: string, pid: number): void {
  writeAtomic(jobLockFile(job), {runId, pid, stamp: processStamp(pid)});
}

export function unlockJob(job: string, runId: string): void {
  const held = readJson<{runId: string}>(jobLockFile(job));
  if (held?.runId === runId) rmSync(jobLockFile(job), {force: true});
}

/** Marks a run live (its process `run.pid`). */
export function registerRun(run: LiveRun): void {
  mkdirSync(runsDir(), {recursive: true, mode: 0o700});
  writeAtomic(runFile(run.runId), run);
}

/** A run's end: its run file and its job's lock go. */
export function unregisterRun(run: Pick<LiveRun, 'runId' | 'job'>): void {
  rmSync(runFile(run.runId), {force: true});
  rmSync(stopRequestFile(run.runId), {force: true});
  if (run.job) unlockJob(run.job, run.runId);
}

function runFiles(): LiveRun[] {
  let names: string[];
  try {
    names = readdirSync(runsDir());
  } catch {
    return [];
  }
  return names
    .filter(n => n.endsWith('.run.json'))
    .map(n => readJson<LiveRun>(join(runsDir(), n)))
    .filter((r): r is LiveRun => r !== undefined);
}

/** The runs whose process is alive now (dead ones are left for reapRuns). */
export function liveRuns(): LiveRun[] {
  return runFiles().filter(alive);
}

export function liveRunOf(job: string): LiveRun | undefined {
  return liveRuns().find(r => r.job === job);
}

/** What an interrupted run had done, from its log: the last stats it wrote. */
function interruptedRecord(run: LiveRun, entries: StampedEntry[], now: Date): SessionRecord {
  const summary = emptySummary('interrupted', run.startedAt, now.toISOString());
  let last = 0;
  for (const e of entries) {
    last = e.t;
    if (e.type !== 'copy') continue;
    if (e.event.type === 'copy.stats') {
      summary.readBytes = e.event.stats.readBytes;
      summary.transferredBytes = e.event.stats.transferredBytes;
      summary.logicalBytes = e.event.stats.processedBytes;
      summary.bottleneck = e.event.stats.bottleneck;
    } else if (e.event.type === 'copy.point' && e.event.status === 'copied') summary.pointsCopied++;
  }
  if (last > 0) summary.endedAt = new Date(last).toISOString();
  summary.seconds = Math.max(0, (Date.parse(summary.endedAt) - Date.parse(summary.startedAt)) / 1000);
  summary.rate = summary.seconds > 0 ? summary.logicalBytes / summary.seconds : 0;
  const message = `The run's process (pid ${run.pid}) ended without finishing the run: it was killed, or the machine stopped.`;
  return {
    kind: run.kind,
    source: run.source,
    target: run.target,
    summary,
    runId: run.runId,
    job: run.job,
    trigger: run.trigger as SessionRecord['trigger'],
    exitCode: 1,
    log: [message],
    warnings: [message],
  };
}

/**
 * Finds runs whose process died without ending them and records each as
 * interrupted (see the header); returns the runs still alive (one listing
 * for both: the service asks every few seconds).
 */
export async function reapRuns(now = new Date()): Promise<LiveRun[]> {
  const live: LiveRun[] = [];
  for (const run of runFiles()) {
    if (alive(run)) {
      live.push(run);
      continue;
    }
    const claimed = `${runFile(run.runId)}.reaping-${process.pid}`;
    try {
      renameSync(runFile(run.runId), claimed);
    } catch {
      continue; // another reaper has it
    }
    const entries = (await readRunLog(run.runId)) ?? [];
    if (!entries.some(e => e.type === 'run.end')) {
      const record = interruptedRecord(run, entries, now);
      new RunLogWriter(run.runId).write({
        type: 'run.end',
        result: 'interrupted',
        exitCode: 1,
        summary: record.summary,
        message: record.log![0],
      });
      await recordSession(record);
    }
    if (run.job) unlockJob(run.job, run.runId);
    rmSync(stopRequestFile(run.runId), {force: true});
    rmSync(claimed, {force: true});
  }
  return live;
}

/** How long a finished run's log, spec and output are kept (the history keeps its record for good). */
export const RUN_FILES_KEPT_MS = 30 * 86_400_000;

/** Removes the files of runs that ended more than `keepMs` ago (never a live run's); returns how many runs. */
export function pruneRunFiles(now = Date.now(), keepMs = RUN_FILES_KEPT_MS): number {
  let names: string[];
  try {
    names = readdirSync(runsDir());
  } catch {
    return 0;
  }
  const live = new Set(names.filter(n => n.endsWith('.run.json')).map(n => n.slice(0, -'.run.json'.length)));
  let pruned = 0;
  for (const name of names.filter(n => n.endsWith('.jsonl'))) {
    const runId = name.slice(0, -'.jsonl'.length);
    if (live.has(runId) || !RUN_ID.test(runId)) continue;
    let mtime: number;
    try {
      mtime = statSync(join(runsDir(), name)).mtimeMs;
    } catch {
      continue;
    }
    if (now - mtime < keepMs) continue;
    for (const suffix of ['.jsonl', '.spec.json', '.out', '.stop'])
      rmSync(join(runsDir(), `${runId}${suffix}`), {force: true});
    pruned++;
  }
  return pruned;
}

/** Where a stop asked of a run waits for it to look (see stopRun). */
export const stopRequestFile = (runId: string) => join(runsDir(), `${runId}.stop`);

/**
 * Asks a live run to stop: it stops like a Ctrl-C'd copy, committing nothing
 * half-done. A signal alone would kill a run still starting (its handler is
 * not installed yet: the default action ends it, and it is seen as
 * interrupted), so the request is written first and the signal sent only
 * once the run's log has begun — the run writes `run.start` after installing
 * its handler and reads the request after that. Either the run reads the
 * request, or its log had begun before we looked and the signal reaches the
 * handler: no order of the two loses the stop.
 */
export function stopRun(run: LiveRun): void {
  writeFileSync(stopRequestFile(run.runId), `${process.pid}\n`, {mode: 0o600});
  let begun = false;
  try {
    begun = statSync(runLogFile(run.runId)).size > 0;
  } catch {
    begun = false;
  }
  if (!begun) return;
  try {
    process.kill(run.pid, 'SIGTERM');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}

/** Whether someone asked this run to stop before it could take a signal (see stopRun). */
export function stopRequested(runId: string): boolean {
  try {
    statSync(stopRequestFile(runId));
    return true;
  } catch {
    return false;
  }
}
