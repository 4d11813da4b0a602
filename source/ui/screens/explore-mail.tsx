/**
 * Delegated restore, application items: the messages of a Maildir or an mbox
 * chosen in the restore browser (`e`) — folder, date, from, subject. Space
 * marks messages; `t` restores the marked ones (or the one under the cursor)
 * for a user into a new Maildir folder, through the engine's explorer
 * (operations/explore.ts): byte for byte, with the user's rights, audited
 * with the messages restored.
 */
import React, {useState} from 'react';
import {Box, Text} from 'ink';
import {exploreMailList, exploreMailRestore} from '../../engine/operations/explore.js';
import {statusFromError} from '../components/status-line.js';
import {safeText} from '../format.js';
import {matches} from '../keymap.js';
import {openRepository} from '../repos.js';
import {useScreenKeys, useShell} from '../shell-context.js';
import {fit} from '../text.js';
import {useTheme} from '../theme.js';
import {Caption, Placeholder, useLoad} from './common.js';
import {exploreTarget, type ExploreParams} from './explore-sqlite.js';
import {defineScreen, type ScreenProps} from './screen.js';

function MailScreen({params, width, height}: ScreenProps<ExploreParams>) {
  const shell = useShell();
  const theme = useTheme();
  const data = useLoad(
    async () => exploreMailList(await openRepository(params.repo), exploreTarget(params)),
    [params.backupId, params.pointId, params.path],
    false,
  );
  const [cursor, setCursor] = useState(0);
  const [marked, setMarked] = useState<ReadonlySet<string>>(new Set());
  const messages = data.value?.messages ?? [];
  useScreenKeys(k => {
    if (matches('nav.up', k)) return (setCursor(c => Math.max(0, c - 1)), true);
    if (matches('nav.down', k)) return (setCursor(c => Math.min(messages.length - 1, c + 1)), true);
    const here = messages[cursor];
    if (matches('mark.toggle', k) && here) {
      setMarked(m => {
        const next = new Set(m);
        if (!next.delete(here.id)) next.add(here.id);
        return next;
      });
      return (setCursor(c => Math.min(messages.length - 1, c + 1)), true);
    }
    if (!matches('restore.to', k)) return false;
    const ids = marked.size > 0 ? [...marked] : here ? [here.id] : [];
    if (ids.length === 0) return true;
    void (async () => {
      const forUser = await shell.prompt({
        title: 'Restore messages for',
        label: 'User the messages belong to',
        initial: params.owner,
      });
      if (!forUser) return;
      const to = await shell.prompt({
        title: 'New Maildir folder',
        label: 'Create folder',
        initial: `/home/${forUser}/Maildir/.Restored`,
      });
      if (!to) return;
      shell.showStatus({kind: 'info', message: `Restoring ${ids.length} message(s)…`});
      try {
        const r = await exploreMailRestore(await openRepository(params.repo), {
          ...exploreTarget(params),
          ids,
          to,
          format: 'maildir',
          forUser,
          reason: params.reason,
        });
        shell.showStatus({
          kind: 'ok',
          message: `✓ Restored ${ids.length} message(s) to ${safeText(to)} for ${safeText(forUser)}${r.audit ? ` · audit entry #${r.audit.seq}` : ''}`,
        });
      } catch (e) {
        shell.showStatus(statusFromError(e));
      }
    })();
    return true;
  });
  const rowsHeight = Math.max(1, height - 2);
  const offset = Math.max(0, Math.min(cursor - rowsHeight + 1, messages.length - rowsHeight));
  return (
    <Box flexDirection="column">
      <Caption
        width={width}
      >{`${params.machine} · ${safeText(params.path)} · ${marked.size} marked · reason: ${params.reason}`}</Caption>
      {data.value === undefined ? (
        <Placeholder data={data} what="the messages" width={width} />
      ) : (
        <Box flexDirection="column" height={rowsHeight}>
          {messages.length === 0 ? <Text {...theme.muted}>The mailbox is empty.</Text> : null}
          {messages.slice(Math.max(0, offset), Math.max(0, offset) + rowsHeight).map(m => {
            const at = m === messages[cursor];
            const line = `${fit(safeText(m.folder || 'INBOX'), 10)} ${fit(m.date?.slice(0, 16).replace('T', ' ') ?? '', 17)} ${fit(safeText(m.from), 24)} ${safeText(m.subject)}`;
            return (
              <Text key={m.id} wrap="truncate" {...(at ? theme.selection : marked.has(m.id) ? theme.marked : {})}>
                {at ? '›' : ' '}
                {marked.has(m.id) ? '●' : ' '} {line}
              </Text>
            );
          })}
        </Box>
      )}
    </Box>
  );
}

export const exploreMailScreen = defineScreen<ExploreParams>({
  id: 'explore-mail',
  title: 'Explore: mailbox',
  breadcrumb: p => p.path.split('/').at(-1) ?? p.path,
  actions: ['restore.to', 'mark.toggle', 'nav.up', 'nav.down'],
  component: MailScreen,
  repo: p => p.repo,
});
