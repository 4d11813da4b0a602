/**
 * Copy progress: runs the planned copy and shows it live — an overall bar and
 * one bar per node/disk being copied; processed / read / sent bytes, each
 * rate beside its figure, ETA, elapsed and the bottleneck stage; a
 * read-vs-sent sparkline; the restore points as a list (scroll it, Enter
 * opens one in full) beside the session log. `x` cancels after a confirm,
 * `q` or Ctrl-C asks to cancel and quit (the target stays consistent either
 * way); at the end a summary (the engine has recorded the session in the
 * history), and Esc leaves. While the copy runs the screen is busy: nothing
 * else may drop it from the stack. Renders are throttled (≤15/s). The copy is
 * the engine's copy job (engine/operations/copy.ts, the one `backhaul copy`
 * runs) of exactly the points the plan showed, run in a worker thread, so
 * keys never wait behind reading or hashing.
 */
import React, {useEffect, useLayoutEffect, useRef} from 'react';
import {Box, Text} from 'ink';
import type {CopyEvent} from '../../engine/copy/events.js';
import type {CopyPlan} from '../../engine/copy/plan.js';
import type {Selection} from '../../engine/copy/selection.js';
import {isBackhaulError} from '../../engine/errors.js';
import {copyJob} from '../../engine/operations/copy.js';
import {useList} from '../components/list.js';
import {ProgressBar} from '../components/progress-bar.js';
import {Sparkline} from '../components/sparkline.js';
import {statusFromError} from '../components/status-line.js';
import {formatBytes, formatDuration, formatRate} from '../format.js';
import {matches} from '../keymap.js';
import {currentItem} from '../components/list-state.js';
import {useBusy, useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {useThrottledReducer} from '../throttle.js';
import {useTheme} from '../theme.js';
import {truncate} from '../text.js';
import {Caption} from './common.js';
import {activeRow, pointDetail, ProgressPanes} from './progress-panes.js';
import {initialProgress, overall, perSecond, progressReducer, summaryHeadline, type ProgressState, type UiEvent} from './progress-state.js';
import {defineScreen, type ScreenProps} from './screen.js';

/** `plan`: the plan shown (the screen's first state); `selection`: what the job copies (pinnedSelection of that plan). */
export interface ProgressParams {readonly source: string; readonly target: string; readonly plan: CopyPlan; readonly selection: Selection; readonly label: string}

function useCopy(params: ProgressParams) {
  const shell = useShell();
  const [state, dispatch, get, flush] = useThrottledReducer(progressReducer, initialProgress(params.plan, params.target));
  const controller = useRef(new AbortController());
  const quitAfter = useRef(false);
  useEffect(() => {
    const send = (event: CopyEvent | UiEvent) => dispatch({at: Date.now(), event});
    const abort = controller.current;
    let live = true;
    void (async () => {
      try {
        await copyJob({source: params.source, target: params.target, selection: params.selection}, {inWorker: true, signal: controller.current.signal, onEvent: send});
      } catch (e) {
        if (!(isBackhaulError(e) && e.code === 'cancelled')) send({type: 'ui.failed', message: statusFromError(e).message});
      }
      send({type: 'ui.finished'});
      flush();
      if (!live) return;
      if (quitAfter.current) return shell.quit();
      const result = get().summary?.result;
      const kind = result === 'success' ? 'ok' : result === 'cancelled' || result === 'warning' ? 'warn' : 'error';
      shell.showStatus({kind, message: get().summary ? summaryHeadline(get().summary!) : get().failure ?? 'The copy stopped.', hint: 'Esc to leave.'});
    })();
    return () => {
      live = false;
      abort.abort();
    };
    // The copy starts once, when the screen opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const cancel = async (andQuit: boolean) => {
    const yes = await shell.confirm(andQuit
      ? {title: 'Cancel the copy and quit?', message: 'Points already copied stay on the target.', danger: true}
      : {title: 'Cancel the copy?', message: 'Points already copied stay; the one in progress is not committed.', danger: true});
    if (!yes || get().phase !== 'running') return;
    quitAfter.current = andQuit;
    dispatch({at: Date.now(), event: {type: 'ui.cancelling'}});
    controller.current.abort();
    shell.showStatus({kind: 'warn', message: 'Cancelling the copy…'});
  };
  return {state, get, cancel};
}

function ProgressScreen({params, width, height}: ScreenProps<ProgressParams>) {
  const shell = useShell();
  const {state, get, cancel} = useCopy(params);
  useBusy(state.phase === 'done' ? undefined : `The copy to ${params.target} is still running.`);
  const top = Header({state, params, width, height});
  const paneHeight = Math.max(4, height - top.lines);
  const list = useList({items: state.objects, idOf: (o) => o.key, textOf: (o) => `${o.label} ${o.message ?? ''}`, height: paneHeight - 1, markable: false, filterable: false});
  // The cursor follows the point being copied until you move it yourself.
  const following = useRef(true);
  const active = activeRow(state.objects)?.key;
  // A layout effect, after the list's own (which stores the new rows): the cursor moves in the same commit.
  useLayoutEffect(() => {
    if (following.current && active) list.store.dispatch({type: 'select', id: active});
  }, [active, list.store]);
  // While the copy runs, Esc does not leave (the copy would go on unseen): the footer says how to stop it.
  useFooter(state.phase === 'done' ? ['nav.open', 'history.open', 'nav.back', 'help.toggle', 'app.quit'] : ['nav.open', 'copy.cancel', 'help.toggle', 'app.quit']);
  useScreenKeys((k) => {
    if (list.handleKey(k)) {
      following.current = false;
      return true;
    }
    const phase = get().phase;
    if (matches('nav.open', k)) {
      const here = currentItem(list.store.get());
      if (here) shell.push('detail', pointDetail(here, params.target));
      return true;
    }
    if (phase === 'done') return false;
    if (matches('copy.cancel', k)) void (phase === 'running' ? cancel(false) : undefined);
    else if (matches('app.quit', k)) void (phase === 'running' ? cancel(true) : undefined);
    else if (matches('nav.back', k)) shell.showStatus({kind: 'info', message: 'The copy is still running.', hint: 'x cancels it; Esc leaves once it has finished.'});
    else return false;
    return true;
  });
  return (
    <Box flexDirection="column">
      {top.element}
      <ProgressPanes state={state} list={list.state} width={width} height={paneHeight} />
    </Box>
  );
}

/**
 * Processed, read and sent bytes, each rate beside the figure it is a rate of
 * (the engine's rate is processed bytes per second); once the run is over,
 * the summary's own figures, so the screen and the history agree.
 */
function byteLine(state: ProgressState): string {
  const x = state.summary ?? (state.stats && {...state.stats, logicalBytes: state.stats.processedBytes});
  if (!x) return 'processed 0 B · read 0 B · sent 0 B';
  return `processed ${formatBytes(x.logicalBytes)} (${formatRate(x.rate)}) · read ${formatBytes(x.readBytes)} · sent ${formatBytes(x.transferredBytes)} (${formatRate(perSecond(x.transferredBytes, x.seconds))})`;
}

/** Everything above the panes, and how many lines it takes. */
function Header({state, params, width, height}: {state: ProgressState; params: ProgressParams; width: number; height: number}) {
  const theme = useTheme();
  const s = state.stats;
  const {done, total} = overall(state);
  const barState = state.summary ? (state.summary.result === 'success' ? 'ok' : state.summary.result === 'failed' ? 'error' : 'warn') : 'running';
  const eta = s?.eta === undefined ? '–' : formatDuration(s.eta);
  const rows: React.ReactElement[] = [
    <Caption key="cap" width={width}>{`${params.label} → ${params.target}${state.phase === 'cancelling' ? ' · cancelling…' : ''}`}</Caption>,
    <ProgressBar key="all" label="overall" done={done} total={total} width={width} labelWidth={11} state={barState} />,
    <Text key="bytes" wrap="truncate">{truncate(byteLine(state), width)}</Text>,
    <Text key="rate" wrap="truncate">{truncate(`ETA ${state.summary ? '–' : eta} · elapsed ${formatDuration(state.summary?.seconds ?? s?.seconds ?? 0)} · bottleneck ${state.summary?.bottleneck ?? s?.bottleneck ?? '–'}`, width)}</Text>,
  ];
  if (state.summary) {
    const tone = state.summary.result === 'success' ? theme.ok : state.summary.result === 'failed' ? theme.error : theme.warn;
    rows.push(<Text key="sum" {...tone} wrap="truncate">{truncate(`${state.summary.result === 'success' ? '✓' : '!'} ${summaryHeadline(state.summary)}`, width)}</Text>);
    rows.push(<Text key="det" wrap="truncate">{truncate(`stored ${formatBytes(state.summary.storedBytes)} on ${params.target}`, width)}</Text>);
    if (state.failure) rows.push(<Text key="fail" {...theme.error} wrap="truncate">{truncate(`✗ ${state.failure}`, width)}</Text>);
    rows.push(<Text key="esc" {...theme.muted}>{state.phase === 'done' ? 'Esc leaves · H shows the history' : 'Finishing…'}</Text>);
  } else {
    if (height >= 16) rows.push(<Sparkline key="spark" width={width} series={[{label: 'read', values: state.readRates}, {label: 'sent', values: state.sentRates, tone: 'ok'}]} />);
    const bars = Math.max(1, Math.min(state.disks.length, height - rows.length - 2 - 6));
    for (const d of state.disks.slice(-bars)) {
      rows.push(d.total === 0
        ? <Text key={d.key} {...theme.muted} wrap="truncate">{truncate(`${d.label.padEnd(22)} nothing to send: already on the target`, width)}</Text>
        : <ProgressBar key={d.key} label={d.label} done={d.done} total={d.total} width={width} labelWidth={22} state={d.finished ? 'ok' : 'running'} />);
    }
    if (state.disks.length === 0) rows.push(<Text key="wait" {...theme.muted}>Starting…</Text>);
  }
  const lines = rows.length + (!state.summary && height >= 16 ? 1 : 0);
  return {element: <Box flexDirection="column">{rows}</Box>, lines};
}

export const progressScreen = defineScreen<ProgressParams>({
  id: 'progress',
  title: 'Copy progress',
  breadcrumb: (p) => `copy to ${p.target}`,
  actions: ['nav.open', 'copy.cancel', 'history.open', 'nav.up', 'nav.down', 'nav.pageUp', 'nav.pageDown', 'nav.top', 'nav.bottom'],
  component: ProgressScreen,
  repo: (p) => p.source,
});
