/**
 * The nodes of a failover-cluster backup: each node's local disks and the
 * shared disks it sees, with each shared disk's owner node (the only node the
 * agent reads it on; the others reference the same data). Below the list,
 * the disks of the node under the cursor with their size in the newest
 * point. "On target" says which nodes the default target's copy holds.
 * Space marks nodes; `c` plans a copy of just those nodes.
 */
import React from 'react';
import {Box, Text} from 'ink';
import {accessContext, currentActor, getVisibleBackup} from '../../engine/access/index.js';
import type {BackupId} from '../../engine/ids.js';
import type {DiskManifest, NodeInfo} from '../../engine/repository/model.js';
import {List, LIST_ACTIONS, useList} from '../components/list.js';
import {currentItem, selectedItems} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {formatBytes, safeText} from '../format.js';
import {matches} from '../keymap.js';
import {openRepository, targetsFor} from '../repos.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {fit, truncate} from '../text.js';
import {useTheme} from '../theme.js';
import {Caption, NONE, Placeholder, useLoad} from './common.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface NodesParams {
  readonly repo: string;
  readonly backupId: string;
  readonly machine: string;
}

export interface NodeRow {
  readonly node: NodeInfo;
  /** The node's disks in the newest point (sizes). */
  readonly disks: readonly DiskManifest[];
  readonly onTarget: boolean;
}

interface Loaded {
  readonly rows: NodeRow[];
  readonly target?: string;
}

async function loadNodes(p: NodesParams): Promise<Loaded> {
  const repo = await openRepository(p.repo);
  const record = await getVisibleBackup(
    repo,
    await accessContext(repo.storage, currentActor(), repo.codec),
    p.backupId as BackupId,
  );
  // The newest point's manifest only: the catalogue names it (a few reads), not every manifest.
  const newest = (await repo.listPointSummaries(p.backupId as BackupId)).at(-1);
  const latest = newest ? await repo.getPoint(p.backupId as BackupId, newest.id) : undefined;
  const target = targetsFor(p.repo)[0];
  const copied = new Set<string>();
  if (target) {
    const dst = await openRepository(target);
    if (await dst.storage.stat(`backups/${p.backupId}/backup.json`))
      for (const n of (await dst.getBackup(p.backupId)).nodes) copied.add(n.name);
  }
  const rows = record.nodes.map(node => ({
    node,
    disks: latest?.nodes.find(n => n.name === node.name)?.disks ?? [],
    onTarget: copied.has(node.name),
  }));
  return {rows, target};
}

const sizeOf = (r: NodeRow) => r.disks.reduce((s, d) => s + d.logicalBytes, 0);
const COLUMNS: Column<NodeRow>[] = [
  {id: 'node', header: 'Node', minWidth: 10, value: r => r.node.name},
  {
    id: 'local',
    header: 'Local disks',
    flex: 2,
    minWidth: 12,
    value: r =>
      r.node.disks
        .filter(d => !d.shared)
        .map(d => d.name)
        .join(', ') || '–',
  },
  {
    id: 'shared',
    header: 'Shared disks (owner)',
    flex: 2,
    minWidth: 14,
    value: r =>
      r.node.disks
        .filter(d => d.shared)
        .map(d => `${d.name} (${d.ownerNode === r.node.name ? 'owner' : (d.ownerNode ?? '?')})`)
        .join(', ') || '–',
  },
  {id: 'size', header: 'Logical', width: 9, align: 'right', value: r => formatBytes(sizeOf(r))},
  {
    id: 'target',
    header: 'On target',
    width: 9,
    optional: true,
    value: r => (r.onTarget ? '✓' : '–'),
    style: (r, t) => (r.onTarget ? t.ok : t.muted),
  },
];

/** The disks of one node: name, kind, local or shared (and who reads it), size in the newest point. */
function DiskTable({row, width}: {row?: NodeRow; width: number}) {
  const theme = useTheme();
  if (!row) return null;
  const info = (d: NodeInfo['disks'][number]) =>
    !d.shared
      ? 'local'
      : d.ownerNode === row.node.name
        ? 'shared, owner: this node (read here)'
        : `shared, owner: ${d.ownerNode ?? '?'} (cloned)`;
  return (
    <Box flexDirection="column" width={width}>
      <Text {...theme.heading} wrap="truncate">
        {truncate(`Disks of ${safeText(row.node.name)}`, width)}
      </Text>
      {row.node.disks.map(d => (
        <Text key={d.name} wrap="truncate">
          {truncate(
            `  ${fit(safeText(d.name), 14)} ${fit(d.kind, 6)} ${fit(formatBytes(row.disks.find(m => m.name === d.name)?.logicalBytes ?? 0), 9, 'right')}  ${info(d)}`,
            width,
          )}
        </Text>
      ))}
    </Box>
  );
}

function NodesScreen({params, width, height, active}: ScreenProps<NodesParams>) {
  const shell = useShell();
  const data = useLoad(() => loadNodes(params), [params.repo, params.backupId], active);
  const rows = data.value?.rows ?? NONE;
  const detail = 1 + Math.max(0, ...rows.map(r => r.node.disks.length));
  const listHeight = Math.max(3, Math.min(rows.length + 2, height - 1 - detail));
  const list = useList({items: rows, idOf: r => r.node.name, textOf: r => r.node.name, height: listHeight});
  useFooter(list.state.filtering ? ['filter.accept', 'filter.clear'] : undefined);
  useScreenKeys(k => {
    if (list.handleKey(k)) return true;
    if (!matches('copy.plan', k)) return false;
    const picked = selectedItems(list.store.get()).map(r => r.node.name);
    if (picked.length === 0) {
      shell.showStatus({kind: 'warn', message: 'No node to copy.'});
      return true;
    }
    const label = `${params.machine}: node${picked.length === 1 ? '' : 's'} ${picked.join(', ')}`;
    shell.push('plan', {source: params.repo, backups: [params.backupId], nodes: picked, label});
    return true;
  });
  const target = data.value?.target;
  const caption = `${params.machine}: ${rows.length || '…'} nodes · mark nodes with Space, c plans a copy of them${target ? ` · "On target" = ${target}` : ''}`;
  return (
    <Box flexDirection="column">
      <Caption width={width}>{caption}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="cluster nodes" width={width} />
      ) : (
        <>
          <List state={list.state} columns={COLUMNS} width={width} emptyText="This backup has no nodes." />
          <DiskTable row={currentItem(list.state)} width={width} />
        </>
      )}
    </Box>
  );
}

export const nodesScreen = defineScreen<NodesParams>({
  id: 'nodes',
  title: 'Cluster nodes',
  breadcrumb: p => `${p.machine} nodes`,
  actions: ['copy.plan', ...LIST_ACTIONS],
  component: NodesScreen,
  repo: p => p.repo,
});
