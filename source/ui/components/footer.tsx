/**
 * The footer: the current screen's keys, generated from the keymap, cut to
 * the terminal's width (help always stays, it is how to find the rest).
 */
import React from 'react';
import {Text} from 'ink';
import {fitHints, footerHints} from '../key-hints.js';
import type {ActionId} from '../keymap.js';
import {useTheme} from '../theme.js';

export interface FooterProps {
  readonly actions: readonly ActionId[];
  readonly width: number;
  /** Global actions appended after the screen's (default: help and quit). */
  readonly globals?: readonly ActionId[];
}

export function Footer({actions, width, globals}: FooterProps) {
  const theme = useTheme();
  const hints = fitHints(footerHints(actions, globals), width);
  return (
    <Text wrap="truncate">
      {hints.map((h, i) => (
        <Text key={h.action}>
          {i > 0 ? '  ' : ''}
          <Text {...theme.accent}>{h.key}</Text>
          <Text {...theme.muted}> {h.label}</Text>
        </Text>
      ))}
    </Text>
  );
}
