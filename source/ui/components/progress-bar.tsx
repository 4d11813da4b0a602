/**
 * A progress bar that fits its width: "label ███████▍░░░░  62%  1.2 GiB/2.0 GiB".
 * Partial blocks give eighth-of-a-cell precision, so a slow copy still moves;
 * the bar is made of characters, so it reads the same without colour. When
 * narrow, the numbers go first, then the label shrinks; the bar stays.
 */
import React from 'react';
import {Text} from 'ink';
import {formatBytes, formatPercent, safeText} from '../format.js';
import {fit, textWidth} from '../text.js';
import {useTheme} from '../theme.js';

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** The bar alone, exactly `width` cells. */
export function barText(done: number, total: number, width: number): string {
  if (width <= 0) return '';
  const ratio = total > 0 ? Math.max(0, Math.min(1, done / total)) : done > 0 ? 1 : 0;
  const eighths = Math.floor(ratio * width * 8);
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8]!;
  return '█'.repeat(full) + part + '░'.repeat(width - full - (part ? 1 : 0));
}

export interface ProgressBarProps {
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly width: number;
  /** Cells for the label (default: a third of the width, at most 28). */
  readonly labelWidth?: number;
  /** How done/total are shown (default bytes). */
  readonly format?: (n: number) => string;
  /** Extra text after the numbers, e.g. a rate. */
  readonly detail?: string;
  readonly state?: 'running' | 'ok' | 'warn' | 'error';
}

/** The whole line as text (used by the view and by tests). */
export function progressLine(p: Omit<ProgressBarProps, 'state'>): {label: string; bar: string; right: string} {
  const format = p.format ?? formatBytes;
  const pct = formatPercent(p.done, p.total).padStart(4);
  const numbers = `  ${format(p.done)}/${format(p.total)}${p.detail ? `  ${p.detail}` : ''}`;
  const labelWidth = Math.min(p.labelWidth ?? Math.min(28, Math.floor(p.width / 3)), Math.max(0, p.width - 12));
  let right = ` ${pct}${numbers}`;
  if (p.width - labelWidth - 1 - textWidth(right) < 10) right = ` ${pct}`;
  const barWidth = Math.max(1, p.width - labelWidth - 1 - textWidth(right));
  return {
    label: labelWidth > 0 ? `${fit(safeText(p.label), labelWidth)} ` : '',
    bar: barText(p.done, p.total, barWidth),
    right,
  };
}

export function ProgressBar(props: ProgressBarProps) {
  const theme = useTheme();
  const {label, bar, right} = progressLine(props);
  const style =
    props.state === 'ok'
      ? theme.ok
      : props.state === 'warn'
        ? theme.warn
        : props.state === 'error'
          ? theme.error
          : theme.accent;
  return (
    <Text wrap="truncate">
      {label}
      <Text {...style}>{bar}</Text>
      {right}
    </Text>
  );
}
