/**
 * What the Jobs screen shows, read again every 1.5 s while it is on top:
 * every saved job with its status (engine/jobs `jobStatuses`: state, live
 * run, last result, next run) and the detached copies that belong to no job
 * (a copy started from the plan), so a copy left running is found again.
 * Cheap on purpose: a poll reads the jobs file (cached while unchanged), the
 * history and the run files; the RPO check, which opens both repositories
 * of every job, runs on every tenth poll only and its last answer is kept
 * in between. Dead runs are reaped first (recorded as interrupted).
 */
import {useEffect, useRef, useState} from 'react';
import {
  jobStatuses,
  listJobs,
  liveRuns,
  reapRuns,
  type JobDefinition,
  type JobStatus,
  type LiveRun,
  type RpoStatus,
} from '../engine/jobs/index.js';

export type JobRow =
  | {readonly kind: 'job'; readonly name: string; readonly job: JobDefinition; readonly status: JobStatus}
  | {readonly kind: 'run'; readonly name: string; readonly run: LiveRun};

export const POLL_MS = 1500;
const RPO_EVERY = 10;

/** One reading; `rpo` is kept from an earlier one for the jobs it does not check this time. */
export async function readJobRows(withRpo: boolean, rpo: Map<string, RpoStatus | undefined>): Promise<JobRow[]> {
  await reapRuns();
  const jobs = listJobs();
  const statuses = await jobStatuses(jobs, {withRpo});
  const rows: JobRow[] = jobs.map((job, i) => {
    const status = statuses[i]!;
    if (withRpo) rpo.set(job.name, status.rpo);
    const kept = rpo.get(job.name);
    return {kind: 'job', name: job.name, job, status: withRpo || !kept ? status : {...status, rpo: kept}};
  });
  for (const run of liveRuns()) if (!run.job) rows.push({kind: 'run', name: run.runId, run});
  return rows;
}

export interface JobsPoll {
  readonly rows?: readonly JobRow[];
  readonly error?: unknown;
  /** Read again now (after a change made from the screen). */
  refresh(): void;
}

/** Polls while `active` (see the header). */
export function useJobsPoll(active: boolean): JobsPoll {
  const [state, setState] = useState<{rows?: readonly JobRow[]; error?: unknown}>({});
  const rpo = useRef(new Map<string, RpoStatus | undefined>());
  const round = useRef(0);
  const [nudge, setNudge] = useState(0);
  useEffect(() => {
    if (!active) return;
    let live = true;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const withRpo = round.current++ % RPO_EVERY === 0;
      try {
        const rows = await readJobRows(withRpo, rpo.current);
        if (live) setState({rows});
      } catch (error) {
        if (live) setState(s => ({rows: s.rows, error}));
      }
      if (live) timer = setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [active, nudge]);
  return {...state, refresh: () => setNudge(n => n + 1)};
}
