/**
 * A windowed list: only the rows in view are rendered, so 100,000 items
 * scroll as fast as ten. Shows a header row, the cursor (›), marks (●), the
 * filter being typed, and where you are ("1,234/100,000 · 37%"). State lives
 * in list-state.ts; `useList` wires it to a component with a synchronous
 * store, so keys never act on a stale frame.
 */
import React, {useLayoutEffect} from 'react';
import {Box, Text} from 'ink';
import {useTheme} from '../theme.js';
import {safeText} from '../format.js';
import {fit, truncate} from '../text.js';
import type {KeyPress} from '../keypress.js';
import type {ActionId} from '../keymap.js';
import {useStore, type Store} from '../store.js';
import {layoutColumns, type Column} from './columns.js';
import {
  initialList,
  listKeyAction,
  listReducer,
  shownCount,
  windowRows,
  type ListAction,
  type ListOptions,
  type ListState,
} from './list-state.js';

/** The keys a list handles, for a screen's `actions` (movement shows in help, not in the footer). */
export const LIST_ACTIONS = [
  'nav.up',
  'nav.down',
  'nav.pageUp',
  'nav.pageDown',
  'nav.top',
  'nav.bottom',
  'mark.toggle',
  'mark.all',
  'filter.start',
] as const satisfies readonly ActionId[];

/** Lines the list draws besides its rows: the header and the position line. */
export const LIST_CHROME = 2;

export interface ListHandle<T> {
  readonly state: ListState<T>;
  readonly store: Store<ListState<T>, ListAction<T>>;
  /** Feed a key; true when the list used it (move, mark, filter), false to let the screen have it. */
  handleKey(k: KeyPress): boolean;
}

/** A list's state for a component. `height` is the whole widget's height, chrome included. */
export function useList<T>(options: ListOptions<T> & {height: number}): ListHandle<T> {
  const rows = Math.max(1, options.height - LIST_CHROME);
  const [stored, store] = useStore(listReducer<T>, () => initialList({...options, height: rows}));
  // A layout effect runs in the same commit as the frame: the store holds the new items before
  // the next key can arrive (a passive effect would leave a window where keys act on none).
  useLayoutEffect(() => store.dispatch({type: 'setItems', items: options.items}), [options.items, store]);
  // New items show in the same frame as the data that brought them (no "nothing here" flash
  // between a load and the effect that stores them); the effect then stores the same state.
  const state = stored.items === options.items ? stored : listReducer(stored, {type: 'setItems', items: options.items});
  useLayoutEffect(() => store.dispatch({type: 'resize', height: rows}), [rows, store]);
  const handleKey = (k: KeyPress) => {
    const action = listKeyAction(store.get(), k);
    if (action) store.dispatch(action);
    return action !== undefined;
  };
  return {state, store, handleKey};
}

export interface ListProps<T> {
  readonly state: ListState<T>;
  readonly columns: readonly Column<T>[];
  readonly width: number;
  /** Shown instead of rows when there is nothing to show. */
  readonly emptyText?: string;
  /** False when another pane has the keys: the cursor row is not highlighted. */
  readonly focused?: boolean;
}

const fmt = (n: number) => n.toLocaleString('en-US');

export function List<T>({state, columns, width, emptyText = 'Nothing here.', focused = true}: ListProps<T>) {
  const theme = useTheme();
  const gutter = state.markable ? 3 : 2;
  const placed = layoutColumns(columns, Math.max(1, width - gutter));
  const header = placed.map(p => fit(p.column.header, p.width, p.column.align)).join(' ');
  const rows = windowRows(state);
  const n = shownCount(state);
  return (
    <Box flexDirection="column" width={width}>
      <Text {...theme.heading} wrap="truncate">
        {' '.repeat(gutter)}
        {header}
      </Text>
      <Box flexDirection="column" height={state.height}>
        {n === 0 ? (
          <Text {...theme.muted}>
            {' '.repeat(gutter)}
            {state.filter ? `No match for "${safeText(state.filter)}".` : emptyText}
          </Text>
        ) : null}
        {rows.map(({pos, item}) => {
          const atCursor = pos === state.cursor;
          const marked = state.marks.has(state.idOf(item));
          const lead = `${atCursor ? '›' : ' '}${state.markable ? (marked ? '●' : ' ') : ''} `;
          const cells = placed.map((p, i) => (
            <Text key={p.column.id} {...(atCursor && focused ? {} : p.column.style?.(item, theme))}>
              {i > 0 ? ' ' : ''}
              {fit(safeText(p.column.value(item)), p.width, p.column.align)}
            </Text>
          ));
          return (
            <Text key={pos} wrap="truncate" {...(atCursor && focused ? theme.selection : marked ? theme.marked : {})}>
              {lead}
              {cells}
            </Text>
          );
        })}
      </Box>
      <PositionLine state={state} width={width} />
    </Box>
  );
}

function PositionLine<T>({state, width}: {state: ListState<T>; width: number}) {
  const theme = useTheme();
  const n = shownCount(state);
  const where = n === 0 ? '0/0' : `${fmt(state.cursor + 1)}/${fmt(n)}`;
  const pct =
    n <= state.height
      ? ''
      : state.offset === 0
        ? ' · top'
        : state.offset + state.height >= n
          ? ' · end'
          : ` · ${Math.round(((state.offset + state.height) / n) * 100)}%`;
  const marks = state.marks.size > 0 ? `${fmt(state.marks.size)} marked · ` : '';
  const right = `${marks}${where}${pct}`;
  const filter = state.filtering
    ? `/${safeText(state.filter)}▏`
    : state.filter
      ? `filter: ${safeText(state.filter)}`
      : '';
  const left = truncate(filter, Math.max(0, width - right.length - 1));
  return (
    <Box width={width} justifyContent="space-between">
      <Text {...(state.filtering ? theme.accent : theme.muted)}>{left}</Text>
      <Text {...theme.muted}>{right}</Text>
    </Box>
  );
}
