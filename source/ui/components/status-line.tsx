/**
 * The status line: one sentence and a hint, never a stack trace. Errors the
 * user can fix (BackhaulError) show their message and hint; anything else is
 * a bug and says so in one line. Text goes through safeText.
 */
import React from 'react';
import {Text} from 'ink';
import {isBackhaulError} from '../../engine/errors.js';
import {safeText} from '../format.js';
import {truncate} from '../text.js';
import {useTheme} from '../theme.js';

export interface Status {
  readonly kind: 'error' | 'warn' | 'info' | 'ok';
  readonly message: string;
  readonly hint?: string;
}

const firstLine = (s: string) => s.split(/\r?\n/, 1)[0] ?? '';

/** A status for anything thrown: the error's own words when it is ours, a one-line bug report otherwise. */
export function statusFromError(e: unknown): Status {
  if (isBackhaulError(e))
    return {kind: e.code === 'cancelled' ? 'warn' : 'error', message: e.message, hint: e.hint || undefined};
  const message = e instanceof Error ? firstLine(e.message) : firstLine(String(e));
  return {
    kind: 'error',
    message: `Unexpected error: ${message || 'unknown'}`,
    hint: 'This is a bug in Backhaul; please report it with the steps that led here.',
  };
}

const ICONS: Record<Status['kind'], string> = {error: '✗', warn: '!', info: '·', ok: '✓'};

export function StatusLine({status, width}: {status?: Status; width: number}) {
  const theme = useTheme();
  if (!status) return <Text> </Text>;
  const style = status.kind === 'info' ? theme.accent : theme[status.kind];
  const message = `${ICONS[status.kind]} ${safeText(firstLine(status.message))}`;
  const hint = status.hint ? ` ${safeText(firstLine(status.hint))}` : '';
  const shownMessage = truncate(message, width);
  return (
    <Text wrap="truncate">
      <Text {...style}>{shownMessage}</Text>
      <Text {...theme.muted}>{truncate(hint, Math.max(0, width - shownMessage.length))}</Text>
    </Text>
  );
}
