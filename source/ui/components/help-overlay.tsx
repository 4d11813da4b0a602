/**
 * The `?` help: every key of the current screen and the global ones,
 * grouped, generated from the same table as the footer. Groups flow into two
 * columns when the terminal is wide enough; it is cut to the height it gets.
 */
import React from 'react';
import {Box, Text} from 'ink';
import {helpSections, type HelpSection} from '../key-hints.js';
import type {ActionId} from '../keymap.js';
import {fit, truncate} from '../text.js';
import {useTheme} from '../theme.js';

export interface HelpOverlayProps {
  readonly actions: readonly ActionId[];
  readonly width: number;
  readonly height: number;
  readonly title?: string;
  /** First line shown; the caller scrolls it (clamped here). */
  readonly offset?: number;
}

/** How far the help can scroll at this size (0 when it fits). */
export function helpOverflow(actions: readonly ActionId[], width: number, height: number): number {
  const sections = helpSections(actions);
  const single = lines(sections, width).length;
  if (single <= height - 1 || width < 100) return Math.max(0, single - (height - 1));
  return 0;
}

function lines(sections: readonly HelpSection[], width: number): Array<{text: string; heading: boolean}> {
  const keyWidth = Math.min(22, Math.max(...sections.flatMap(s => s.rows.map(r => r.keys.length))) + 2);
  return sections.flatMap((s, i) => [
    ...(i > 0 ? [{text: '', heading: false}] : []),
    {text: s.group, heading: true},
    ...s.rows.map(r => ({text: truncate(`${fit(r.keys, keyWidth)}${r.description}`, width), heading: false})),
  ]);
}

export function HelpOverlay({actions, width, height, title = 'Keys', offset = 0}: HelpOverlayProps) {
  const theme = useTheme();
  const sections = helpSections(actions);
  const all = lines(sections, width);
  const twoColumns = all.length > height - 1 && width >= 100;
  const colWidth = twoColumns ? Math.floor((width - 3) / 2) : width;
  const body = lines(sections, colWidth);
  const split = twoColumns ? splitAt(body, Math.ceil(body.length / 2)) : [body];
  const from = Math.max(0, Math.min(offset, body.length - (height - 1)));
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text {...theme.heading}>
        {title} <Text {...theme.muted}>(Esc or ? to close)</Text>
      </Text>
      <Box flexDirection="row" gap={3}>
        {split.map((column, c) => (
          <Box key={c} flexDirection="column" width={colWidth}>
            {clip(twoColumns ? column : column.slice(from), height - 1).map((line, i) => (
              <Text key={i} {...(line.heading ? theme.accent : 'more' in line ? theme.muted : {})} wrap="truncate">
                {line.text || ' '}
              </Text>
            ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}

/** Splits at the blank line nearest `at`, so a group is not cut in two when it can be helped. */
function splitAt<T extends {text: string}>(rows: T[], at: number): T[][] {
  let cut = at;
  for (let d = 0; d < rows.length; d++) {
    if (rows[at + d]?.text === '') {
      cut = at + d;
      break;
    }
    if (rows[at - d]?.text === '') {
      cut = at - d;
      break;
    }
  }
  return [rows.slice(0, cut), rows.slice(cut).filter((r, i) => i > 0 || r.text !== '')];
}

/** At most `max` lines; when cut, the last says so (a help that silently ends misleads). */
function clip<T extends {text: string; heading: boolean}>(
  rows: T[],
  max: number,
): Array<T | {text: string; heading: false; more: true}> {
  if (rows.length <= max) return rows;
  return [
    ...rows.slice(0, Math.max(0, max - 1)),
    {text: `… ${rows.length - max + 1} more lines (↓ to scroll)`, heading: false, more: true},
  ];
}
