/**
 * Delegated restore, step 1 (admins and restore operators only; others see
 * why not and nothing else): pick a backup — copies first, as those are what
 * users cannot restore themselves — then a restore point, then a node/disk.
 * The reason is asked next, before any file is browsed (as the reference
 * system does), and the file browser opens. Esc steps back (to the row you
 * picked). Each step is a fresh pick: a filter typed at one step is not
 * carried into the next, and nothing is marked (one item is picked at a
 * time, so Space would mark for nothing).
 */
import React, {useLayoutEffect, useMemo, useRef} from 'react';
import {Box, Text} from 'ink';
import {accessContext, currentActor, filterVisible, hasPrivilege, isCopy} from '../../engine/access/index.js';
import type {BackupId} from '../../engine/ids.js';
import type {BackupRecord, PointManifest} from '../../engine/repository/model.js';
import {List, LIST_ACTIONS, useList} from '../components/list.js';
import {currentItem, shownCount} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {formatBytes, formatTime} from '../format.js';
import {matches} from '../keymap.js';
import {defaultRepository} from '../../engine/workspace/registry.js';
import {openRepository} from '../repos.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {useStore} from '../store.js';
import {useTheme} from '../theme.js';
import {Caption, NONE, Placeholder, useLoad} from './common.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface RestoreParams {
  readonly repo: string;
}

interface Row {
  readonly id: string;
  readonly a: string;
  readonly b: string;
  readonly c: string;
  readonly d: string;
}
type Step =
  | {readonly at: 'backup'}
  | {readonly at: 'point'; readonly backup: BackupRecord}
  | {readonly at: 'disk'; readonly backup: BackupRecord; readonly point: PointManifest};

interface Loaded {
  readonly allowed: boolean;
  readonly role: string;
  readonly backups: BackupRecord[];
}

async function load(name: string): Promise<Loaded> {
  const repo = await openRepository(name);
  const access = await accessContext(repo.storage, currentActor(), repo.codec);
  if (!hasPrivilege(access.role, 'restore.delegated')) return {allowed: false, role: access.role, backups: []};
  const visible = filterVisible(access.actor, access.role, await repo.listBackups());
  const backups = visible.sort((x, y) => Number(isCopy(y)) - Number(isCopy(x)) || x.machine.localeCompare(y.machine));
  return {allowed: true, role: access.role, backups};
}

const HEADERS: Record<Step['at'], [string, string, string, string]> = {
  backup: ['Machine', 'Kind', 'Owner', 'Copy'],
  point: ['Time (UTC)', 'Type', 'Nodes', 'Logical'],
  disk: ['Node', 'Disk', 'Kind', 'Size'],
};

const columns = (at: Step['at']): Column<Row>[] => {
  const h = HEADERS[at];
  return [
    {id: 'a', header: h[0], minWidth: 16, value: r => r.a},
    {id: 'b', header: h[1], width: 12, value: r => r.b},
    {id: 'c', header: h[2], width: 10, value: r => r.c},
    {id: 'd', header: h[3], width: 10, align: at === 'backup' ? 'left' : 'right', value: r => r.d},
  ];
};

function RestoreScreen({params, width, height, active}: ScreenProps<RestoreParams>) {
  const shell = useShell();
  const theme = useTheme();
  const data = useLoad(() => load(params.repo), [params.repo], active);
  const [step, steps] = useStore((_: Step, next: Step) => next, {at: 'backup'} as Step);
  const points = useLoad(
    async () =>
      step.at === 'point'
        ? (await (await openRepository(params.repo)).listPoints(step.backup.id as BackupId)).reverse()
        : [],
    [step],
    active,
  );
  const rows = useMemo((): readonly Row[] => {
    if (step.at === 'backup')
      return (
        data.value?.backups.map(b => ({id: b.id, a: b.machine, b: b.kind, c: b.owner, d: isCopy(b) ? 'copy' : ''})) ??
        NONE
      );
    if (step.at === 'point')
      return (
        points.value?.map(p => ({
          id: p.id,
          a: formatTime(p.time),
          b: p.type,
          c: String(p.nodes.length),
          d: formatBytes(p.logicalBytes),
        })) ?? NONE
      );
    return step.point.nodes.flatMap(n =>
      n.disks.map(d => ({
        id: `${n.name}\u0000${d.name}`,
        a: n.name,
        b: d.name,
        c: d.kind + (d.shared ? ' shared' : ''),
        d: formatBytes(d.logicalBytes),
      })),
    );
  }, [step, data.value, points.value]);
  const list = useList({
    items: rows,
    idOf: r => r.id,
    textOf: r => `${r.a} ${r.b} ${r.c}`,
    height: height - 1,
    markable: false,
  });
  // Nothing to open: the footer does not offer Enter.
  useFooter(
    list.state.filtering
      ? ['filter.accept', 'filter.clear']
      : shownCount(list.state) === 0
        ? ['filter.start', 'nav.back', 'help.toggle', 'app.quit']
        : undefined,
  );
  // Back a step, the cursor returns to the row picked there (once that step's rows are in the list).
  const returnTo = useRef<string | undefined>(undefined);
  useLayoutEffect(() => {
    if (returnTo.current === undefined || rows.length === 0) return;
    list.store.dispatch({type: 'select', id: returnTo.current});
    returnTo.current = undefined;
  }, [rows, list.store]);
  const go = (next: Step, back?: string) => {
    list.store.dispatch({type: 'filterClear'});
    list.store.dispatch({type: 'top'});
    returnTo.current = back;
    steps.dispatch(next);
  };

  const browse = async (backup: BackupRecord, point: PointManifest, node: string, disk: string) => {
    const reason = await shell.prompt({
      title: 'Delegated restore',
      label: 'Reason (recorded in the audit log)',
      placeholder: 'e.g. ticket 4711: deleted report',
      validate: v => (v.trim() ? undefined : 'A reason is required.'),
    });
    if (reason === undefined) return;
    shell.push('restore-browse', {
      repo: params.repo,
      backupId: backup.id,
      machine: backup.machine,
      owner: backup.owner,
      pointId: point.id,
      pointTime: point.time,
      node,
      disk,
      reason: reason.trim(),
    });
  };

  useScreenKeys(k => {
    if (list.handleKey(k)) return true;
    if (matches('nav.back', k) && step.at !== 'backup') {
      go(
        step.at === 'disk' ? {at: 'point', backup: step.backup} : {at: 'backup'},
        step.at === 'disk' ? step.point.id : step.backup.id,
      );
      return true;
    }
    if (!matches('nav.open', k)) return false;
    const here = currentItem(list.store.get());
    if (!here) return true;
    if (step.at === 'backup') {
      const backup = data.value!.backups.find(b => b.id === here.id)!;
      go({at: 'point', backup});
    } else if (step.at === 'point') {
      const point = points.value!.find(p => p.id === here.id)!;
      const disks = point.nodes.flatMap(n => n.disks.map(d => [n.name, d.name] as const));
      if (disks.length === 1) void browse(step.backup, point, disks[0]![0], disks[0]![1]);
      else go({at: 'disk', backup: step.backup, point});
    } else {
      const [node, disk] = here.id.split('\u0000') as [string, string];
      void browse(step.backup, step.point, node, disk);
    }
    return true;
  });

  if (data.value && !data.value.allowed) {
    return (
      <Box flexDirection="column">
        <Text {...theme.warn}>
          Delegated restore needs an admin or a restore operator; you are a plain user in {params.repo}.
        </Text>
        <Text {...theme.muted}>Ask a backup administrator. Your own backups: Esc, then Enter on a backup.</Text>
      </Box>
    );
  }
  const caption =
    step.at === 'backup'
      ? `Restore on a user's behalf from ${params.repo}: pick a backup (copies first)`
      : step.at === 'point'
        ? `${step.backup.machine} (owner ${step.backup.owner}): pick a restore point`
        : `${step.backup.machine} · ${formatTime(step.point.time)}: pick a node and disk`;
  return (
    <Box flexDirection="column">
      <Caption width={width}>{caption}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="backups" width={width} />
      ) : (
        <List
          state={list.state}
          columns={columns(step.at)}
          width={width}
          emptyText={step.at === 'point' && points.loading ? 'Loading…' : 'Nothing to restore here.'}
        />
      )}
    </Box>
  );
}

export const restoreScreen = defineScreen<RestoreParams>({
  id: 'restore',
  title: 'Delegated restore',
  breadcrumb: () => 'restore',
  actions: ['nav.open', ...LIST_ACTIONS.filter(a => a !== 'mark.toggle' && a !== 'mark.all')],
  component: RestoreScreen,
  repo: p => p.repo,
  jump: {action: 'restore.open', params: repo => ({repo: repo ?? defaultRepository() ?? ''})},
});
