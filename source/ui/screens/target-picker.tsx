/**
 * The copy plan's target picker: the registered repositories a copy may go
 * to, each with its location, the one the plan shows now marked `*`; Enter
 * chooses, Esc keeps the current one, `/` filters. Listing them plans
 * nothing — planning is the slow part, so the plan screen plans only the one
 * chosen (issue 18: Tab used to plan against each repository in turn). A
 * hook: the plan screen shows its element and hands it its keys while open.
 */
import React, {useMemo} from 'react';
import {Box} from 'ink';
import {listRepositories} from '../../engine/workspace/registry.js';
import {List, useList} from '../components/list.js';
import {currentItem} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {matches, type ActionId} from '../keymap.js';
import type {KeyPress} from '../keypress.js';
import {useStore} from '../store.js';
import {Caption} from './common.js';

interface TargetRow {
  readonly name: string;
  readonly location: string;
  readonly current: boolean;
}
const COLUMNS: Column<TargetRow>[] = [
  {id: 'name', header: 'Target', minWidth: 12, flex: 1, value: r => `${r.name}${r.current ? ' *' : ''}`},
  {id: 'location', header: 'Location', minWidth: 10, flex: 2, value: r => r.location},
];

export interface TargetPicker {
  /** Read from the store, not the render: keys pasted together see the picker just opened. */
  readonly open: boolean;
  show(): void;
  /** A key while open: true when the picker used it. */
  handleKey(k: KeyPress): boolean;
  /** The footer while open. */
  readonly footer: readonly ActionId[];
  readonly element: React.ReactElement;
}

export interface PickerOptions {
  readonly targets: readonly string[];
  readonly current: string | undefined;
  /** What is being copied, for the caption. */
  readonly label: string;
  readonly width: number;
  readonly height: number;
  readonly onChoose: (target: string) => void;
}

export function useTargetPicker({targets, current, label, width, height, onChoose}: PickerOptions): TargetPicker {
  const [, opened] = useStore((_: boolean, next: boolean) => next, false);
  const rows = useMemo(() => {
    const registered = listRepositories();
    return targets.map(name => ({name, location: registered[name]?.location ?? '', current: name === current}));
  }, [targets, current]);
  const list = useList({
    items: rows,
    idOf: r => r.name,
    textOf: r => `${r.name} ${r.location}`,
    height: Math.max(3, height - 1),
    markable: false,
  });
  return {
    get open() {
      return opened.get();
    },
    show() {
      list.store.dispatch({type: 'filterClear'});
      if (current) list.store.dispatch({type: 'select', id: current});
      opened.dispatch(true);
    },
    handleKey(k) {
      if (list.handleKey(k)) return true;
      if (matches('nav.back', k)) opened.dispatch(false);
      else if (matches('list.pick', k)) {
        const row = currentItem(list.store.get());
        if (!row) return true;
        opened.dispatch(false);
        onChoose(row.name);
      } else return false;
      return true;
    },
    footer: list.state.filtering
      ? ['filter.accept', 'filter.clear']
      : ['list.pick', 'filter.start', 'nav.back', 'help.toggle', 'app.quit'],
    element: (
      <Box flexDirection="column">
        <Caption
          width={width}
        >{`Copy ${label} to: pick a target (${targets.length} registered; * = the plan's now). Enter chooses, Esc keeps it.`}</Caption>
        <List state={list.state} columns={COLUMNS} width={width} />
      </Box>
    ),
  };
}
