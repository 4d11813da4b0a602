/**
 * The root screen: the backups of one repository (machines and failover
 * clusters) that the acting user may see, with their kind, owner, point
 * count, age of the newest point, logical and stored size. Sort with `s`,
 * filter with `/`, switch repository with `r` (a screen key, as J, H, A
 * and R are: they work from every screen, app.tsx); Enter opens the restore
 * points, `n` a cluster's nodes, `c` the copy plan for the marked backups.
 * Points other processes commit meanwhile show up within seconds.
 */
import React, {useMemo} from 'react';
import {Box} from 'ink';
import type {BackupSummary} from '../../engine/catalog.js';
import {summarizeBackups} from '../../engine/catalog.js';
import {List, LIST_ACTIONS, useList} from '../components/list.js';
import {currentItem, selectedItems} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {formatAge, formatBytes} from '../format.js';
import {matches} from '../keymap.js';
import {visibleBackups} from '../../engine/access/view.js';
import {openRepository} from '../repos.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {useStore} from '../store.js';
import {Caption, Placeholder, useWatchedLoad} from './common.js';
import {defineScreen} from './screen.js';

export interface BackupsParams {
  readonly repo: string;
}

type Order = {readonly by: number; readonly reverse: boolean};
type Sorter = {
  readonly id: string;
  readonly label: string;
  readonly compare: (a: BackupSummary, b: BackupSummary) => number;
};

const text = (f: (b: BackupSummary) => string) => (a: BackupSummary, b: BackupSummary) => f(a).localeCompare(f(b));
const num = (f: (b: BackupSummary) => number) => (a: BackupSummary, b: BackupSummary) => f(b) - f(a);
export const SORTS: readonly Sorter[] = [
  {id: 'age', label: 'newest point', compare: (a, b) => (b.latestPoint ?? '').localeCompare(a.latestPoint ?? '')},
  {id: 'machine', label: 'machine', compare: text(b => b.machine)},
  {id: 'kind', label: 'kind', compare: text(b => b.kind)},
  {id: 'owner', label: 'owner', compare: text(b => b.owner)},
  {id: 'points', label: 'points', compare: num(b => b.points)},
  {id: 'logical', label: 'logical size', compare: num(b => b.logicalBytes)},
  {id: 'stored', label: 'stored size', compare: num(b => b.storedBytes)},
];

function columns(order: Order): Column<BackupSummary>[] {
  const mark = (id: string, header: string) =>
    SORTS[order.by]!.id === id ? `${header}${order.reverse ? '▲' : '▼'}` : header;
  return [
    {
      id: 'machine',
      header: mark('machine', 'Machine'),
      minWidth: 12,
      value: b => b.machine + (b.copy ? ' (copy)' : ''),
    },
    {id: 'kind', header: mark('kind', 'Kind'), width: 11, value: b => b.kind},
    {
      id: 'nodes',
      header: 'Nodes',
      width: 5,
      align: 'right',
      optional: true,
      value: b => (b.kind === 'cluster' ? String(b.nodes.length) : ''),
    },
    {id: 'owner', header: mark('owner', 'Owner'), width: 8, value: b => b.owner},
    {id: 'points', header: mark('points', 'Points'), width: 7, align: 'right', value: b => String(b.points)},
    {
      id: 'age',
      header: mark('age', 'Newest'),
      width: 9,
      align: 'right',
      value: b => (b.latestPoint ? formatAge(Date.parse(b.latestPoint)) : '–'),
    },
    {
      id: 'logical',
      header: mark('logical', 'Logical'),
      width: 9,
      align: 'right',
      value: b => formatBytes(b.logicalBytes),
    },
    {id: 'stored', header: mark('stored', 'Stored'), width: 9, align: 'right', value: b => formatBytes(b.storedBytes)},
  ];
}

const orderReducer = (o: Order, a: 'next' | 'reverse'): Order =>
  a === 'next' ? {by: (o.by + 1) % SORTS.length, reverse: false} : {...o, reverse: !o.reverse};

async function loadBackups(name: string): Promise<BackupSummary[]> {
  const repo = await openRepository(name);
  return summarizeBackups(repo, await visibleBackups(repo));
}

function BackupsScreen({
  params,
  width,
  height,
  active,
}: {
  params: BackupsParams;
  width: number;
  height: number;
  active: boolean;
}) {
  const shell = useShell();
  const data = useWatchedLoad([params.repo], () => loadBackups(params.repo), [params.repo], active);
  const [order, orders] = useStore(orderReducer, {by: 0, reverse: false});
  const items = useMemo(() => {
    const sorted = [...(data.value ?? [])].sort(
      (a, b) => SORTS[order.by]!.compare(a, b) || a.machine.localeCompare(b.machine),
    );
    return order.reverse ? sorted.reverse() : sorted;
  }, [data.value, order]);
  const list = useList({
    items,
    idOf: b => b.id,
    textOf: b => `${b.machine} ${b.kind} ${b.owner} ${b.job}`,
    height: height - 1,
  });
  useFooter(list.state.filtering ? ['filter.accept', 'filter.clear'] : undefined);
  useScreenKeys(k => {
    if (list.handleKey(k)) return true;
    const s = list.store.get();
    const here = currentItem(s);
    if (matches('sort.next', k) || matches('sort.reverse', k)) {
      orders.dispatch(matches('sort.next', k) ? 'next' : 'reverse');
      const o = orders.get();
      shell.showStatus({kind: 'info', message: `Sorted by ${SORTS[o.by]!.label}${o.reverse ? ', reversed' : ''}.`});
    } else if (!here && (matches('nav.open', k) || matches('cluster.nodes', k) || matches('copy.plan', k))) {
      shell.showStatus({
        kind: 'warn',
        message: 'No backup here.',
        hint: data.loading ? 'Still loading.' : 'Clear the filter or switch repository (r).',
      });
    } else if (matches('nav.open', k))
      shell.push('points', {repo: params.repo, backupId: here!.id, machine: here!.machine, kind: here!.kind});
    else if (matches('cluster.nodes', k)) {
      if (here!.kind === 'cluster')
        shell.push('nodes', {repo: params.repo, backupId: here!.id, machine: here!.machine});
      else
        shell.showStatus({
          kind: 'warn',
          message: `${here!.machine} is a ${here!.kind}, not a failover cluster: it has no nodes to show.`,
        });
    } else if (matches('copy.plan', k)) {
      const picked = selectedItems(s);
      const label = picked.length === 1 ? picked[0]!.machine : `${picked.length} backups`;
      shell.push('plan', {source: params.repo, backups: picked.map(b => b.id), label});
    } else return false;
    return true;
  });
  const count = data.value ? `${data.value.length} backup${data.value.length === 1 ? '' : 's'}` : '';
  return (
    <Box flexDirection="column">
      <Caption
        width={width}
      >{`${params.repo}: ${count}${count ? ' · ' : ''}sorted by ${SORTS[order.by]!.label}${order.reverse ? ' (reversed)' : ''}`}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="backups" width={width} />
      ) : (
        <List
          state={list.state}
          columns={columns(order)}
          width={width}
          emptyText="No backups you may see in this repository."
        />
      )}
    </Box>
  );
}

export const backupsScreen = defineScreen<BackupsParams>({
  id: 'backups',
  title: 'Backups',
  breadcrumb: p => p.repo,
  // Footer order: what people do most comes first (the footer is cut at the right on narrow terminals).
  actions: [
    'nav.open',
    'copy.plan',
    'cluster.nodes',
    ...LIST_ACTIONS,
    'sort.next',
    'sort.reverse',
    'repo.switch',
    'jobs.open',
    'history.open',
    'restore.open',
    'audit.open',
  ],
  component: BackupsScreen,
  repo: p => p.repo,
});
