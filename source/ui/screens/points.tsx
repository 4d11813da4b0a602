/**
 * The restore points of one backup, newest first: time, full or incremental,
 * logical and stored size, and whether the default copy target already holds
 * the point (for a cluster, how many of its nodes). Both come from the
 * catalogues (of this repository and of the target), never a read per point,
 * and the marks fill in when the target's is read, so the list shows first.
 * Space marks points, `a`
 * marks all, `c` plans a copy of the marked points (or the one under the
 * cursor). The marks are re-read when the screen comes back after a copy,
 * and the list when another process commits a point to either repository.
 * On the target of a job with a retention policy that copies this backup,
 * a "GFS" column marks the points the policy keeps for weekly, monthly or
 * yearly (W, M, Y): computed once per load over all the points
 * (jobs/job-retention.ts), never per row.
 */
import React, {useMemo} from 'react';
import {Box} from 'ink';
import {accessContext, currentActor, getVisibleBackup} from '../../engine/access/index.js';
import {copiedNodes} from '../../engine/catalog.js';
import type {BackupId} from '../../engine/ids.js';
import {gfsMarks, jobRetentionFor, keptForOf, listJobs} from '../../engine/jobs/index.js';
import type {CataloguePoint} from '../../engine/repository/catalogue.js';
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

interface LoadedPoints {
  /** Newest first. */
  readonly points: readonly CataloguePoint[];
  /** Point id → its GFS marks ("W M"), and the job whose policy made them; absent when no job's policy applies. */
  readonly gfs?: {readonly job: string; readonly marks: ReadonlyMap<string, string>};
}

/** The backup's points, newest first, from its catalogue (shared with the Backups screen's read of it), and their GFS marks. */
async function loadPoints(p: PointsParams): Promise<LoadedPoints> {
  const repo = await openRepository(p.repo);
  const backup = await getVisibleBackup(
    repo,
    await accessContext(repo.storage, currentActor(), repo.codec),
    p.backupId as BackupId,
  );
  const points = (await repo.listPointSummaries(p.backupId as BackupId)).reverse();
  return {points, gfs: gfsOf(p.repo, backup, points)};
}

function gfsOf(
  repo: string,
  backup: Parameters<typeof jobRetentionFor>[2],
  points: readonly CataloguePoint[],
): LoadedPoints['gfs'] {
  let policy: ReturnType<typeof jobRetentionFor>;
  try {
    policy = jobRetentionFor(listJobs(), repo, backup);
  } catch {
    return undefined; // a jobs file that does not read costs the marks, not the list
  }
  if (!policy) return undefined;
  const marks = new Map<string, string>();
  for (const [id, why] of keptForOf(points, policy.retention)) {
    const text = gfsMarks(why);
    if (text) marks.set(id, text);
  }
  return {job: policy.job, marks};
}

/** Point id → nodes of it the target holds; undefined without a target. */
async function loadCopies(
  target: string | undefined,
  backupId: string,
): Promise<ReadonlyMap<string, number> | undefined> {
  return target ? copiedNodes(await openRepository(target), backupId as BackupId) : undefined;
}

/** Marks not read (yet): the target's catalogue is being read, or could not be ('?': the status line says why). */
type Unknown = '…' | '?';

/** The "Copied" cell: '–' for a point the target lacks. */
function copiedText(p: CataloguePoint, copies: ReadonlyMap<string, number> | Unknown): string {
  if (typeof copies === 'string') return copies;
  const on = copies.get(p.id);
  if (on === undefined) return '–';
  const all = p.nodes.length;
  return all > 1 && on < all ? `✓ ${on}/${all} nodes` : '✓';
}

/** No other repository: every point shows '–'. */
const NO_COPIES: ReadonlyMap<string, number> = new Map();

function columns(
  copies: ReadonlyMap<string, number> | Unknown,
  gfs: ReadonlyMap<string, string> | undefined,
): Column<CataloguePoint>[] {
  const kept: Column<CataloguePoint>[] = gfs
    ? [{id: 'gfs', header: 'GFS', width: 5, value: p => gfs.get(p.id) ?? '', style: (_p, t) => t.accent}]
    : [];
  return [
    {id: 'time', header: 'Time (UTC)', width: 16, value: p => formatTime(p.time)},
    {id: 'age', header: 'Age', width: 9, align: 'right', optional: true, value: p => formatAge(Date.parse(p.time))},
    {id: 'type', header: 'Type', width: 11, value: p => p.type},
    ...kept,
    {id: 'logical', header: 'Logical', width: 9, align: 'right', value: p => formatBytes(p.logicalBytes)},
    {id: 'stored', header: 'Stored', width: 9, align: 'right', value: p => formatBytes(p.storedBytes)},
    {
      id: 'copied',
      header: 'Copied',
      minWidth: 6,
      value: p => copiedText(p, copies),
      style: (p, t) => (typeof copies !== 'string' && copies.has(p.id) ? t.ok : t.muted),
    },
  ];
}

function PointsScreen({params, width, height, active}: ScreenProps<PointsParams>) {
  const shell = useShell();
  // Two loads: the points show as soon as the source's catalogue is read, the marks when the target's is.
  const source = useMemo(() => [params.repo], [params.repo]);
  const target = useMemo(() => targetsFor(params.repo).slice(0, 1), [params.repo]);
  const data = useWatchedLoad(source, () => loadPoints(params), [params.repo, params.backupId], active);
  const shown = data.value !== undefined; // the target is read once the points are on screen, not competing with them
  const copies = useWatchedLoad(
    target,
    () => loadCopies(shown ? target[0] : undefined, params.backupId),
    [params.backupId, shown],
    active,
  );
  const marks = !target[0] ? NO_COPIES : (copies.value ?? (copies.error === undefined ? '…' : '?'));
  const gfs = data.value?.gfs?.marks;
  const cols = useMemo(() => columns(marks, gfs), [marks, gfs]);
  const list = useList({
    items: data.value?.points ?? NONE,
    idOf: p => p.id,
    textOf: p => `${p.time} ${p.type}`,
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
        ? `${params.machine}: point ${formatTime(picked[0]!.time)}`
        : `${params.machine}: ${picked.length} restore points`;
    shell.push('plan', {
      source: params.repo,
      backups: [params.backupId],
      points: picked.map(p => p.id).join(','),
      label,
    });
    return true;
  });
  const kept = data.value?.gfs ? ` · GFS = kept by job ${data.value.gfs.job} (W weekly, M monthly, Y yearly)` : '';
  const caption = `${params.machine} (${params.kind}) · ${data.value?.points.length ?? '…'} restore points · ${target[0] ? `"Copied" = on ${target[0]}` : 'no other repository to copy to'}${kept}`;
  return (
    <Box flexDirection="column">
      <Caption width={width}>{caption}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="restore points" width={width} />
      ) : (
        <List state={list.state} columns={cols} width={width} emptyText="This backup has no restore points." />
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
