/**
 * The audit log of one repository, newest first: delegated and own restores,
 * grants, revokes and policy changes, with who, for whom, what, the result
 * and the reason; the entry under the cursor is summed up below the list,
 * and Enter opens it in full (reason, destination, Keep/Overwrite, every
 * path, the error), whatever the terminal's size. The caption says whether
 * the hash chain is intact, and names every damaged entry when it is not.
 * Admins and restore operators only.
 */
import React, {useMemo} from 'react';
import {Box, Text} from 'ink';
import {
  accessContext,
  currentActor,
  requirePrivilege,
  verifyAudit,
  type AuditEntry,
  type AuditVerification,
} from '../../engine/access/index.js';
import {List, LIST_ACTIONS, useList} from '../components/list.js';
import {currentItem, shownCount} from '../components/list-state.js';
import type {Column} from '../components/columns.js';
import {formatBytes, formatTime, safeText} from '../format.js';
import {defaultRepository} from '../../engine/workspace/registry.js';
import {openRepository} from '../repos.js';
import {matches} from '../keymap.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {truncate} from '../text.js';
import {useTheme} from '../theme.js';
import {NONE, Placeholder, useLoad} from './common.js';
import type {DetailField, DetailParams} from './detail.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface AuditParams {
  readonly repo: string;
}

async function load(name: string): Promise<AuditVerification> {
  const repo = await openRepository(name);
  const access = await accessContext(repo.storage, currentActor(), repo.codec);
  requirePrivilege(access.actor, access.role, 'audit.read');
  return verifyAudit(repo.storage, {}, repo.codec);
}

const COLUMNS: Column<AuditEntry>[] = [
  {id: 'seq', header: '#', width: 5, align: 'right', value: e => String(e.seq)},
  {id: 'time', header: 'Time (UTC)', width: 16, value: e => formatTime(e.time)},
  {id: 'actor', header: 'Who', width: 10, value: e => e.actor.user + (e.actor.viaSudo ? '*' : '')},
  {id: 'action', header: 'Action', width: 17, value: e => e.action + (e.change ? ` ${e.change}` : '')},
  {id: 'for', header: 'For', width: 10, value: e => e.forUser ?? e.principal ?? ''},
  {
    id: 'result',
    header: 'Result',
    width: 9,
    value: e => e.result,
    style: (e, t) => (e.result === 'ok' || e.result === 'unchanged' ? t.ok : t.error),
  },
  {id: 'reason', header: 'Reason', minWidth: 8, optional: true, value: e => e.reason ?? ''},
];

/** The entry under the cursor in three lines (who and what, why, where); Enter shows all of it. */
function details(e: AuditEntry): string[] {
  const lines = [
    `#${e.seq} ${e.action} by ${e.actor.user} (uid ${e.actor.uid}${e.actor.viaSudo ? ', via sudo' : ''})${e.forUser ? ` for ${e.forUser}` : ''}${e.principal ? ` · ${e.principal}` : ''} · ${e.result}`,
    `reason: ${e.reason ?? '(none given)'}${e.error ? ` · error: ${e.error}` : ''}`,
  ];
  if (e.destination || e.paths?.length)
    lines.push(
      `${e.paths?.length ? `paths ${e.paths.slice(0, 3).join(', ')}${e.paths.length > 3 ? ` (+${e.paths.length - 3})` : ''} ` : ''}${e.destination ? `→ ${e.destination}` : ''}`,
    );
  else if (e.backupId)
    lines.push(
      `backup ${e.backupId}${e.pointId ? ` point ${e.pointId}` : ''}${e.bytes !== undefined ? ` · ${formatBytes(e.bytes)}` : ''}`,
    );
  return lines;
}

/** "dir:/abs (keep)" / "tar:/abs" as stored (engine/restore/delegated.ts), in words. */
function destinationFields(destination: string): DetailField[] {
  const m = /^(dir|tar):(.*?)(?: \((keep|overwrite)\))?$/s.exec(destination);
  if (!m) return [{label: 'Destination', value: destination}];
  const fields: DetailField[] = [
    {label: 'Destination', value: `${m[1] === 'tar' ? 'new archive' : 'directory'} ${m[2]}`},
  ];
  if (m[3] === 'keep')
    fields.push({label: 'Existing files', value: 'Keep: restored copies were written next to them (NAME.RESTORED_…)'});
  if (m[3] === 'overwrite') fields.push({label: 'Existing files', value: 'Overwrite: they were replaced'});
  return fields;
}

/** Everything an entry says, for the detail view. */
export function entryDetail(e: AuditEntry): DetailParams {
  const fields: DetailField[] = [
    {label: 'Entry', value: `#${e.seq} · ${formatTime(e.time)} UTC`},
    {label: 'Action', value: e.action + (e.change ? ` (${e.change})` : '')},
    {label: 'By', value: `${e.actor.user} (uid ${e.actor.uid}${e.actor.viaSudo ? ', via sudo' : ''})`},
    ...(e.forUser ? [{label: 'For', value: e.forUser}] : []),
    ...(e.principal ? [{label: 'Principal', value: e.principal}] : []),
    {
      label: 'Result',
      value: e.result,
      tone: e.result === 'ok' || e.result === 'unchanged' ? ('ok' as const) : ('error' as const),
    },
    {label: 'Reason', value: e.reason ?? '(none given)'},
    ...(e.backupId ? [{label: 'Backup', value: e.backupId}] : []),
    ...(e.pointId ? [{label: 'Point', value: e.pointId}] : []),
    ...(e.node || e.disk ? [{label: 'Node/disk', value: `${e.node ?? ''}:${e.disk ?? ''}`}] : []),
    ...(e.paths ?? []).map((path, i) => ({label: i === 0 ? 'Paths' : '', value: path})),
    ...(e.destination ? destinationFields(e.destination) : []),
    ...(e.bytes !== undefined ? [{label: 'Bytes', value: formatBytes(e.bytes)}] : []),
    ...(e.startedAt ? [{label: 'Started', value: `${formatTime(e.startedAt)} UTC`}] : []),
    ...(e.endedAt ? [{label: 'Ended', value: `${formatTime(e.endedAt)} UTC`}] : []),
    ...(e.error ? [{label: 'Error', value: e.error, tone: 'error' as const}] : []),
    {label: 'Hash', value: e.hash},
  ];
  return {crumb: `audit #${e.seq}`, fields};
}

function AuditScreen({params, width, height, active}: ScreenProps<AuditParams>) {
  const theme = useTheme();
  const shell = useShell();
  const data = useLoad(() => load(params.repo), [params.repo], active);
  const entries = useMemo(() => (data.value ? [...data.value.entries].reverse() : NONE), [data.value]);
  const problems = data.value?.problems ?? [];
  const shownProblems = problems.slice(0, 3);
  const list = useList({
    items: entries,
    idOf: e => String(e.seq),
    textOf: e => `${e.action} ${e.actor.user} ${e.forUser ?? ''} ${e.reason ?? ''} ${e.backupId ?? ''}`,
    height: Math.max(3, height - 5 - shownProblems.length),
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
  useScreenKeys(k => {
    if (list.handleKey(k)) return true;
    if (!matches('nav.open', k)) return false;
    const entry = currentItem(list.store.get());
    if (entry) shell.push('detail', entryDetail(entry));
    return true;
  });
  const here = currentItem(list.state);
  const v = data.value;
  return (
    <Box flexDirection="column">
      {v === undefined ? (
        <Placeholder data={data} what="the audit log" width={width} />
      ) : (
        <>
          {v.ok ? (
            <Text {...theme.ok} wrap="truncate">
              {truncate(
                `✓ Hash chain intact: ${v.entries.length} entries${v.head ? ` · newest #${v.head.seq} ${v.head.hash.slice(0, 16)}…` : ''} · * = via sudo`,
                width,
              )}
            </Text>
          ) : (
            <Text {...theme.error} wrap="truncate">
              {truncate(
                `✗ Audit log damaged: ${problems.length} problem(s) in ${v.entries.length} readable entries`,
                width,
              )}
            </Text>
          )}
          {shownProblems.map(p => (
            <Text key={p.key + p.reason} {...theme.error} wrap="truncate">
              {truncate(safeText(`  ${p.seq === null ? '' : `entry ${p.seq} `}(${p.key}): ${p.reason}`), width)}
            </Text>
          ))}
          <List state={list.state} columns={COLUMNS} width={width} emptyText="The audit log is empty." />
          <Box flexDirection="column" height={3}>
            {(here ? details(here) : []).slice(0, 3).map(l => (
              <Text key={l} {...theme.muted} wrap="truncate">
                {truncate(safeText(l), width)}
              </Text>
            ))}
          </Box>
        </>
      )}
    </Box>
  );
}

export const auditScreen = defineScreen<AuditParams>({
  id: 'audit',
  title: 'Audit log',
  breadcrumb: () => 'audit',
  actions: ['nav.open', ...LIST_ACTIONS.filter(a => a !== 'mark.toggle' && a !== 'mark.all')],
  component: AuditScreen,
  repo: p => p.repo,
  jump: {action: 'audit.open', params: repo => ({repo: repo ?? defaultRepository() ?? ''})},
});
