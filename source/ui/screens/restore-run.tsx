/**
 * Delegated restore, step 3: for whom (a user on this system), where (a
 * directory, or a new .tar archive), Keep or Overwrite when files already
 * exist there, a confirmation that repeats everything (and warns when the
 * files will belong to someone else than the backup's owner), then the
 * restore with a progress bar (x cancels) and its result, including the
 * audit entry. The footer offers, at each step, only the keys that step
 * answers. All the work is the engine's restore entry (operations/restore.ts,
 * the one `backhaul restore --delegated` runs); this screen only asks.
 */
import React, {useEffect, useRef} from 'react';
import {Box, Text} from 'ink';
import {lookupUser} from '../../engine/access/identity.js';
import {accessFor} from '../../engine/access/view.js';
import {restoreJob, type Destination, type RestoreDone, type RestoreProgress} from '../../engine/operations/restore.js';
import {countExisting} from '../../engine/restore/delegated.js';
import {ProgressBar} from '../components/progress-bar.js';
import {statusFromError} from '../components/status-line.js';
import {formatBytes, safeText} from '../format.js';
import {matches, type ActionId} from '../keymap.js';
import {openRepository} from '../repos.js';
import {useBusy, useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {useStore} from '../store.js';
import {useTheme} from '../theme.js';
import {Caption} from './common.js';
import type {BrowseParams} from './restore-browse.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface RunParams extends BrowseParams {
  readonly paths: string[];
  readonly bytes: number;
  readonly files: number;
}

type Menu = 'kind' | 'conflict';
interface State {
  readonly step: 'asking' | Menu | 'running' | 'done' | 'failed' | 'cancelled';
  readonly choice: number;
  readonly forUser?: string;
  readonly progress?: RestoreProgress;
  readonly result?: RestoreDone;
  readonly error?: string;
}
type Action = Partial<State>;

const MENUS: Record<Menu, {title: string; options: string[]}> = {
  kind: {
    title: 'Restore to',
    options: ['A directory (files belong to the user)', 'A new .tar archive (owned by the user)'],
  },
  conflict: {
    title: 'Some files already exist there',
    options: ['Keep them: write restored copies next to them (NAME.RESTORED_YYYYMMDD_HHMMSS)', 'Overwrite them'],
  },
};

/** The sentence the confirmation adds when the files go to someone else than the backup's owner. */
export function ownerWarning(owner: string, forUser: string): string | undefined {
  const uid = (name: string) => {
    try {
      return lookupUser(name).uid;
    } catch {
      return undefined;
    }
  };
  if (forUser === owner) return undefined;
  const [a, b] = [uid(owner), uid(forUser)];
  if (a !== undefined && a === b) return undefined; // two names of one user
  return `Warning: ${safeText(forUser)} is not the owner of this backup (${safeText(owner)}): the restored files will belong to ${safeText(forUser)}, not to ${safeText(owner)}.`;
}

/** The footer of each step: only keys that step answers (a prompt or confirm shows its own). */
function footerOf(step: State['step']): readonly ActionId[] {
  if (step === 'kind' || step === 'conflict') return ['list.pick', 'nav.back', 'help.toggle', 'app.quit'];
  if (step === 'running') return ['restore.cancel', 'help.toggle'];
  return ['nav.back', 'help.toggle', 'app.quit'];
}

function RunScreen({params, width}: ScreenProps<RunParams>) {
  const shell = useShell();
  const theme = useTheme();
  const [state, store] = useStore((s: State, a: Action): State => ({...s, ...a}), {step: 'asking', choice: 0});
  useFooter(footerOf(state.step));
  useBusy(state.step === 'running' ? 'A restore is running: it is not left half-done.' : undefined);
  const menuAnswer = useRef<((i: number) => void) | undefined>(undefined);
  const abort = useRef<AbortController | undefined>(undefined);
  // Left with Esc while a check ran: the flow must not ask its next question over another screen.
  const live = useRef(true);

  const choose = (menu: Menu) =>
    new Promise<number>(resolve => {
      menuAnswer.current = resolve;
      store.dispatch({step: menu, choice: 0});
    });

  const flow = async () => {
    const repo = await openRepository(params.repo);
    const access = await accessFor(repo);
    if (!live.current) return;
    const forUser = await shell.prompt({
      title: 'Restore for',
      label: 'User the restored files belong to',
      initial: params.owner,
      validate: v => {
        try {
          lookupUser(v.trim());
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    if (forUser === undefined) return shell.pop();
    store.dispatch({forUser: forUser.trim()});
    const kind = await choose('kind');
    store.dispatch({step: 'asking'});
    const path = await shell.prompt({
      title: kind === 0 ? 'Directory' : 'Archive',
      label: kind === 0 ? 'Restore into directory' : 'Create archive (.tar)',
      placeholder: kind === 0 ? `/home/${forUser.trim()}/restored` : `/home/${forUser.trim()}/restored.tar`,
      validate: v => (v.trim().startsWith('/') ? undefined : 'Give an absolute path.'),
    });
    if (path === undefined) return shell.pop();
    const request = {
      backupId: params.backupId,
      pointId: params.pointId,
      node: params.node,
      disk: params.disk,
      paths: params.paths,
    };
    let destination: Destination =
      kind === 1 ? {kind: 'tar', path: path.trim()} : {kind: 'dir', path: path.trim(), conflict: 'keep'};
    if (destination.kind === 'dir' && (await countExisting(repo, access, request, destination.path)) > 0) {
      const c = await choose('conflict');
      destination = {...destination, conflict: c === 0 ? 'keep' : 'overwrite'};
    }
    if (!live.current) return;
    store.dispatch({step: 'asking'});
    const what = `${params.paths.length === 1 ? safeText(params.paths[0]!) : `${params.paths.length} items`} (${params.files} files, ${formatBytes(params.bytes)})`;
    const warning = ownerWarning(params.owner, forUser.trim());
    const ok = await shell.confirm({
      title: 'Delegated restore',
      defaultYes: false,
      danger: warning !== undefined || (destination.kind === 'dir' && destination.conflict === 'overwrite'),
      message: `${warning ? `${warning} ` : ''}Restore ${what} from ${safeText(params.machine)} ${params.pointTime.slice(0, 16).replace('T', ' ')} for ${safeText(forUser.trim())} to ${destination.kind === 'tar' ? 'archive ' : ''}${safeText(destination.path)}${destination.kind === 'dir' ? ` (${destination.conflict} existing files)` : ''}? Reason: ${safeText(params.reason)}`,
    });
    if (!ok) return shell.pop();
    abort.current = new AbortController();
    store.dispatch({step: 'running'});
    const result = await restoreJob(
      repo,
      {...request, forUser: forUser.trim(), reason: params.reason, destination},
      {signal: abort.current.signal, onProgress: progress => store.dispatch({progress})},
    );
    store.dispatch({step: 'done', result});
  };

  useEffect(() => {
    flow().catch((e: unknown) => {
      const cancelled = (e as {code?: string}).code === 'cancelled';
      store.dispatch({step: cancelled ? 'cancelled' : 'failed', error: statusFromError(e).message});
      shell.showError(e);
    });
    return () => {
      live.current = false;
      abort.current?.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useScreenKeys(k => {
    const s = store.get();
    if (s.step === 'kind' || s.step === 'conflict') {
      const n = MENUS[s.step].options.length;
      if (matches('nav.up', k)) store.dispatch({choice: (s.choice + n - 1) % n});
      else if (matches('nav.down', k)) store.dispatch({choice: (s.choice + 1) % n});
      else if (matches('list.pick', k)) menuAnswer.current?.(s.choice);
      else return false;
      return true;
    }
    if (s.step === 'running') {
      if (matches('restore.cancel', k)) abort.current?.abort();
      // Nothing else while files are being written, but the help.
      return !matches('help.toggle', k);
    }
    if (
      (s.step === 'done' || s.step === 'failed' || s.step === 'cancelled') &&
      (matches('nav.open', k) || matches('nav.back', k))
    ) {
      shell.popTo('backups');
      return true;
    }
    return false;
  });

  const menu = state.step === 'kind' || state.step === 'conflict' ? MENUS[state.step] : undefined;
  const p = state.progress;
  const r = state.result;
  return (
    <Box flexDirection="column">
      <Caption
        width={width}
      >{`${params.machine} · ${params.node}:${params.disk} · ${params.files} files, ${formatBytes(params.bytes)}${state.forUser ? ` · for ${state.forUser}` : ''}`}</Caption>
      {menu ? (
        <Box flexDirection="column">
          <Text {...theme.heading}>{menu.title}</Text>
          {menu.options.map((o, i) => (
            <Text key={o} wrap="truncate" {...(i === state.choice ? theme.selection : {})}>
              {i === state.choice ? '› ' : '  '}
              {o}
            </Text>
          ))}
        </Box>
      ) : null}
      {state.step === 'running' ? (
        <Box flexDirection="column">
          <ProgressBar
            label="restore"
            done={p?.bytesDone ?? 0}
            total={p?.bytesTotal ?? params.bytes}
            width={width}
            detail={`${p?.filesDone ?? 0}/${p?.filesTotal ?? params.files} files`}
          />
          <Text {...theme.muted}>x cancels (files written so far stay; the audit entry says so).</Text>
        </Box>
      ) : null}
      {r ? (
        <Box flexDirection="column">
          <Text {...theme.ok} wrap="truncate">
            ✓ Restored {r.files} files, {formatBytes(r.bytes)}, for {safeText(r.audit?.forUser ?? '')} to{' '}
            {safeText(r.destination)}.
          </Text>
          {r.renamed.slice(0, 5).map(([from, to]) => (
            <Text key={from} wrap="truncate">
              {' '}
              kept {safeText(from)}; restored copy is {safeText(to)}
            </Text>
          ))}
          {r.renamed.length > 5 ? <Text> … and {r.renamed.length - 5} more kept</Text> : null}
          {r.specialDropped > 0 ? (
            <Text wrap="truncate">
              {' '}
              dropped the setuid/setgid bits of {r.specialDropped} file(s): only root restoring for root keeps them
            </Text>
          ) : null}
          <Text {...theme.muted}>Audit entry #{r.audit?.seq} recorded. Enter: back to the backups.</Text>
        </Box>
      ) : null}
      {state.step === 'failed' || state.step === 'cancelled' ? (
        <Text {...theme.error} wrap="truncate">
          ✗ {state.step === 'cancelled' ? 'Cancelled' : 'Failed'}: {safeText(state.error ?? '')} (recorded in the audit
          log)
        </Text>
      ) : null}
    </Box>
  );
}

export const restoreRunScreen = defineScreen<RunParams>({
  id: 'restore-run',
  title: 'Restore: destination',
  breadcrumb: () => 'destination',
  actions: ['list.pick', 'restore.cancel'],
  component: RunScreen,
  repo: p => p.repo,
});
