/**
 * Delegated restore, step 2: browse the file tree of the chosen node/disk.
 * Enter or → opens a folder, ← closes it (or goes to its parent); Enter on
 * a file shows it in full (path, size, time); Space marks files and
 * folders, `/` searches by name, sizes are shown (a folder's is everything
 * below it). `t` goes on to the destination with the marked items (or the
 * one under the cursor); `e` explores the SQLite database, Maildir or mbox
 * under the cursor (explore-sqlite.tsx, explore-mail.tsx). Names are drawn escaped, so a name with a newline
 * or an escape sequence cannot break the screen.
 */
import React, {useEffect} from 'react';
import {Box, Text} from 'ink';
import type {PointId} from '../../engine/ids.js';
import {listTree, type TreeNode} from '../../engine/restore/tree.js';
import {formatBytes, formatTime, safeText} from '../format.js';
import {matches} from '../keymap.js';
import {openRepository} from '../repos.js';
import {useScreenKeys, useShell} from '../shell-context.js';
import {useStore, type Store} from '../store.js';
import {fit, truncate} from '../text.js';
import {useTheme} from '../theme.js';
import {Caption, Placeholder, useLoad} from './common.js';
import type {DetailParams} from './detail.js';
import {
  initialTree,
  insideMarked,
  selectedPaths,
  selectionSize,
  treeReducer,
  treeRows,
  type TreeAction,
  type TreeState,
} from './restore-tree-state.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface BrowseParams {
  readonly repo: string;
  readonly backupId: string;
  readonly machine: string;
  readonly owner: string;
  readonly pointId: string;
  readonly pointTime: string;
  readonly node: string;
  readonly disk: string;
  readonly reason: string;
}

async function loadTree(p: BrowseParams) {
  const repo = await openRepository(p.repo);
  const point = await repo.getPoint(p.backupId as never, p.pointId as PointId);
  const disk = point.nodes.find(n => n.name === p.node)?.disks.find(d => d.name === p.disk);
  if (!disk) throw new Error(`No disk ${p.disk} on ${p.node}.`);
  return listTree(repo, disk);
}

const EMPTY = initialTree({path: '', name: '', type: 'dir', size: 0, files: 0, mtimeMs: 0, children: []}, 1);

function BrowseScreen({params, width, height}: ScreenProps<BrowseParams>) {
  const shell = useShell();
  const theme = useTheme();
  const data = useLoad(() => loadTree(params), [params.backupId, params.pointId, params.node, params.disk], false);
  const rowsHeight = Math.max(1, height - 3);
  const [state, store] = useStore<TreeState, TreeAction | {type: 'load'; state: TreeState}>(
    (s, a) => (a.type === 'load' ? a.state : treeReducer(s, a)),
    EMPTY,
  );
  useEffect(() => {
    if (data.value) store.dispatch({type: 'load', state: initialTree(data.value, rowsHeight)});
    // A new height alone is a resize (the next effect), not a reload that would drop the cursor and marks.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data.value, store]);
  useEffect(() => store.dispatch({type: 'resize', height: rowsHeight}), [rowsHeight, store]);
  useScreenKeys(k => handleKey(k, store as Store<TreeState, TreeAction>, shell, params));

  const rows = treeRows(state);
  const sel = selectionSize(state);
  const status = `${sel.files ? `${state.marked.size} marked: ${sel.files} files, ${formatBytes(sel.bytes)} · ` : ''}${state.search ? `search "${safeText(state.search)}" · ` : ''}${rows.length ? state.cursor + 1 : 0}/${rows.length}`;
  const sizeWidth = 10;
  return (
    <Box flexDirection="column">
      <Caption
        width={width}
      >{`${params.machine} · ${params.pointTime.slice(0, 16).replace('T', ' ')} · ${params.node}:${params.disk} · reason: ${params.reason}`}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="the file tree" width={width} />
      ) : (
        <Box flexDirection="column" height={rowsHeight}>
          {rows.length === 0 ? (
            <Text {...theme.muted}>
              {state.search ? `No name contains "${safeText(state.search)}".` : 'This disk is empty.'}
            </Text>
          ) : null}
          {rows.slice(state.offset, state.offset + state.height).map((r, i) => {
            const at = state.offset + i === state.cursor;
            const marked = insideMarked(state, r.node.path);
            const icon = r.node.type === 'dir' ? (r.open ? '▾ ' : '▸ ') : r.node.type === 'symlink' ? '→ ' : '  ';
            const name = `${'  '.repeat(r.depth)}${icon}${safeText(r.node.name)}${r.node.type === 'dir' ? '/' : ''}`;
            const size = r.node.type === 'symlink' ? '' : formatBytes(r.node.size);
            return (
              <Text key={r.node.path} wrap="truncate" {...(at ? theme.selection : marked ? theme.marked : {})}>
                {at ? '›' : ' '}
                {marked ? '●' : ' '}{' '}
                {fit(truncate(name, Math.max(1, width - sizeWidth - 4)), Math.max(1, width - sizeWidth - 4))}
                {fit(size, sizeWidth, 'right')}
              </Text>
            );
          })}
        </Box>
      )}
      <Text {...theme.muted} wrap="truncate">
        {status}
      </Text>
    </Box>
  );
}

function handleKey(
  k: Parameters<Parameters<typeof useScreenKeys>[0]>[0],
  store: Store<TreeState, TreeAction>,
  shell: ReturnType<typeof useShell>,
  params: BrowseParams,
): boolean {
  const s = store.get();
  const act = (a: TreeAction) => (store.dispatch(a), true);
  if (matches('nav.up', k)) return act({type: 'move', by: -1});
  if (matches('nav.down', k)) return act({type: 'move', by: 1});
  if (matches('nav.pageUp', k)) return act({type: 'move', by: -s.height});
  if (matches('nav.pageDown', k)) return act({type: 'move', by: s.height});
  if (matches('nav.top', k)) return act({type: 'top'});
  if (matches('nav.bottom', k)) return act({type: 'bottom'});
  if (matches('tree.expand', k)) return act({type: 'expand'});
  if (matches('tree.collapse', k)) return act({type: 'collapse'});
  if (matches('mark.toggle', k)) return act({type: 'mark'});
  if (matches('nav.open', k)) {
    const here = treeRows(s)[s.cursor];
    if (here?.node.type === 'dir') return act({type: 'toggle'});
    if (here) shell.push('detail', fileDetail(here.node, insideMarked(s, here.node.path), params));
    return true;
  }
  if (matches('nav.back', k) && s.search) return act({type: 'search', text: ''});
  if (matches('filter.start', k)) {
    void shell.prompt({title: 'Search', label: 'Name contains', initial: s.search}).then(text => {
      if (text !== undefined) store.dispatch({type: 'search', text});
    });
    return true;
  }
  if (matches('restore.explore', k)) {
    const here = treeRows(s)[s.cursor];
    const kind = here ? explorerFor(here.node) : undefined;
    if (!here || !kind)
      shell.showStatus({
        kind: 'warn',
        message: 'Explore opens a SQLite database, a Maildir or an mbox.',
        hint: 'Put the cursor on one (a .db/.sqlite file, a Maildir folder, an mbox file).',
      });
    else shell.push(kind, {...params, path: here.node.path});
    return true;
  }
  if (matches('restore.to', k)) {
    let paths = selectedPaths(s);
    let size = selectionSize(s);
    if (paths.length === 0) {
      const here = treeRows(s)[s.cursor];
      if (!here) {
        shell.showStatus({kind: 'warn', message: 'Nothing to restore: the disk is empty.'});
        return true;
      }
      paths = [here.node.path];
      size = selectionSize({...s, marked: new Set(paths)});
    }
    shell.push('restore-run', {...params, paths, bytes: size.bytes, files: size.files});
    return true;
  }
  return false;
}

/**
 * Which explorer a node opens, by what the browser knows (names): the
 * explorer checks the file itself (a SQLite header, "From " lines) and says
 * so when it is not one.
 */
export function explorerFor(node: TreeNode): 'explore-sqlite' | 'explore-mail' | undefined {
  if (node.type === 'dir')
    return node.children?.some(c => c.type === 'dir' && (c.name === 'cur' || c.name === 'new'))
      ? 'explore-mail'
      : undefined;
  if (node.type !== 'file') return undefined;
  if (/\.(db|sqlite|sqlite3|db3)$/i.test(node.name)) return 'explore-sqlite';
  if (/\.mbox$|^mbox$|^(inbox|sent|drafts)$/i.test(node.name)) return 'explore-mail';
  return undefined;
}

/** What Enter on a file shows: what the list cuts to its width, and whether it is marked. */
export function fileDetail(node: TreeNode, marked: boolean, p: BrowseParams): DetailParams {
  const when = node.mtimeMs > 0 ? `${formatTime(new Date(node.mtimeMs).toISOString())} UTC` : 'unknown';
  return {
    crumb: node.name,
    fields: [
      {label: 'Path', value: node.path},
      {label: 'Type', value: node.type === 'symlink' ? 'symbolic link' : 'file'},
      ...(node.type === 'symlink'
        ? []
        : [{label: 'Size', value: `${formatBytes(node.size)} (${node.size.toLocaleString('en-US')} bytes)`}]),
      {label: 'Modified', value: when},
      {
        label: 'From',
        value: `${p.machine} · ${p.node}:${p.disk} · point ${p.pointTime.slice(0, 16).replace('T', ' ')} UTC`,
      },
      {label: 'Marked', value: marked ? 'yes: it will be restored' : 'no (Space marks it, back in the list)'},
    ],
  };
}

/** For tests: the browser's reducer driven outside React. */

export const restoreBrowseScreen = defineScreen<BrowseParams>({
  id: 'restore-browse',
  title: 'Restore: files',
  breadcrumb: p => `${p.machine} files`,
  actions: [
    'restore.to',
    'restore.explore',
    'mark.toggle',
    'nav.open',
    'tree.expand',
    'tree.collapse',
    'filter.start',
    'nav.up',
    'nav.down',
    'nav.pageUp',
    'nav.pageDown',
    'nav.top',
    'nav.bottom',
  ],
  component: BrowseScreen,
  repo: p => p.repo,
});
