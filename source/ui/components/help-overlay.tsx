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
}

function lines(sections: readonly HelpSection[], width: number): Array<{text: string; heading: boolean}> {
  const keyWidth = Math.min(22, Math.max(...sections.flatMap((s) => s.rows.map((r) => r.keys.length))) + 2);
  return sections.flatMap((s, i) => [
    ...(i > 0 ? [{text: '', heading: false}] : []),
    {text: s.group, heading: true},
    ...s.rows.map((r) => ({text: truncate(`${fit(r.keys, keyWidth)}${r.description}`, width), heading: false})),
  ]);
}

export function HelpOverlay({actions, width, height, title = 'Keys'}: HelpOverlayProps) {
  const theme = useTheme();
  const sections = helpSections(actions);
  const all = lines(sections, width);
  const twoColumns = all.length > height - 2 && width >= 100;
  const colWidth = twoColumns ? Math.floor((width - 3) / 2) : width;
  const body = lines(sections, colWidth);
  const split = twoColumns ? splitAt(body, Math.ceil(body.length / 2)) : [body];
  return (
    <Box flexDirection="column" width={width} height={height}>
      <Text {...theme.heading}>{title} <Text {...theme.muted}>(Esc or ? to close)</Text></Text>
      <Box flexDirection="row" gap={3}>
        {split.map((column, c) => (
          <Box key={c} flexDirection="column" width={colWidth}>
            {column.slice(0, height - 1).map((line, i) => (
              <Text key={i} {...(line.heading ? theme.accent : {})} wrap="truncate">{line.text || ' '}</Text>
            ))}
          </Box>
        ))}
      </Box>
    </Box>
  );
}

/** Splits at a blank line near `at`, so a group is not cut in two when it can be helped. */
function splitAt<T extends {text: string}>(rows: T[], at: number): T[][] {
  let cut = at;
  while (cut < rows.length && rows[cut]!.text !== '') cut++;
  if (cut >= rows.length) cut = at;
  return [rows.slice(0, cut), rows.slice(cut).filter((r, i) => i > 0 || r.text !== '')];
}
