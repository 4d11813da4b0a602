/**
 * Small pieces every screen uses: loading data with errors shown in place
 * (one sentence and a hint on the status line, never a stack), a muted
 * placeholder line while it loads, and a reload when a screen comes back to
 * the top (after a copy, the "copied" marks must be current) or, for data
 * from repositories, when another process changed one of them.
 */
import React, {useEffect, useRef} from 'react';
import {Text} from 'ink';
import {statusFromError} from '../components/status-line.js';
import {safeText} from '../format.js';
import {useShell} from '../shell-context.js';
import {truncate} from '../text.js';
import {useTheme} from '../theme.js';
import {stampOf, useChangePoll} from '../repo-watch.js';
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

/**
 * useLoad for data read from repositories (`repos`, by name) that other
 * processes write to: while the screen is on top, the data is read again
 * when one of them changes (a new restore point; repo-watch.ts).
 */
export function useWatchedLoad<T>(
  repos: readonly string[],
  load: () => Promise<T>,
  deps: readonly unknown[],
  active: boolean,
): Async<T> {
  const data = useLoad(
    async () => {
      const stamp = await stampOf(repos); // first: what is read after it holds every point committed before
      return {stamp, value: await load()};
    },
    [...deps, repos.join('\0')],
    active,
  );
  useChangePoll(repos, data.loading ? undefined : data.value?.stamp, active, data.reload);
  return {...data, value: data.value?.value};
}

/** What to show instead of content that is not there (yet). */
export function Placeholder({data, what, width}: {data: Async<unknown>; what: string; width: number}) {
  const theme = useTheme();
  if (data.error !== undefined && data.value === undefined) {
    const status = statusFromError(data.error);
    return (
      <Text {...theme.error} wrap="truncate">
        {truncate(`✗ ${safeText(status.message)}`, width)}
      </Text>
    );
  }
  return <Text {...theme.muted}>Loading {what}…</Text>;
}

/** A one-line muted caption above a list. */
export function Caption({children, width}: {children: string; width: number}) {
  const theme = useTheme();
  return (
    <Text {...theme.muted} wrap="truncate">
      {truncate(safeText(children), width)}
    </Text>
  );
}

/** One shared empty list: a fresh `[]` on every render would make a list re-set its items forever. */
export const NONE: readonly never[] = Object.freeze([]);
