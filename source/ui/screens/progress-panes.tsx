/**
 * The lower half of the copy-progress screen: the status of each restore
 * point (✓ copied, · skipped, ! warning, ✗ error, ▸ copying) beside the
 * session log. The point list keeps the one being copied in view; the log
 * shows its newest lines. Both are cut to their width, never wrapped.
 */
import React from 'react';
import {Box, Text} from 'ink';
import {safeText} from '../format.js';
import {fit, truncate} from '../text.js';
import {useTheme, type Theme} from '../theme.js';
import type {ObjectRow, ObjectStatus, ProgressState} from './progress-state.js';

const ICON: Record<ObjectStatus, string> = {pending: ' ', running: '▸', success: '✓', skipped: '·', warning: '!', error: '✗'};
const WORD: Record<ObjectStatus, string> = {pending: 'waiting', running: 'copying', success: 'copied', skipped: 'skipped', warning: 'warning', error: 'error'};
const tone = (status: ObjectStatus, theme: Theme) =>
  ({pending: theme.muted, running: theme.accent, success: theme.ok, skipped: theme.muted, warning: theme.warn, error: theme.error})[status];

/** The rows to show: a window that keeps the first unfinished point in view. */
export function objectWindow(objects: readonly ObjectRow[], rows: number): readonly ObjectRow[] {
  const active = objects.findIndex((o) => o.status === 'running' || o.status === 'pending');
  const focus = active < 0 ? objects.length - 1 : active;
  const start = Math.max(0, Math.min(focus - 1, objects.length - rows));
  return objects.slice(start, start + rows);
}

export function ProgressPanes({state, width, height}: {state: ProgressState; width: number; height: number}) {
  const theme = useTheme();
  const left = Math.max(Math.min(36, width - 20), Math.min(48, Math.floor(width * 0.4)));
  const right = Math.max(10, width - left - 1);
  const rows = Math.max(1, height - 1);
  const done = state.objects.filter((o) => o.status !== 'pending' && o.status !== 'running').length;
  return (
    <Box flexDirection="row" width={width}>
      <Box flexDirection="column" width={left}>
        <Text {...theme.heading} wrap="truncate">{fit(`Restore points ${done}/${state.objects.length}`, left)}</Text>
        {objectWindow(state.objects, rows).map((o) => {
          const word = o.message && o.status !== 'success' ? o.message : WORD[o.status];
          const label = fit(safeText(o.label), Math.max(4, left - 3 - Math.min(26, word.length + 1)));
          return (
            <Text key={o.key} wrap="truncate" {...tone(o.status, theme)}>
              {truncate(`${ICON[o.status]} ${label} ${word}`, left - 1)}
            </Text>
          );
        })}
      </Box>
      <Box flexDirection="column" width={right} marginLeft={1}>
        <Text {...theme.heading} wrap="truncate">Session log</Text>
        {state.log.slice(-rows).map((l, i) => (
          <Text key={state.log.length - rows + i} wrap="truncate" {...(l.level === 'error' ? theme.error : l.level === 'warning' ? theme.warn : {})}>
            {truncate(safeText(l.text), right)}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
