/**
 * Where you are: "repo › machine › point". When the trail is wider than the
 * terminal, its start is cut ('…'), because the last step matters most.
 */
import React from 'react';
import {Text} from 'ink';
import {safeText} from '../format.js';
import {textWidth, truncate, truncateStart} from '../text.js';
import {useTheme} from '../theme.js';

export const SEPARATOR = ' › ';

/** The trail as plain text, fitted to `width`. */
export function breadcrumbText(parts: readonly string[], width: number): string {
  const clean = parts.filter(p => p !== '').map(safeText);
  const full = clean.join(SEPARATOR);
  if (textWidth(full) <= width) return full;
  const last = clean[clean.length - 1] ?? '';
  if (textWidth(last) + 2 > width) return truncate(last, width);
  return truncateStart(full, width);
}

export function Breadcrumbs({parts, width}: {parts: readonly string[]; width: number}) {
  const theme = useTheme();
  const text = breadcrumbText(parts, width);
  const cut = text.lastIndexOf(SEPARATOR);
  if (cut < 0)
    return (
      <Text {...theme.heading} wrap="truncate">
        {text}
      </Text>
    );
  return (
    <Text wrap="truncate">
      <Text {...theme.muted}>{text.slice(0, cut + SEPARATOR.length)}</Text>
      <Text {...theme.heading}>{text.slice(cut + SEPARATOR.length)}</Text>
    </Text>
  );
}
