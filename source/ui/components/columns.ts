/**
 * Column layout for lists: fixed columns keep their width, flexible ones share
 * what is left, and optional columns are dropped (rightmost first) when the
 * terminal is too narrow, so the list works at 80 columns and follows
 * resizes. Every cell is cut to its width with '…'; a row never wraps.
 */
import type {TextStyle, Theme} from '../theme.js';

export interface Column<T> {
  readonly id: string;
  readonly header: string;
  /** Fixed width in cells. Without it the column is flexible. */
  readonly width?: number;
  /** Share of the remaining width for flexible columns (default 1). */
  readonly flex?: number;
  /** Narrowest a flexible column may get (default 8). */
  readonly minWidth?: number;
  readonly align?: 'left' | 'right';
  /** Dropped when the terminal is too narrow for every column. */
  readonly optional?: boolean;
  /** The cell's text; the list passes it through safeText, so raw names are fine. */
  readonly value: (item: T) => string;
  readonly style?: (item: T, theme: Theme) => TextStyle | undefined;
}

export interface Placed<T> {
  readonly column: Column<T>;
  readonly width: number;
}

const need = <T>(c: Column<T>) => c.width ?? c.minWidth ?? 8;

/** Widths for `columns` in `width` cells, `gap` cells between columns. */
export function layoutColumns<T>(columns: readonly Column<T>[], width: number, gap = 1): Placed<T>[] {
  let shown = [...columns];
  const total = (cs: readonly Column<T>[]) =>
    cs.reduce((sum, c) => sum + need(c), 0) + gap * Math.max(0, cs.length - 1);
  while (total(shown) > width) {
    let at = -1;
    if (at < 0)
      for (let i = shown.length - 1; i >= 0; i--)
        if (shown[i]!.optional) {
          at = i;
          break;
        }
    if (at < 0) break;
    shown = shown.filter((_, i) => i !== at);
  }
  const fixed = shown.reduce((sum, c) => sum + (c.width ?? 0), 0) + gap * Math.max(0, shown.length - 1);
  const flexes = shown.filter(c => c.width === undefined);
  const weight = flexes.reduce((sum, c) => sum + (c.flex ?? 1), 0);
  let spare = Math.max(0, width - fixed);
  const placed = shown.map(column => {
    if (column.width !== undefined) return {column, width: column.width};
    const share = Math.floor((Math.max(0, width - fixed) * (column.flex ?? 1)) / weight);
    const w = Math.max(column.minWidth ?? 8, share);
    return {column, width: w};
  });
  // Hand rounding leftovers to the first flexible column; cut from the right when still too wide.
  spare -= placed.filter(p => p.column.width === undefined).reduce((sum, p) => sum + p.width, 0);
  const firstFlex = placed.find(p => p.column.width === undefined);
  if (firstFlex && spare > 0) (firstFlex as {width: number}).width += spare;
  let over = placed.reduce((sum, p) => sum + p.width, 0) + gap * Math.max(0, placed.length - 1) - width;
  for (let i = placed.length - 1; i >= 0 && over > 0; i--) {
    const cut = Math.min(over, placed[i]!.width - 1);
    (placed[i] as {width: number}).width -= cut;
    over -= cut;
  }
  while (over > 0 && placed.length > 1) over -= placed.pop()!.width + gap;
  return placed;
}
