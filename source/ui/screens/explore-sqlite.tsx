/**
 * Delegated restore, an application item: the tables of a SQLite database
 * chosen in the restore browser (`e`), with their row counts. `t` restores
 * the table under the cursor — for a user, as a new database file — through
 * the engine's explorer (operations/explore.ts): written with the user's
 * rights, audited with the table restored.
 */
import React, {useState} from 'react';
import {Box, Text} from 'ink';
import {exploreSqliteRestore, exploreSqliteTables} from '../../engine/operations/explore.js';
import {statusFromError} from '../components/status-line.js';
import {safeText} from '../format.js';
import {matches} from '../keymap.js';
import {openRepository} from '../repos.js';
import {useScreenKeys, useShell} from '../shell-context.js';
import {fit} from '../text.js';
import {useTheme} from '../theme.js';
import {Caption, Placeholder, useLoad} from './common.js';
import type {BrowseParams} from './restore-browse.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface ExploreParams extends BrowseParams {
  /** The database file or mailbox, as the browser shows it. */
  readonly path: string;
}

export const exploreTarget = (p: ExploreParams) => ({
  backupId: p.backupId,
  pointId: p.pointId,
  node: p.node,
  disk: p.disk,
  path: p.path,
});

function SqliteScreen({params, width, height}: ScreenProps<ExploreParams>) {
  const shell = useShell();
  const theme = useTheme();
  const data = useLoad(
    async () => exploreSqliteTables(await openRepository(params.repo), exploreTarget(params)),
    [params.backupId, params.pointId, params.path],
    false,
  );
  const [cursor, setCursor] = useState(0);
  const tables = data.value ?? [];
  useScreenKeys(k => {
    if (matches('nav.up', k)) return (setCursor(c => Math.max(0, c - 1)), true);
    if (matches('nav.down', k)) return (setCursor(c => Math.min(tables.length - 1, c + 1)), true);
    if (!matches('restore.to', k)) return false;
    const table = tables[cursor];
    if (!table) return true;
    void (async () => {
      const forUser = await shell.prompt({
        title: 'Restore table for',
        label: 'User the new database belongs to',
        initial: params.owner,
      });
      if (!forUser) return;
      const to = await shell.prompt({
        title: 'New database',
        label: 'Create file',
        initial: `/home/${forUser}/${table.name}.restored.db`,
      });
      if (!to) return;
      shell.showStatus({kind: 'info', message: `Restoring table ${safeText(table.name)}…`});
      try {
        const r = await exploreSqliteRestore(await openRepository(params.repo), {
          ...exploreTarget(params),
          table: table.name,
          to,
          forUser,
          reason: params.reason,
        });
        shell.showStatus({
          kind: 'ok',
          message: `✓ Restored table ${safeText(table.name)} to ${safeText(to)} for ${safeText(forUser)}${r.audit ? ` · audit entry #${r.audit.seq}` : ''}`,
        });
      } catch (e) {
        shell.showStatus(statusFromError(e));
      }
    })();
    return true;
  });
  return (
    <Box flexDirection="column">
      <Caption width={width}>{`${params.machine} · ${safeText(params.path)} · reason: ${params.reason}`}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="the tables" width={width} />
      ) : (
        <Box flexDirection="column" height={Math.max(1, height - 2)}>
          {tables.length === 0 ? <Text {...theme.muted}>The database has no tables.</Text> : null}
          {tables
            .slice(Math.max(0, cursor - height + 4), Math.max(0, cursor - height + 4) + Math.max(1, height - 2))
            .map(t => (
              <Text key={t.name} wrap="truncate" {...(t === tables[cursor] ? theme.selection : {})}>
                {t === tables[cursor] ? '›' : ' '} {fit(safeText(t.name), Math.max(1, width - 16))}
                {fit(`${t.rows.toLocaleString('en-US')} rows`, 14, 'right')}
              </Text>
            ))}
        </Box>
      )}
    </Box>
  );
}

export const exploreSqliteScreen = defineScreen<ExploreParams>({
  id: 'explore-sqlite',
  title: 'Explore: database',
  breadcrumb: p => p.path.split('/').at(-1) ?? p.path,
  actions: ['restore.to', 'nav.up', 'nav.down'],
  component: SqliteScreen,
  repo: p => p.repo,
});
