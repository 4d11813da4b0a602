/**
 * The lower half of the copy-progress screen: the restore points of the copy
 * as a list (✓ copied, · skipped, ! warning, ✗ error, ▸ copying) beside the
 * session log. The list scrolls like any other (its cursor follows the point
 * being copied until you move it), and Enter opens the row under the cursor
 * in full: a failure's message is never only what fits in the pane
 * (`pointDetail`). The log shows its newest lines; both are cut to their
 * width, never wrapped.
 */
import React from 'react';
import {Box, Text} from 'ink';
import {List} from '../components/list.js';
import type {ListState} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {formatTime, safeText} from '../format.js';
import {truncate} from '../text.js';
import {useTheme, type Theme} from '../theme.js';
import type {DetailField, DetailParams} from './detail.js';
import type {ObjectRow, ObjectStatus, ProgressState} from './progress-state.js';

const ICON: Record<ObjectStatus, string> = {
  pending: ' ',
  running: '▸',
  success: '✓',
  skipped: '·',
  warning: '!',
  error: '✗',
};
const WORD: Record<ObjectStatus, string> = {
  pending: 'waiting',
  running: 'copying',
  success: 'copied',
  skipped: 'skipped',
  warning: 'warning',
  error: 'failed',
};
const tone = (status: ObjectStatus, theme: Theme) =>
  ({
    pending: theme.muted,
    running: theme.accent,
    success: theme.ok,
    skipped: theme.muted,
    warning: theme.warn,
    error: theme.error,
  })[status];

/** A failure's message is a sentence: the row says "failed" and Enter shows why; shorter notes fit in the row. */
const statusText = (o: ObjectRow) =>
  o.message && o.status !== 'success' && o.status !== 'error' ? o.message : WORD[o.status];

const COLUMNS: Column<ObjectRow>[] = [
  {id: 'icon', header: ' ', width: 1, value: o => ICON[o.status], style: (o, t) => tone(o.status, t)},
  {
    id: 'point',
    header: 'Restore point',
    minWidth: 24,
    flex: 3,
    value: o => o.label,
    style: (o, t) => tone(o.status, t),
  },
  {id: 'status', header: 'Status', minWidth: 8, flex: 1, value: statusText, style: (o, t) => tone(o.status, t)},
];

/** The first point not finished yet (the one the list follows), else the last. */
export function activeRow(objects: readonly ObjectRow[]): ObjectRow | undefined {
  return objects.find(o => o.status === 'running' || o.status === 'pending') ?? objects.at(-1);
}

/** What Enter on a row shows: the point, its nodes, its status and the whole message. */
export function pointDetail(o: ObjectRow, target: string): DetailParams {
  const fields: DetailField[] = [
    {label: 'Backup', value: o.machine},
    {label: 'Point', value: `${o.pointId} · ${formatTime(o.time)} UTC`},
    ...(o.nodes.length > 0 ? [{label: 'Nodes', value: o.nodes.join(', ')}] : []),
    {label: 'Target', value: target},
    {
      label: 'Status',
      value: WORD[o.status],
      tone: o.status === 'error' ? ('error' as const) : o.status === 'warning' ? ('warn' as const) : undefined,
    },
  ];
  if (o.message && o.status !== 'success')
    fields.push({label: o.status === 'error' ? 'Why' : 'Note', value: o.message});
  return {crumb: `${o.machine} ${formatTime(o.time).slice(5)}`, fields};
}

export interface PanesProps {
  readonly state: ProgressState;
  readonly list: ListState<ObjectRow>;
  readonly width: number;
  readonly height: number;
}

export function ProgressPanes({state, list, width, height}: PanesProps) {
  const theme = useTheme();
  const left = Math.max(Math.min(40, width - 20), Math.min(56, Math.floor(width * 0.45)));
  const right = Math.max(10, width - left - 1);
  const rows = Math.max(1, height - 1);
  const done = state.objects.filter(o => o.status !== 'pending' && o.status !== 'running').length;
  const failed = state.objects.filter(o => o.status === 'error').length;
  return (
    <Box flexDirection="row" width={width}>
      <Box flexDirection="column" width={left}>
        <List state={list} columns={COLUMNS} width={left} emptyText="No restore point to copy." />
        <Text {...theme.muted} wrap="truncate">
          {truncate(
            `${done}/${state.objects.length} done${failed ? `, ${failed} failed` : ''} · Enter shows one`,
            left,
          )}
        </Text>
      </Box>
      <Box flexDirection="column" width={right} marginLeft={1}>
        <Text {...theme.heading} wrap="truncate">
          Session log
        </Text>
        {state.log.slice(-rows).map((l, i) => (
          <Text
            key={state.log.length - rows + i}
            wrap="truncate"
            {...(l.level === 'error' ? theme.error : l.level === 'warning' ? theme.warn : {})}
          >
            {truncate(safeText(l.text), right)}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
