/**
 * The restore points of one backup, newest first: time, full or incremental,
 * logical and stored size, and whether the default copy target already holds
 * the point (for a cluster, how many of its nodes). Space marks points, `a`
 * marks all, `c` plans a copy of the marked points (or the one under the
 * cursor). The marks are re-read when the screen comes back after a copy,
 * and the list when another process commits a point to either repository.
 */
import React, {useMemo} from 'react';
import {Box} from 'ink';
import {accessContext, currentActor, getVisibleBackup} from '../../engine/access/index.js';
import type {BackupId, PointId} from '../../engine/ids.js';
import type {PointManifest} from '../../engine/repository/model.js';
import {List, LIST_ACTIONS, useList} from '../components/list.js';
import {selectedItems} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {formatAge, formatBytes, formatTime} from '../format.js';
import {matches} from '../keymap.js';
import {openRepository, targetsFor} from '../repos.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {Caption, NONE, Placeholder, useWatchedLoad} from './common.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface PointsParams {
  readonly repo: string;
  readonly backupId: string;
  readonly machine: string;
  readonly kind: string;
}

export interface PointRow {
  readonly point: PointManifest;
  /** Nodes of this point the target holds: undefined when the target lacks the point. */
  readonly onTarget?: number;
}

interface Loaded {
  readonly rows: PointRow[];
  readonly target?: string;
}

async function loadPoints(p: PointsParams): Promise<Loaded> {
  const repo = await openRepository(p.repo);
  await getVisibleBackup(repo, await accessContext(repo.storage, currentActor(), repo.codec), p.backupId as BackupId);
  const points = (await repo.listPoints(p.backupId as BackupId)).reverse();
  const target = targetsFor(p.repo)[0];
  if (!target) return {rows: points.map(point => ({point}))};
  const dst = await openRepository(target);
  const rows = await Promise.all(
    points.map(async (point): Promise<PointRow> => {
      if (!(await dst.hasPoint(p.backupId as BackupId, point.id as PointId))) return {point};
      const copied = await dst.getPoint(p.backupId as BackupId, point.id);
      return {point, onTarget: copied.nodes.length};
    }),
  );
  return {rows, target};
}

const copiedText = (r: PointRow) => {
  if (r.onTarget === undefined) return '–';
  const all = r.point.nodes.length;
  return all > 1 && r.onTarget < all ? `✓ ${r.onTarget}/${all} nodes` : '✓';
};

const COLUMNS: Column<PointRow>[] = [
  {id: 'time', header: 'Time (UTC)', width: 16, value: r => formatTime(r.point.time)},
  {id: 'age', header: 'Age', width: 9, align: 'right', optional: true, value: r => formatAge(Date.parse(r.point.time))},
  {id: 'type', header: 'Type', width: 11, value: r => r.point.type},
  {id: 'logical', header: 'Logical', width: 9, align: 'right', value: r => formatBytes(r.point.logicalBytes)},
  {id: 'stored', header: 'Stored', width: 9, align: 'right', value: r => formatBytes(r.point.storedBytes)},
  {
    id: 'copied',
    header: 'Copied',
    minWidth: 6,
    value: copiedText,
    style: (r, t) => (r.onTarget === undefined ? t.muted : t.ok),
  },
];

function PointsScreen({params, width, height, active}: ScreenProps<PointsParams>) {
  const shell = useShell();
  const watched = useMemo(() => [params.repo, ...targetsFor(params.repo).slice(0, 1)], [params.repo]);
  const data = useWatchedLoad(watched, () => loadPoints(params), [params.repo, params.backupId], active);
  const list = useList({
    items: data.value?.rows ?? NONE,
    idOf: r => r.point.id,
    textOf: r => `${r.point.time} ${r.point.type}`,
    height: height - 1,
  });
  useFooter(list.state.filtering ? ['filter.accept', 'filter.clear'] : undefined);
  useScreenKeys(k => {
    if (list.handleKey(k)) return true;
    if (!matches('copy.plan', k)) return false;
    const picked = selectedItems(list.store.get());
    if (picked.length === 0) {
      shell.showStatus({kind: 'warn', message: 'No restore point to copy.'});
      return true;
    }
    const label =
      picked.length === 1
        ? `${params.machine}: point ${formatTime(picked[0]!.point.time)}`
        : `${params.machine}: ${picked.length} restore points`;
    shell.push('plan', {
      source: params.repo,
      backups: [params.backupId],
      points: picked.map(r => r.point.id).join(','),
      label,
    });
    return true;
  });
  const target = data.value?.target;
  const caption = `${params.machine} (${params.kind}) · ${data.value?.rows.length ?? '…'} restore points · ${target ? `"Copied" = on ${target}` : 'no other repository to copy to'}`;
  return (
    <Box flexDirection="column">
      <Caption width={width}>{caption}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="restore points" width={width} />
      ) : (
        <List state={list.state} columns={COLUMNS} width={width} emptyText="This backup has no restore points." />
      )}
    </Box>
  );
}

export const pointsScreen = defineScreen<PointsParams>({
  id: 'points',
  title: 'Restore points',
  breadcrumb: p => p.machine,
  actions: ['copy.plan', ...LIST_ACTIONS],
  component: PointsScreen,
  repo: p => p.repo,
});
