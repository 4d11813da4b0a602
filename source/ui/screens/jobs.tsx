/**
 * Jobs: every saved backup copy job — its state (idle, running, waiting for
 * window, disabled), mode, last result, next run and RPO status — and the
 * detached copies running outside any job (a copy started from the plan),
 * read again every 1.5 s while shown (jobs-poll.ts). Warnings stand out: a
 * missed RPO, a last run that failed or was interrupted, each said in full
 * under the list. Per job: Enter attaches to its running run (the copy
 * progress screen, fed from the run's log) or shows its sessions; `s` its
 * sessions; a line under the list says what the current job's last
 * retention kept, removed and freed on the target and when it last pruned
 * (shown when some job has a retention policy); `c` Sync now (asks all or latest; the run is detached, and
 * its progress shown at once); `d`
 * disables or enables it; `x` stops its run (asks first); `a` and `e` open
 * the job form. Nothing here stops a run by leaving: runs are processes of
 * their own.
 */
import React, {useEffect} from 'react';
import {Box, Text} from 'ink';
import {
  describeRetention,
  liveRunOf,
  retentionWords,
  setJobEnabled,
  startJobRun,
  stopJob,
  type JobStatus,
} from '../../engine/jobs/index.js';
import {stopRun} from '../../engine/jobs/runs.js';
import {List, useList} from '../components/list.js';
import {currentItem} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {formatAge, formatDuration, formatTime, safeText} from '../format.js';
import {matches} from '../keymap.js';
import {useJobsPoll, type JobRow} from '../jobs-poll.js';
import {nameOfLocation} from '../repos.js';
import {currentRunner} from '../runner.js';
import {useFooter, useScreenKeys, useShell, type Shell} from '../shell-context.js';
import {truncate} from '../text.js';
import {useTheme, type Theme} from '../theme.js';
import {Caption, NONE} from './common.js';
import {defineScreen, type ScreenProps} from './screen.js';

const status = (r: JobRow): JobStatus | undefined => (r.kind === 'job' ? r.status : undefined);

function stateTone(r: JobRow, t: Theme) {
  const s = status(r)?.state ?? 'running';
  return {running: t.accent, 'waiting for window': t.warn, disabled: t.muted, idle: undefined}[s];
}

function lastText(r: JobRow): string {
  const last = status(r)?.last;
  // "interrupted 11d": the age without its "ago", so the column fits beside the others at 80 columns.
  return last ? `${last.result} ${formatAge(Date.parse(last.endedAt || last.startedAt)).replace(/ ago$/, '')}` : '–';
}

function nextText(r: JobRow): string {
  const s = status(r);
  if (!s) return '–';
  if (s.state === 'disabled') return '–';
  if (s.mode === 'immediate') return 'new point';
  return s.nextRun ? formatTime(s.nextRun).slice(5) : '–';
}

function rpoText(r: JobRow): string {
  const rpo = status(r)?.rpo;
  if (!rpo) return r.kind === 'job' && r.job.rpo ? '…' : '–';
  if (rpo.status === 'warning') return `! over ${rpo.rpo}`;
  return rpo.status === 'ok' ? `ok (${rpo.rpo})` : `? ${rpo.rpo}`;
}

const COLUMNS: Column<JobRow>[] = [
  {
    id: 'job',
    header: 'Job',
    minWidth: 8,
    flex: 2,
    value: r => (r.kind === 'job' ? r.name : `copy → ${nameOfLocation(r.run.target) ?? r.run.target}`),
  },
  {id: 'state', header: 'State', width: 18, value: r => status(r)?.state ?? 'running', style: stateTone},
  {id: 'mode', header: 'Mode', width: 9, value: r => (r.kind === 'job' ? r.status.mode : 'copy')},
  {
    id: 'last',
    header: 'Last result',
    width: 15,
    value: lastText,
    style: (r, t) =>
      (
        ({failed: t.error, interrupted: t.error, warning: t.warn, cancelled: t.warn, success: t.ok}) as Record<
          string,
          ReturnType<typeof stateTone>
        >
      )[status(r)?.last?.result ?? ''],
  },
  {id: 'next', header: 'Next run', width: 11, value: nextText},
  {
    id: 'rpo',
    header: 'RPO',
    width: 11,
    value: rpoText,
    style: (r, t) =>
      (({warning: t.warn, unknown: t.muted, ok: t.ok}) as Record<string, ReturnType<typeof stateTone>>)[
        status(r)?.rpo?.status ?? ''
      ],
  },
];

/** The line about a job's retention: its last one (kept, removed, freed, last prune), or its policy before any ran. */
export function retentionText(r: JobRow | undefined): string {
  if (r?.kind !== 'job') return '';
  const last = r.status.retention;
  if (!last)
    return r.job.retention
      ? `${r.name} retention: ${describeRetention(r.job.retention)}; not run yet.`
      : `${r.name}: no retention (the target keeps every point).`;
  // The run it ran in is the "Last result" column's: the line has room for what it did and the last prune.
  const pruned = last.lastPrune ? `pruned ${formatTime(last.lastPrune).slice(5)}` : 'never pruned';
  return `${r.name} retention: ${retentionWords(last)} · ${pruned}`;
}

const hasRetention = (rows: readonly JobRow[]) =>
  rows.some(r => r.kind === 'job' && (r.job.retention !== undefined || r.status.retention !== undefined));

/** The warnings under the list, one sentence each. */
export function jobWarnings(rows: readonly JobRow[]): {tone: 'warn' | 'error'; text: string}[] {
  const out: {tone: 'warn' | 'error'; text: string}[] = [];
  for (const r of rows) {
    if (r.kind !== 'job') continue;
    const b = r.status.rpo?.behind;
    if (r.status.rpo?.status === 'warning' && b) {
      out.push({
        tone: 'warn',
        text: `! ${r.name}: ${b.machine}'s newest point (${formatTime(b.time)}) is not on the target after ${formatDuration(b.ageSeconds)} (RPO ${r.status.rpo.rpo}).`,
      });
    }
    const last = r.status.last;
    if (last && (last.result === 'failed' || last.result === 'interrupted') && r.status.state !== 'running') {
      out.push({
        tone: 'error',
        text: `✗ ${r.name}: its last run ${last.result === 'failed' ? 'failed' : 'was interrupted'} (${formatTime(last.endedAt)}); s shows its sessions.`,
      });
    }
  }
  return out;
}

/** Attaches to the row's running run, if it has one now (not as of the last poll); true when it did. */
function attach(shell: Shell, r: JobRow): boolean {
  if (r.kind === 'run') {
    shell.push('progress', {source: r.run.source, target: r.run.target, label: 'copy', runId: r.run.runId});
    return true;
  }
  const run = liveRunOf(r.name);
  if (!run) return false;
  shell.push('progress', {
    source: r.job.source,
    target: r.job.target,
    label: `job ${r.name}`,
    runId: run.runId,
    job: r.name,
  });
  return true;
}

async function syncNow(shell: Shell, r: JobRow & {kind: 'job'}, refresh: () => void) {
  const answer = await shell.prompt({
    title: `Sync now: ${r.name}`,
    label: 'Copy which restore points: all, or latest?',
    initial: 'latest',
    validate: v =>
      /^(a|all|l|latest)$/i.test(v.trim())
        ? undefined
        : 'Type all (every point the job selects) or latest (the newest of each backup).',
  });
  if (answer === undefined) return;
  const points = /^a/i.test(answer.trim()) ? 'all' : 'latest';
  try {
    const run = await startJobRun(r.name, {points, runner: currentRunner()});
    // Straight to its progress: a run of one small point may be over before the next poll shows it.
    shell.push('progress', {
      source: r.job.source,
      target: r.job.target,
      label: `job ${r.name}`,
      runId: run.runId,
      job: r.name,
    });
    shell.showStatus({
      kind: 'ok',
      message: `Started run ${run.runId} of ${r.name} (${points}).`,
      hint: 'Esc or q leave the viewer; the run goes on.',
    });
  } catch (e) {
    shell.showError(e);
  }
  refresh();
}

async function stop(shell: Shell, r: JobRow, refresh: () => void) {
  const running = r.kind === 'run' || r.status.run !== undefined;
  if (!running) return shell.showStatus({kind: 'info', message: `${r.name} is not running.`});
  const what = r.kind === 'run' ? 'this copy' : `the run of ${r.name}`;
  const yes = await shell.confirm({
    title: `Stop ${what}?`,
    message: 'Points already copied stay; the one in progress is not committed (the next run resumes it).',
    danger: true,
  });
  if (!yes) return;
  try {
    if (r.kind === 'run') stopRun(r.run);
    else stopJob(r.name);
    shell.showStatus({kind: 'warn', message: `Stopping ${what}…`});
  } catch (e) {
    shell.showError(e);
  }
  refresh();
}

async function toggle(shell: Shell, r: JobRow & {kind: 'job'}, refresh: () => void) {
  try {
    const job = await setJobEnabled(r.name, !r.job.enabled);
    shell.showStatus({
      kind: 'ok',
      message: `${r.name} is ${job.enabled ? 'enabled' : 'disabled'}.`,
      hint: job.enabled ? undefined : 'A run under way goes on; no new one starts until you enable it (d).',
    });
  } catch (e) {
    shell.showError(e);
  }
  refresh();
}

function JobsScreen({width, height, active}: ScreenProps<Record<string, never>>) {
  const shell = useShell();
  const theme = useTheme();
  const poll = useJobsPoll(active);
  // A jobs file that does not check (moved aside by the engine) or an unreadable history: one sentence and a hint.
  useEffect(() => {
    if (poll.error !== undefined) shell.showError(poll.error);
  }, [poll.error, shell]);
  const rows = poll.rows ?? NONE;
  const warnings = jobWarnings(rows).slice(0, Math.max(0, Math.floor(height / 4)));
  const retentionLine = hasRetention(rows);
  const list = useList({
    items: rows,
    idOf: r => `${r.kind}:${r.name}`,
    textOf: r => r.name,
    height: height - 1 - warnings.length - (retentionLine ? 1 : 0),
    markable: false,
  });
  useFooter(list.state.filtering ? ['filter.accept', 'filter.clear'] : undefined);
  useScreenKeys(k => {
    if (list.handleKey(k)) return true;
    if (matches('job.add', k)) {
      shell.push('job-form', {});
      return true;
    }
    const r = currentItem(list.store.get());
    const job = r?.kind === 'job' ? r : undefined;
    if (!r && (matches('nav.open', k) || matches('job.stop', k))) {
      shell.showStatus({
        kind: 'info',
        message: 'No job here.',
        hint: poll.rows ? 'a creates a job.' : 'Still loading.',
      });
    } else if (matches('nav.open', k)) {
      if (r && !attach(shell, r)) shell.push('history', {job: r.name});
    } else if (matches('job.stop', k)) {
      if (r) void stop(shell, r, poll.refresh);
    } else if (
      matches('job.sync', k) ||
      matches('job.sessions', k) ||
      matches('job.toggle', k) ||
      matches('job.edit', k)
    ) {
      if (!job)
        shell.showStatus({
          kind: 'info',
          message: r ? 'A copy started from the plan is not a saved job.' : 'No job here.',
          hint: 'a creates a job.',
        });
      else if (matches('job.sync', k)) void syncNow(shell, job, poll.refresh);
      else if (matches('job.sessions', k)) shell.push('history', {job: job.name});
      else if (matches('job.toggle', k)) void toggle(shell, job, poll.refresh);
      else shell.push('job-form', {name: job.name});
    } else return false;
    return true;
  });
  const running = rows.filter(r => r.kind === 'run' || r.status.run).length;
  const jobs = rows.filter(r => r.kind === 'job').length;
  return (
    <Box flexDirection="column">
      <Caption width={width}>
        {poll.rows
          ? `${jobs} job${jobs === 1 ? '' : 's'}, ${running} running · Enter attaches to a running run · refreshed every 1.5 s`
          : 'Loading the jobs…'}
      </Caption>
      <List
        state={list.state}
        columns={COLUMNS}
        width={width}
        emptyText="No jobs yet: a creates one (or `backhaul job add`)."
      />
      {retentionLine && (
        <Text wrap="truncate" {...theme.muted}>
          {truncate(safeText(retentionText(currentItem(list.state))), width)}
        </Text>
      )}
      {warnings.map((w, i) => (
        <Text key={i} wrap="truncate" {...theme[w.tone]}>
          {truncate(safeText(w.text), width)}
        </Text>
      ))}
    </Box>
  );
}

export const jobsScreen = defineScreen<Record<string, never>>({
  id: 'jobs',
  title: 'Jobs',
  breadcrumb: () => 'jobs',
  actions: [
    'nav.open',
    'job.sync',
    'job.sessions',
    'job.stop',
    'job.toggle',
    'job.edit',
    'job.add',
    'nav.up',
    'nav.down',
    'nav.pageUp',
    'nav.pageDown',
    'nav.top',
    'nav.bottom',
    'filter.start',
    'history.open',
  ],
  component: JobsScreen,
  jump: {action: 'jobs.open', params: () => ({})},
});
