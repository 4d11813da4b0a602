/**
 * A throughput sparkline with one row per series (e.g. read vs transferred),
 * drawn with ▁▂▃▄▅▆▇█ on a shared scale, so the two rows compare honestly:
 * the gap between them is what deduplication saved. Newest sample on the right.
 */
import React from 'react';
import {Box, Text} from 'ink';
import {formatRate} from '../format.js';
import {fit} from '../text.js';
import {useTheme, type Theme} from '../theme.js';

const LEVELS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/** The last `width` samples as blocks, scaled to `max` (zero shows as a blank, so idle time is visible). */
export function sparkline(values: readonly number[], width: number, max = Math.max(0, ...values)): string {
  const recent = values.slice(Math.max(0, values.length - width));
  const line = recent
    .map(v => {
      if (!(v > 0) || max <= 0) return ' ';
      const level = Math.ceil((Math.min(v, max) / max) * LEVELS.length) - 1;
      return LEVELS[Math.max(0, level)];
    })
    .join('');
  return line.padStart(width, ' ');
}

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
  readonly tone?: 'accent' | 'ok' | 'warn' | 'muted';
}

export interface SparklineProps {
  readonly series: readonly Series[];
  readonly width: number;
  /** How the latest value is shown at the end of each row (default: a byte rate). */
  readonly format?: (n: number) => string;
}

export function Sparkline({series, width, format = formatRate}: SparklineProps) {
  const theme: Theme = useTheme();
  const max = Math.max(0, ...series.flatMap(s => s.values));
  const labelWidth = Math.max(...series.map(s => s.label.length), 0) + 1;
  const valueWidth = 12;
  const graphWidth = Math.max(1, width - labelWidth - valueWidth - 1);
  return (
    <Box flexDirection="column">
      {series.map(s => (
        <Text key={s.label} wrap="truncate">
          <Text {...theme.muted}>{fit(s.label, labelWidth)}</Text>
          <Text {...theme[s.tone ?? 'accent']}>{sparkline(s.values, graphWidth, max)}</Text>{' '}
          {fit(format(s.values[s.values.length - 1] ?? 0), valueWidth, 'right')}
        </Text>
      ))}
    </Box>
  );
}
