/**
 * Jobs and history: past copy sessions, newest first — when, result, from and
 * to (by registered name when there is one), points copied, duration, bytes
 * sent and their rate, the bytes processed. Enter shows a session's summary
 * and log. Opened from the Jobs screen, it lists one job's sessions only.
 */
import React from 'react';
import {Box} from 'ink';
import {readHistory, type SessionRecord} from '../../engine/jobs/history.js';
import {List, useList} from '../components/list.js';
import {currentItem, shownCount} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {formatAge, formatBytes, formatDuration, formatRate} from '../format.js';
import {matches} from '../keymap.js';
import {nameOfLocation} from '../repos.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {Caption, NONE, Placeholder, useLoad} from './common.js';
import {perSecond} from './progress-state.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface SessionRow {
  readonly index: number;
  readonly session: SessionRecord;
  readonly from: string;
  readonly to: string;
}

/** `job`: only that job's sessions. */
export interface HistoryParams {
  readonly job?: string;
}

async function loadHistory(job: string | undefined): Promise<SessionRow[]> {
  const sessions = await readHistory();
  return sessions
    .map((session, index) => ({
      index,
      session,
      from: nameOfLocation(session.source) ?? session.source,
      to: nameOfLocation(session.target) ?? session.target,
    }))
    .filter(r => job === undefined || r.session.job === job)
    .reverse();
}

const COLUMNS: Column<SessionRow>[] = [
  {
    id: 'when',
    header: 'When',
    width: 9,
    align: 'right',
    value: r => formatAge(Date.parse(r.session.summary.endedAt || r.session.summary.startedAt)),
  },
  {
    id: 'result',
    header: 'Result',
    width: 9,
    value: r => r.session.summary.result,
    style: (r, t) =>
      ({success: t.ok, warning: t.warn, cancelled: t.warn, failed: t.error, interrupted: t.error})[
        r.session.summary.result
      ],
  },
  {id: 'route', header: 'From → to', minWidth: 12, value: r => `${r.from} → ${r.to}`},
  {id: 'points', header: 'Points', width: 6, align: 'right', value: r => String(r.session.summary.pointsCopied)},
  {id: 'time', header: 'Duration', width: 8, align: 'right', value: r => formatDuration(r.session.summary.seconds)},
  {id: 'bytes', header: 'Sent', width: 9, align: 'right', value: r => formatBytes(r.session.summary.transferredBytes)},
  // The rate of the figure beside it: the summary's own `rate` is processed (logical) bytes per second,
  // which an incremental copy makes far larger than what it sends (Sent 105 KiB next to 306 MiB/s).
  {
    id: 'rate',
    header: 'Sent/s',
    width: 11,
    align: 'right',
    optional: true,
    value: r => formatRate(perSecond(r.session.summary.transferredBytes, r.session.summary.seconds)),
  },
  {
    id: 'processed',
    header: 'Processed',
    width: 9,
    align: 'right',
    optional: true,
    value: r => formatBytes(r.session.summary.logicalBytes),
  },
];

function HistoryScreen({params, width, height, active}: ScreenProps<HistoryParams>) {
  const shell = useShell();
  const data = useLoad(() => loadHistory(params.job), [params.job], active);
  const list = useList({
    items: data.value ?? NONE,
    idOf: r => String(r.index),
    textOf: r => `${r.from} ${r.to} ${r.session.summary.result}`,
    height: height - 1,
    markable: false,
  });
  // Nothing to open: the footer does not offer Enter.
  useFooter(
    list.state.filtering
      ? ['filter.accept', 'filter.clear']
      : shownCount(list.state) === 0
        ? ['filter.start', 'nav.back', 'help.toggle', 'app.quit']
        : undefined,
  );
  useScreenKeys(k => {
    if (list.handleKey(k)) return true;
    if (!matches('nav.open', k)) return false;
    const row = currentItem(list.store.get());
    if (row) shell.push('session', {session: row.session, from: row.from, to: row.to});
    return true;
  });
  return (
    <Box flexDirection="column">
      <Caption
        width={width}
      >{`${data.value?.length ?? '…'} past ${params.job === undefined ? 'copy' : `${params.job}`} session${data.value?.length === 1 ? '' : 's'}, newest first · Enter shows a session's log`}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="the history" width={width} />
      ) : (
        <List
          state={list.state}
          columns={COLUMNS}
          width={width}
          emptyText="No copy sessions yet: plan one with c on the backups screen."
        />
      )}
    </Box>
  );
}

export const historyScreen = defineScreen<HistoryParams>({
  id: 'history',
  title: 'Jobs and history',
  breadcrumb: p => (p.job === undefined ? 'history' : `${p.job} sessions`),
  actions: ['nav.open', 'nav.up', 'nav.down', 'nav.pageUp', 'nav.pageDown', 'nav.top', 'nav.bottom', 'filter.start'],
  component: HistoryScreen,
  jump: {action: 'history.open', params: () => ({})},
});
