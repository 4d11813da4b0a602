/**
 * The root screen: the backups of one repository (machines and failover
 * clusters) that the acting user may see, with their kind, owner, point
 * count, age of the newest point, logical and stored size. Sort with `s`,
 * filter with `/`, switch repository with `r` (a screen key, as J, H, A
 * and R are: they work from every screen, app.tsx); Enter opens the restore
 * points, `n` a cluster's nodes, `c` the copy plan for the marked backups.
 * Points other processes commit meanwhile show up within seconds. The rows
 * show as soon as the backup records are read; the counts and sizes (the
 * headers of every backup's catalogue) fill in when they are counted. Then
 * the catalogue rows the Restore points screen lists are read in the
 * background, the backup under the cursor first, so Enter on a backup of
 * 100,000 points finds them parsed.
 */
import React, {useEffect, useLayoutEffect, useMemo, useRef} from 'react';
import {Box} from 'ink';
import type {BackupSummary} from '../../engine/catalog.js';
import {summarizeBackups, uncountedSummary} from '../../engine/catalog.js';
import type {BackupId} from '../../engine/ids.js';
import type {BackupRecord} from '../../engine/repository/model.js';
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

/** '…' while the points are being counted, '?' when they could not be (the status line says why). */
type Uncounted = '…' | '?' | undefined;

function columns(order: Order, uncounted: Uncounted): Column<BackupSummary>[] {
  const mark = (id: string, header: string) =>
    SORTS[order.by]!.id === id ? `${header}${order.reverse ? '▲' : '▼'}` : header;
  const counted = (f: (b: BackupSummary) => string) => (b: BackupSummary) => uncounted ?? f(b);
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
    {
      id: 'points',
      header: mark('points', 'Points'),
      width: 7,
      align: 'right',
      value: counted(b => String(b.points)),
    },
    {
      id: 'age',
      header: mark('age', 'Newest'),
      width: 9,
      align: 'right',
      value: counted(b => (b.latestPoint ? formatAge(Date.parse(b.latestPoint)) : '–')),
    },
    {
      id: 'logical',
      header: mark('logical', 'Logical'),
      width: 9,
      align: 'right',
      value: counted(b => formatBytes(b.logicalBytes)),
    },
    {
      id: 'stored',
      header: mark('stored', 'Stored'),
      width: 9,
      align: 'right',
      value: counted(b => formatBytes(b.storedBytes)),
    },
  ];
}

const orderReducer = (o: Order, a: 'next' | 'reverse'): Order =>
  a === 'next' ? {by: (o.by + 1) % SORTS.length, reverse: false} : {...o, reverse: !o.reverse};

/** The backups the user may see, from their records: enough for the first frame. */
async function loadBackups(name: string): Promise<BackupRecord[]> {
  return visibleBackups(await openRepository(name));
}

/** Their points counted, from the catalogues (the read the Restore points screen then reuses). */
async function countPoints(name: string, records: BackupRecord[] | undefined): Promise<BackupSummary[] | undefined> {
  return records && summarizeBackups(await openRepository(name), records);
}

/**
 * Reads the catalogue rows of `ids` one backup after the other until stopped;
 * a failure is left for the Restore points screen to report when it reads.
 */
async function prefetchRows(name: string, ids: readonly string[], stop: {stopped: boolean}): Promise<void> {
  try {
    const repo = await openRepository(name);
    for (const id of ids) {
      if (stop.stopped) return;
      await repo.prefetchPointSummaries(id as BackupId).catch(() => {});
    }
  } catch {
    // Not opened: the screen already says why.
  }
}

const NO_REPOS: readonly string[] = [];

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
  // Two loads: the rows show from the records, the counts when the catalogues are read (reloaded with the records).
  const data = useWatchedLoad([params.repo], () => loadBackups(params.repo), [params.repo], active);
  const counts = useWatchedLoad(NO_REPOS, () => countPoints(params.repo, data.value), [data.value], active);
  const uncounted: Uncounted = counts.value ? undefined : counts.error === undefined ? '…' : '?';
  const summaries = useMemo(() => counts.value ?? data.value?.map(uncountedSummary), [counts.value, data.value]);
  const [order, orders] = useStore(orderReducer, {by: 0, reverse: false});
  const items = useMemo(() => {
    const sorted = [...(summaries ?? [])].sort(
      (a, b) => SORTS[order.by]!.compare(a, b) || a.machine.localeCompare(b.machine),
    );
    return order.reverse ? sorted.reverse() : sorted;
  }, [summaries, order]);
  const list = useList({
    items,
    idOf: b => b.id,
    textOf: b => `${b.machine} ${b.kind} ${b.owner} ${b.job}`,
    height: height - 1,
  });
  // The counts re-sort the rows: a cursor nobody moved from the top row stays on the top row.
  const untouched = useRef<string | undefined>(undefined);
  useLayoutEffect(() => {
    const s = list.store.get();
    if (uncounted) untouched.current = s.cursor === 0 ? currentItem(s)?.id : undefined;
    else if (untouched.current !== undefined) {
      if (currentItem(s)?.id === untouched.current) list.store.dispatch({type: 'top'});
      untouched.current = undefined;
    }
  });
  useEffect(() => {
    if (!counts.value || !active) return;
    const first = currentItem(list.store.get())?.id;
    const ids = [...(first ? [first] : []), ...counts.value.map(b => b.id).filter(id => id !== first)];
    const stop = {stopped: false};
    void prefetchRows(params.repo, ids, stop);
    return () => {
      stop.stopped = true;
    };
    // The cursor's backup when the counts came: not again on every move.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [counts.value, active, params.repo]);
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
  const count = summaries ? `${summaries.length} backup${summaries.length === 1 ? '' : 's'}` : '';
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
          columns={columns(order, uncounted)}
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
