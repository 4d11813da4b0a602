// Test helpers for Ink render tests: act() around every render and key (with
// ink-testing-library 4 and React 19, keys written right after render() are otherwise sometimes
// lost, and a lone ESC arrives only after one event-loop turn), plus a small
// two-screen registry with a 100,000-row list to drive the shell.
import React from 'react';
import {act} from 'react';
import {Text} from 'ink';
import {render as inkRender} from 'ink-testing-library';
import {createRegistry, defineScreen} from '../../source/ui/screens/registry.js';
import {useFooter, useScreenKeys, useShell} from '../../source/ui/shell-context.js';
import {List, LIST_ACTIONS, useList} from '../../source/ui/components/list.js';
import {currentItem, selectedItems} from '../../source/ui/components/list-state.js';
import {matches} from '../../source/ui/keymap.js';
import type {Column} from '../../source/ui/components/columns.js';
import {formatBytes} from '../../source/ui/format.js';

(globalThis as {IS_REACT_ACT_ENVIRONMENT?: boolean}).IS_REACT_ACT_ENVIRONMENT = true;

const turn = () => new Promise(resolve => setImmediate(resolve));

export async function render(tree: React.ReactElement) {
  let instance!: ReturnType<typeof inkRender>;
  await act(async () => {
    instance = inkRender(tree);
    await turn();
  });
  return {
    ...instance,
    frame: () => instance.lastFrame() ?? '',
    async press(...inputs: string[]) {
      for (const input of inputs) {
        await act(async () => {
          instance.stdin.write(input);
          await turn();
        });
      }
    },
    async unmount() {
      await act(async () => instance.unmount());
    },
  };
}

export const KEYS = {
  up: '\u001B[A',
  down: '\u001B[B',
  pageDown: '\u001B[6~',
  pageUp: '\u001B[5~',
  enter: '\r',
  esc: '\u001B',
  space: ' ',
  backspace: '\u007F',
  tab: '\t',
};

export interface Machine {
  id: string;
  name: string;
  size: number;
}
export const machines = (n: number): Machine[] =>
  Array.from({length: n}, (_, i) => ({id: `m${i}`, name: `machine-${String(i).padStart(6, '0')}`, size: i * 1024}));

/** Counts how often cells are computed, to prove only visible rows render. */
export const cellCalls = {count: 0};

const columns: Column<Machine>[] = [
  {
    id: 'name',
    header: 'Machine',
    value: m => {
      cellCalls.count++;
      return m.name;
    },
  },
  {id: 'size', header: 'Size', width: 10, align: 'right', value: m => formatBytes(m.size)},
];

export function testRegistry(items: Machine[], log: string[] = []) {
  const Machines = defineScreen<{repo: string}>({
    id: 'machines',
    title: 'Backups',
    breadcrumb: p => p.repo,
    actions: ['nav.open', ...LIST_ACTIONS, 'copy.plan'],
    component: function MachinesScreen({width, height}) {
      const shell = useShell();
      const list = useList({items, idOf: m => m.id, textOf: m => m.name, height});
      useFooter(list.state.filtering ? ['filter.accept', 'filter.clear'] : undefined);
      useScreenKeys(k => {
        if (list.handleKey(k)) return true;
        const s = list.store.get();
        if (matches('nav.open', k) && currentItem(s)) {
          shell.push('detail', currentItem(s));
          return true;
        }
        if (matches('copy.plan', k)) {
          const picked = selectedItems(s).map(m => m.id);
          void shell
            .confirm({title: 'Copy?', message: `Copy ${picked.length} backups to demo-secondary?`})
            .then(yes => log.push(`copy ${yes} ${picked.join(',')}`));
          return true;
        }
        return false;
      });
      return <List state={list.state} columns={columns} width={width} />;
    },
  });
  const Detail = defineScreen<Machine>({
    id: 'detail',
    title: 'Restore points',
    breadcrumb: m => m.name,
    actions: ['restore.open'],
    component: function DetailScreen({params}) {
      const shell = useShell();
      useScreenKeys(k => {
        if (!matches('restore.open', k)) return false;
        void shell
          .prompt({title: 'Restore', label: 'Why?', validate: v => (v.trim() ? undefined : 'Give a reason.')})
          .then(v => log.push(`reason ${v}`));
        return true;
      });
      return <Text>Points of {params.name}</Text>;
    },
  });
  const Broken = defineScreen<undefined>({
    id: 'broken',
    title: 'Broken',
    breadcrumb: () => 'broken',
    actions: [],
    component: () => {
      throw new Error('kaboom\n    at Stack (file.ts:1:1)');
    },
  });
  return createRegistry([Machines, Detail, Broken]);
}
