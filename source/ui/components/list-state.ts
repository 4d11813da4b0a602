/**
 * The state of a windowed list, as a pure reducer: cursor, scroll offset,
 * marks (a Set of ids, so they survive filtering and re-sorting), and
 * filter-as-you-type. Nothing here is proportional to the item count except
 * filtering and mark-all, so moving through 100,000 items costs the same as
 * through ten. `listKeyAction` says what a key means for the list in its
 * current state (undefined: not the list's key, let the screen have it).
 */
import {matches} from '../keymap.js';
import type {KeyPress} from '../keypress.js';

export interface ListState<T> {
  readonly items: readonly T[];
  readonly idOf: (item: T) => string;
  /** Text searched by the filter (lower-cased once, on the first filter). */
  readonly textOf: (item: T) => string;
  /** Item indices that pass the filter; undefined means all of them. */
  readonly shown: readonly number[] | undefined;
  readonly cursor: number;
  readonly offset: number;
  readonly height: number;
  readonly marks: ReadonlySet<string>;
  readonly filter: string;
  readonly filtering: boolean;
  readonly markable: boolean;
  readonly filterable: boolean;
  readonly haystack?: readonly string[];
}

export type ListAction<T> =
  | {readonly type: 'setItems'; readonly items: readonly T[]}
  | {readonly type: 'resize'; readonly height: number}
  | {readonly type: 'move'; readonly by: number}
  | {readonly type: 'page'; readonly by: 1 | -1}
  | {readonly type: 'top'}
  | {readonly type: 'bottom'}
  | {readonly type: 'select'; readonly id: string}
  | {readonly type: 'toggleMark'}
  | {readonly type: 'markAll'}
  | {readonly type: 'clearMarks'}
  | {readonly type: 'filterStart'}
  | {readonly type: 'filterAccept'}
  | {readonly type: 'filterClear'}
  | {readonly type: 'filterType'; readonly text: string}
  | {readonly type: 'filterBackspace'};

export interface ListOptions<T> {
  items: readonly T[];
  idOf: (item: T) => string;
  textOf?: (item: T) => string;
  height?: number;
  markable?: boolean;
  filterable?: boolean;
}

export function initialList<T>(o: ListOptions<T>): ListState<T> {
  return {
    items: o.items,
    idOf: o.idOf,
    textOf: o.textOf ?? o.idOf,
    shown: undefined,
    cursor: 0,
    offset: 0,
    height: Math.max(1, o.height ?? 10),
    marks: new Set(),
    filter: '',
    filtering: false,
    markable: o.markable ?? true,
    filterable: o.filterable ?? true,
  };
}

/** How many rows pass the filter. */
export const shownCount = <T>(s: ListState<T>) => s.shown?.length ?? s.items.length;
/** Item index at a shown position. */
export const indexAt = <T>(s: ListState<T>, pos: number) => (s.shown ? s.shown[pos] : pos);
/** The item under the cursor, if any. */
export const currentItem = <T>(s: ListState<T>): T | undefined => {
  const i = indexAt(s, s.cursor);
  return i === undefined ? undefined : s.items[i];
};
/** Marked items in list order; when nothing is marked, the item under the cursor (the k9s/lazygit convention). */
export function selectedItems<T>(s: ListState<T>): T[] {
  if (s.marks.size === 0) return currentItem(s) === undefined ? [] : [currentItem(s)!];
  return s.items.filter(item => s.marks.has(s.idOf(item)));
}
/** Positions and items of the rows in the window: at most `height` of them. */
export function windowRows<T>(s: ListState<T>): Array<{pos: number; item: T}> {
  const end = Math.min(shownCount(s), s.offset + s.height);
  const rows: Array<{pos: number; item: T}> = [];
  for (let pos = s.offset; pos < end; pos++) rows.push({pos, item: s.items[indexAt(s, pos)!]!});
  return rows;
}

/** Cursor clamped to the rows, offset moved just enough to show it. */
function settle<T>(s: ListState<T>, cursor: number, offset = s.offset): ListState<T> {
  const n = shownCount(s);
  const c = Math.max(0, Math.min(cursor, n - 1));
  let o = Math.max(0, Math.min(offset, n - s.height));
  if (c < o) o = c;
  if (c >= o + s.height) o = c - s.height + 1;
  return c === s.cursor && o === s.offset ? s : {...s, cursor: c, offset: o};
}

function applyFilter<T>(s: ListState<T>, filter: string, keepId?: string): ListState<T> {
  const needle = filter.toLowerCase();
  const haystack = needle === '' ? s.haystack : (s.haystack ?? s.items.map(item => s.textOf(item).toLowerCase()));
  let shown: number[] | undefined;
  if (needle !== '') {
    shown = [];
    for (let i = 0; i < haystack!.length; i++) if (haystack![i]!.includes(needle)) shown.push(i);
  }
  const next = {...s, filter, shown, haystack};
  const keepAt = keepId === undefined ? -1 : positionOf(next, keepId);
  return settle({...next, cursor: -1}, keepAt >= 0 ? keepAt : 0, keepAt >= 0 ? s.offset : 0);
}

/** The marks whose items are still there. */
function keptMarks<T>(s: ListState<T>, items: readonly T[]): ReadonlySet<string> {
  const ids = new Set(items.map(s.idOf));
  return new Set([...s.marks].filter(id => ids.has(id)));
}

function positionOf<T>(s: ListState<T>, id: string): number {
  const n = shownCount(s);
  for (let pos = 0; pos < n; pos++) if (s.idOf(s.items[indexAt(s, pos)!]!) === id) return pos;
  return -1;
}

export function listReducer<T>(s: ListState<T>, a: ListAction<T>): ListState<T> {
  switch (a.type) {
    case 'setItems': {
      if (a.items === s.items) return s;
      const current = currentItem(s);
      // No set of 100,000 ids when nothing is marked: new items (a reload) must cost what the window shows.
      const marks = s.marks.size === 0 ? s.marks : keptMarks(s, a.items);
      const next = {...s, items: a.items, marks, haystack: undefined};
      const keepId = current === undefined ? undefined : s.idOf(current);
      if (
        s.filter === '' &&
        keepId !== undefined &&
        a.items[s.cursor] !== undefined &&
        s.idOf(a.items[s.cursor]!) === keepId
      )
        return settle({...next, shown: undefined}, s.cursor); // the item under the cursor did not move
      return applyFilter(next, s.filter, keepId);
    }
    case 'resize':
      return a.height === s.height ? s : settle({...s, height: Math.max(1, a.height)}, s.cursor);
    case 'move':
      return settle(s, s.cursor + a.by);
    case 'page':
      return settle(s, s.cursor + a.by * s.height, s.offset + a.by * s.height);
    case 'top':
      return settle(s, 0);
    case 'bottom':
      return settle(s, shownCount(s) - 1);
    case 'select': {
      const pos = positionOf(s, a.id);
      return pos < 0 ? s : settle(s, pos);
    }
    case 'toggleMark': {
      const item = currentItem(s);
      if (!s.markable || item === undefined) return s;
      const marks = new Set(s.marks);
      const id = s.idOf(item);
      if (!marks.delete(id)) marks.add(id);
      return {...s, marks};
    }
    case 'markAll': {
      if (!s.markable) return s;
      const ids: string[] = [];
      for (let pos = 0; pos < shownCount(s); pos++) ids.push(s.idOf(s.items[indexAt(s, pos)!]!));
      const all = ids.length > 0 && ids.every(id => s.marks.has(id));
      const marks = new Set(s.marks);
      for (const id of ids) {
        if (all) marks.delete(id);
        else marks.add(id);
      }
      return {...s, marks};
    }
    case 'clearMarks':
      return s.marks.size === 0 ? s : {...s, marks: new Set()};
    case 'filterStart':
      return s.filterable ? {...s, filtering: true} : s;
    case 'filterAccept':
      return {...s, filtering: false};
    case 'filterClear':
      return applyFilter({...s, filtering: false}, '', currentItem(s) && s.idOf(currentItem(s)!));
    case 'filterType':
      return applyFilter(s, s.filter + a.text);
    case 'filterBackspace':
      return applyFilter(s, [...s.filter].slice(0, -1).join(''));
  }
}

/** What a key does to the list right now, or undefined when the list does not use it. */
export function listKeyAction<T>(s: ListState<T>, k: KeyPress): ListAction<T> | undefined {
  if (s.filtering) {
    if (matches('filter.accept', k)) return {type: 'filterAccept'};
    if (matches('filter.clear', k)) return {type: 'filterClear'};
    if (k.name === 'backspace') return {type: 'filterBackspace'};
    if (k.name === 'up' || k.name === 'down') return {type: 'move', by: k.name === 'up' ? -1 : 1};
    if (k.text !== '' && !k.ctrl) return {type: 'filterType', text: k.text};
    return undefined;
  }
  if (matches('nav.up', k)) return {type: 'move', by: -1};
  if (matches('nav.down', k)) return {type: 'move', by: 1};
  if (matches('nav.pageUp', k)) return {type: 'page', by: -1};
  if (matches('nav.pageDown', k)) return {type: 'page', by: 1};
  if (matches('nav.top', k)) return {type: 'top'};
  if (matches('nav.bottom', k)) return {type: 'bottom'};
  if (s.markable && matches('mark.toggle', k)) return {type: 'toggleMark'};
  if (s.markable && matches('mark.all', k)) return {type: 'markAll'};
  if (s.filterable && matches('filter.start', k)) return {type: 'filterStart'};
  // Esc first clears a kept filter; the next Esc goes back (k9s does the same).
  if (s.filter !== '' && matches('filter.clear', k)) return {type: 'filterClear'};
  return undefined;
}
