/**
 * One past copy session: its summary (result, points, bytes, rate,
 * bottleneck, failures) and its log, scrolled with the movement keys.
 */
import React from 'react';
import {Box, Text} from 'ink';
import type {SessionRecord} from '../../engine/jobs/history.js';
import {formatTime, safeText} from '../format.js';
import {matches, type ActionId} from '../keymap.js';
import {useScreenKeys} from '../shell-context.js';
import {useStore} from '../store.js';
import {truncate, wrapText} from '../text.js';
import {useTheme} from '../theme.js';
import {summaryDetail, summaryHeadline} from './progress-state.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface SessionParams {
  readonly session: SessionRecord;
  readonly from: string;
  readonly to: string;
}

const SCROLL: Array<[ActionId, number]> = [
  ['nav.down', 1],
  ['nav.up', -1],
  ['nav.pageDown', 10],
  ['nav.pageUp', -10],
  ['nav.top', -1e9],
  ['nav.bottom', 1e9],
];

export function sessionLines(p: SessionParams): string[] {
  const x = p.session.summary;
  return [
    `${p.from} → ${p.to}`,
    `started ${formatTime(x.startedAt)} · ended ${formatTime(x.endedAt)} (UTC)`,
    summaryHeadline(x),
    summaryDetail(x),
    ...x.failed.map(f => `FAILED ${f.message}`),
    '',
    'Session log',
    ...(p.session.log?.length ? p.session.log : ['(no log was recorded for this session)']),
  ].map(safeText);
}

function SessionScreen({params, width, height}: ScreenProps<SessionParams>) {
  const theme = useTheme();
  // Long lines (a failure message, the byte summary) wrap rather than vanish at the edge.
  const lines = sessionLines(params).flatMap(line => (line === '' ? [''] : wrapText(line, width)));
  const room = Math.max(1, height);
  const max = Math.max(0, lines.length - room);
  const [offset, scroll] = useStore((o: number, by: number) => Math.max(0, Math.min(max, o + by)), 0);
  useScreenKeys(k => {
    const step = SCROLL.find(([action]) => matches(action, k));
    if (!step) return false;
    scroll.dispatch(step[1]);
    return true;
  });
  return (
    <Box flexDirection="column">
      {lines.slice(offset, offset + room).map((line, i) => (
        <Text
          key={offset + i}
          wrap="truncate"
          {...(line.startsWith('Copy ') || line === 'Session log'
            ? theme.heading
            : line.startsWith('FAILED')
              ? theme.error
              : {})}
        >
          {truncate(line || ' ', width)}
        </Text>
      ))}
    </Box>
  );
}

export const sessionScreen = defineScreen<SessionParams>({
  id: 'session',
  title: 'Copy session',
  breadcrumb: p => formatTime(p.session.summary.startedAt),
  actions: ['nav.up', 'nav.down', 'nav.pageUp', 'nav.pageDown', 'nav.top', 'nav.bottom'],
  component: SessionScreen,
});
