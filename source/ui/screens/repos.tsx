/**
 * The repository switcher: the registered repositories with their location;
 * Enter opens the backups of the one under the cursor as the new root.
 */
import React, {useMemo} from 'react';
import {Box} from 'ink';
import {listRepositories} from '../../engine/workspace/registry.js';
import {List, useList} from '../components/list.js';
import {currentItem} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {matches} from '../keymap.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {Caption} from './common.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface ReposParams {
  readonly current: string;
}
interface RepoRow {
  readonly name: string;
  readonly location: string;
  readonly current: boolean;
}

function ReposScreen({params, width, height}: ScreenProps<ReposParams>) {
  const shell = useShell();
  const rows = useMemo(
    () =>
      Object.entries(listRepositories())
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([name, entry]) => ({name, location: entry.location, current: name === params.current})),
    [params],
  );
  const columns: Column<RepoRow>[] = [
    {
      id: 'name',
      header: 'Repository',
      width: Math.min(24, Math.max(10, ...rows.map(r => r.name.length + 2))),
      value: r => `${r.name}${r.current ? ' *' : ''}`,
    },
    {id: 'location', header: 'Location', minWidth: 10, value: r => r.location},
  ];
  const list = useList({
    items: rows,
    idOf: r => r.name,
    textOf: r => `${r.name} ${r.location}`,
    height: height - 1,
    markable: false,
  });
  useFooter(list.state.filtering ? ['filter.accept', 'filter.clear'] : undefined);
  useScreenKeys(k => {
    if (list.handleKey(k)) return true;
    if (!matches('nav.open', k)) return false;
    const row = currentItem(list.store.get());
    if (row) shell.reset('backups', {repo: row.name});
    return true;
  });
  return (
    <Box flexDirection="column">
      <Caption width={width}>{`${rows.length} registered repositories (* = open now) · Enter opens one`}</Caption>
      <List
        state={list.state}
        columns={columns}
        width={width}
        emptyText="No repository is registered: add one with `backhaul repo add NAME PATH`."
      />
    </Box>
  );
}

export const reposScreen = defineScreen<ReposParams>({
  id: 'repos',
  title: 'Repositories',
  breadcrumb: () => 'repositories',
  actions: ['nav.open', 'nav.up', 'nav.down', 'nav.pageUp', 'nav.pageDown', 'nav.top', 'nav.bottom', 'filter.start'],
  component: ReposScreen,
  jump: {action: 'repo.switch', params: repo => ({current: repo ?? ''})},
});
