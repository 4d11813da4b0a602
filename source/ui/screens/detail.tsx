/**
 * The detail view of one item a list can only show cut to its width: a
 * restore point of a copy (its full failure message), an audit entry
 * (reason, destination, Keep/Overwrite), a file in the restore browser.
 * Labelled fields, each value word-wrapped under its label so nothing is cut,
 * scrolled with the movement keys when taller than the screen. Pure
 * presentation: whoever pushes it hands over the lines.
 */
import React from 'react';
import {Box, Text} from 'ink';
import {safeText} from '../format.js';
import {matches, type ActionId} from '../keymap.js';
import {useScreenKeys} from '../shell-context.js';
import {useStore} from '../store.js';
import {chop, fit, textWidth, truncate, wrapText} from '../text.js';
import {useTheme} from '../theme.js';
import type {Tone} from './plan-lines.js';
import {defineScreen, type ScreenProps} from './screen.js';

/**
 * One field: a label and its value, shown whole. An empty label continues the
 * field above (indented under its value); no label at all is a paragraph
 * across the whole width ('' alone: a blank line).
 */
export interface DetailField {
  readonly label?: string;
  readonly value: string;
  readonly tone?: Tone;
}

export interface DetailParams {
  /** This view's step in the breadcrumbs, e.g. 'audit #12'. */
  readonly crumb: string;
  readonly fields: readonly DetailField[];
}

const SCROLL: Array<[ActionId, number]> = [
  ['nav.down', 1],
  ['nav.up', -1],
  ['nav.pageDown', 10],
  ['nav.pageUp', -10],
  ['nav.top', -1e9],
  ['nav.bottom', 1e9],
];

interface Row {
  readonly text: string;
  readonly tone?: Tone;
}

/** Word-wrapped, but a word wider than a line (a long path) is broken across lines, never cut. */
export function wrapWhole(s: string, width: number): string[] {
  const pieces = s
    .split(/\s+/)
    .filter(Boolean)
    .flatMap(word => (textWidth(word) <= width ? [word] : chop(word, width)));
  return wrapText(pieces.join(' '), width);
}

/** The fields as screen lines: labels in a column, values wrapped beside them. Pure, for tests. */
export function detailRows(fields: readonly DetailField[], width: number): Row[] {
  const labelWidth = Math.min(16, Math.max(0, ...fields.map(f => (f.label ? f.label.length + 2 : 0))));
  const room = Math.max(10, width - labelWidth);
  return fields.flatMap(f => {
    const labelled = f.label !== undefined;
    if (f.value === '' && !labelled) return [{text: ''}];
    const wrapped = wrapWhole(safeText(f.value), labelled ? room : width);
    const lead = f.label ? fit(`${f.label}:`, labelWidth) : ' '.repeat(labelled ? labelWidth : 0);
    const pad = ' '.repeat(labelled ? labelWidth : 0);
    return (wrapped.length > 0 ? wrapped : ['']).map((line, i) => ({
      text: truncate(`${i === 0 ? lead : pad}${line}`, width),
      tone: f.tone,
    }));
  });
}

function DetailScreen({params, width, height}: ScreenProps<DetailParams>) {
  const theme = useTheme();
  const rows = detailRows(params.fields, width);
  const room = Math.max(1, height - 1);
  const max = Math.max(0, rows.length - room);
  const [offset, scroll] = useStore((o: number, by: number) => Math.max(0, Math.min(max, o + by)), 0);
  useScreenKeys(k => {
    const step = SCROLL.find(([action]) => matches(action, k));
    if (!step) return false;
    scroll.dispatch(step[1]);
    return true;
  });
  const shown = rows.slice(offset, offset + room);
  const more = rows.length > room ? `lines ${offset + 1}-${offset + shown.length} of ${rows.length} · ↓/↑ scroll` : '';
  return (
    <Box flexDirection="column">
      {shown.map((r, i) => (
        <Text key={offset + i} wrap="truncate" {...(r.tone ? theme[r.tone] : {})}>
          {r.text || ' '}
        </Text>
      ))}
      <Text {...theme.muted}>{more}</Text>
    </Box>
  );
}

export const detailScreen = defineScreen<DetailParams>({
  id: 'detail',
  title: 'Details',
  breadcrumb: p => p.crumb,
  actions: ['nav.up', 'nav.down', 'nav.pageUp', 'nav.pageDown', 'nav.top', 'nav.bottom'],
  component: DetailScreen,
});
