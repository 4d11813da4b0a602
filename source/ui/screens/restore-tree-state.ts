/**
 * The file browser of the delegated-restore flow as a pure reducer: which
 * folders are open, which files and folders are marked, the cursor, the
 * window of rows in view, and a name search. Rows are computed from the tree
 * and this state, so nothing is stored twice. Marking a folder selects all
 * of it; what is restored is the smallest set of marked paths.
 */
import type {TreeNode} from '../../engine/restore/tree.js';

export interface TreeState {
  readonly root: TreeNode;
  readonly expanded: ReadonlySet<string>;
  readonly marked: ReadonlySet<string>;
  readonly cursor: number;
  readonly offset: number;
  readonly height: number;
  /** Lower-case name search; '' shows the tree as opened. */
  readonly search: string;
}

export interface TreeRow {
  readonly node: TreeNode;
  readonly depth: number;
  readonly open: boolean;
}

export type TreeAction =
  | {type: 'move'; by: number}
  | {type: 'top'}
  | {type: 'bottom'}
  | {type: 'expand'}
  | {type: 'collapse'}
  | {type: 'toggle'}
  | {type: 'mark'}
  | {type: 'search'; text: string}
  | {type: 'resize'; height: number};

export const initialTree = (root: TreeNode, height: number): TreeState => ({
  root,
  expanded: new Set(),
  marked: new Set(),
  cursor: 0,
  offset: 0,
  height: Math.max(1, height),
  search: '',
});

function matchesBelow(node: TreeNode, search: string, memo: Map<string, boolean>): boolean {
  const known = memo.get(node.path);
  if (known !== undefined) return known;
  const hit =
    node.name.toLowerCase().includes(search) || (node.children ?? []).some(c => matchesBelow(c, search, memo));
  memo.set(node.path, hit);
  return hit;
}

/** The rows in view order: children of open folders; with a search, matches and the folders leading to them (all open). */
export function treeRows(s: TreeState): TreeRow[] {
  const rows: TreeRow[] = [];
  const memo = new Map<string, boolean>();
  const walk = (node: TreeNode, depth: number) => {
    for (const child of node.children ?? []) {
      if (s.search && !matchesBelow(child, s.search, memo)) continue;
      const open = child.type === 'dir' && (s.search !== '' || s.expanded.has(child.path));
      rows.push({node: child, depth, open});
      if (open) walk(child, depth + 1);
    }
  };
  walk(s.root, 0);
  return rows;
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

function settle(s: TreeState, cursor: number): TreeState {
  const count = treeRows(s).length;
  const c = clamp(cursor, 0, Math.max(0, count - 1));
  const offset =
    c < s.offset ? c : c >= s.offset + s.height ? c - s.height + 1 : clamp(s.offset, 0, Math.max(0, count - s.height));
  return {...s, cursor: c, offset};
}

function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

export function treeReducer(s: TreeState, a: TreeAction): TreeState {
  const rows = treeRows(s);
  const here = rows[s.cursor];
  const withSet = (set: ReadonlySet<string>, path: string, on: boolean) => {
    const next = new Set(set);
    if (on) next.add(path);
    else next.delete(path);
    return next;
  };
  switch (a.type) {
    case 'move':
      return settle(s, s.cursor + a.by);
    case 'top':
      return settle(s, 0);
    case 'bottom':
      return settle(s, rows.length - 1);
    case 'resize':
      return settle({...s, height: Math.max(1, a.height)}, s.cursor);
    case 'search':
      return settle({...s, search: a.text.toLowerCase()}, 0);
    case 'mark':
      return here ? {...s, marked: withSet(s.marked, here.node.path, !s.marked.has(here.node.path))} : s;
    case 'expand':
    case 'toggle':
      if (!here || here.node.type !== 'dir' || s.search) return s;
      return settle(
        {...s, expanded: withSet(s.expanded, here.node.path, a.type === 'expand' ? true : !here.open)},
        s.cursor,
      );
    case 'collapse': {
      if (!here || s.search) return s;
      if (here.open) return settle({...s, expanded: withSet(s.expanded, here.node.path, false)}, s.cursor);
      const parent = parentOf(here.node.path);
      const at = rows.findIndex(r => r.node.path === parent);
      return at < 0 ? s : settle(s, at);
    }
  }
}

/** The marked paths without those inside a marked folder. */
export function selectedPaths(s: TreeState): string[] {
  const all = [...s.marked].sort();
  return all.filter(p => !all.some(q => q !== p && p.startsWith(`${q}/`)));
}

/** Bytes and files the selection holds. */
export function selectionSize(s: TreeState): {bytes: number; files: number} {
  const wanted = new Set(selectedPaths(s));
  let bytes = 0;
  let files = 0;
  const walk = (node: TreeNode) => {
    if (wanted.has(node.path)) {
      bytes += node.size;
      files += node.files;
      return;
    }
    for (const c of node.children ?? []) walk(c);
  };
  walk(s.root);
  return {bytes, files};
}

/** Whether a row lies inside a marked folder (shown as marked, too). */
export const insideMarked = (s: TreeState, path: string) =>
  [...s.marked].some(q => path === q || path.startsWith(`${q}/`));
