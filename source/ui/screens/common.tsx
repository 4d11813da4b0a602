/**
 * Small pieces every screen uses: loading data with errors shown in place
 * (one sentence and a hint on the status line, never a stack), a muted
 * placeholder line while it loads, and a reload when a screen comes back to
 * the top (after a copy, the "copied" marks must be current).
 */
import React, {useEffect, useRef} from 'react';
import {Text} from 'ink';
import {statusFromError} from '../components/status-line.js';
import {safeText} from '../format.js';
import {useShell} from '../shell-context.js';
import {truncate} from '../text.js';
import {useTheme} from '../theme.js';
import {useAsync, type Async} from '../use-async.js';

/** useAsync, plus: a failure goes to the status line; `active` turning true again reloads. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[], active: boolean): Async<T> {
  const shell = useShell();
  const data = useAsync(load, deps);
  useEffect(() => {
    if (data.error !== undefined) shell.showError(data.error);
  }, [data.error, shell]);
  const wasActive = useRef(active);
  const {reload} = data;
  useEffect(() => {
    if (active && !wasActive.current) reload();
    wasActive.current = active;
  }, [active, reload]);
  return data;
}

/** What to show instead of content that is not there (yet). */
export function Placeholder({data, what, width}: {data: Async<unknown>; what: string; width: number}) {
  const theme = useTheme();
  if (data.error !== undefined && data.value === undefined) {
    const status = statusFromError(data.error);
    return <Text {...theme.error} wrap="truncate">{truncate(`✗ ${safeText(status.message)}`, width)}</Text>;
  }
  return <Text {...theme.muted}>Loading {what}…</Text>;
}

/** A one-line muted caption above a list. */
export function Caption({children, width}: {children: string; width: number}) {
  const theme = useTheme();
  return <Text {...theme.muted} wrap="truncate">{truncate(safeText(children), width)}</Text>;
}

/** One shared empty list: a fresh `[]` on every render would make a list re-set its items forever. */
export const NONE: readonly never[] = Object.freeze([]);
