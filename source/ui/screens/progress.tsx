/**
 * Copy progress: shows a copy run live — an overall bar and one bar per
 * node/disk being copied; processed / read / sent bytes, each rate beside its
 * figure, ETA, elapsed and the bottleneck stage; a read-vs-sent sparkline;
 * the restore points as a list (scroll it, Enter opens one in full) beside
 * the session log. The run is a detached one (engine/jobs/start.ts: its own
 * process and session), and this screen is a viewer of its run log
 * (`followRun`), like `backhaul attach`: any number of viewers may watch a
 * run, and leaving one (Esc or q) or losing the terminal never stops the
 * run — the screen says so and `J` finds it again. `x` stops the run after a
 * confirm (the point in progress is not committed; the target stays
 * consistent). At the end a summary (the run has recorded its session in the
 * history), and Esc leaves. Renders are throttled (≤15/s).
 */
import React, {useEffect, useLayoutEffect, useMemo, useRef} from 'react';
import {Box, Text} from 'ink';
import type {CopyPlan} from '../../engine/copy/plan.js';
import {followRun, liveRuns} from '../../engine/jobs/index.js';
import {stopRun} from '../../engine/jobs/runs.js';
import {useList} from '../components/list.js';
import {ProgressBar} from '../components/progress-bar.js';
import {Sparkline} from '../components/sparkline.js';
import {statusFromError} from '../components/status-line.js';
import {formatBytes, formatDuration, formatRate} from '../format.js';
import {matches} from '../keymap.js';
import {currentItem} from '../components/list-state.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {useThrottledReducer} from '../throttle.js';
import {useTheme} from '../theme.js';
import {truncate} from '../text.js';
import {Caption} from './common.js';
import {activeRow, pointDetail, ProgressPanes} from './progress-panes.js';
import {
  emptyProgress,
  initialProgress,
  overall,
  perSecond,
  phaseWords,
  progressReducer,
  runEntryEvents,
  summaryHeadline,
  type ProgressState,
  type UiEvent,
} from './progress-state.js';
import {defineScreen, type ScreenProps} from './screen.js';

/**
 * `runId`: the run to show; `plan`: the plan it was started from (its rows show
 * at once), absent when attaching to a run started elsewhere; `job`: its job.
 */
export interface ProgressParams {
  readonly source: string;
  readonly target: string;
  readonly label: string;
  readonly runId: string;
  readonly plan?: CopyPlan;
  readonly job?: string;
}

/** What the screen says when its viewer is left while the run goes on. */
export const LEFT_RUNNING = 'The copy keeps running; J to find it.';

function useRun(params: ProgressParams) {
  const shell = useShell();
  // Made once: a plan of many points is not walked again on every frame.
  const initial = useMemo(
    () => (params.plan ? initialProgress(params.plan, params.target) : emptyProgress(params.target)),
    [params.plan, params.target],
  );
  const [state, dispatch, get, flush] = useThrottledReducer(progressReducer, initial);
  useEffect(() => {
    const controller = new AbortController();
    const send = (event: UiEvent) => dispatch({at: Date.now(), event});
    void (async () => {
      try {
        for await (const entry of followRun(params.runId, controller.signal))
          for (const e of runEntryEvents(entry)) dispatch(e);
      } catch (e) {
        send({type: 'ui.failed', message: statusFromError(e).message});
      }
      if (controller.signal.aborted) return;
      if (get().phase !== 'done') send({type: 'ui.finished'});
      flush();
      const x = get().summary;
      const kind =
        x?.result === 'success' ? 'ok' : x?.result === 'cancelled' || x?.result === 'warning' ? 'warn' : 'error';
      shell.showStatus({
        kind,
        message: x ? summaryHeadline(x) : (get().failure ?? 'The run stopped.'),
        hint: 'Esc to leave.',
      });
    })();
    return () => controller.abort();
    // The viewer follows one run, from when the screen opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);
  const stop = async () => {
    const yes = await shell.confirm({
      title: 'Stop the copy?',
      message: 'Points already copied stay; the one in progress is not committed (the next run resumes it).',
      danger: true,
    });
    if (!yes || get().phase !== 'running') return;
    const run = liveRuns().find(r => r.runId === params.runId);
    if (!run) return shell.showStatus({kind: 'info', message: 'The run has already ended.'});
    try {
      stopRun(run);
    } catch (e) {
      return shell.showError(e);
    }
    dispatch({at: Date.now(), event: {type: 'ui.cancelling'}});
    shell.showStatus({kind: 'warn', message: 'Stopping the copy…'});
  };
  return {state, get, stop};
}

function ProgressScreen({params, width, height}: ScreenProps<ProgressParams>) {
  const shell = useShell();
  const {state, get, stop} = useRun(params);
  const top = Header({state, params, width, height});
  const paneHeight = Math.max(4, height - top.lines);
  const list = useList({
    items: state.objects,
    idOf: o => o.key,
    textOf: o => `${o.label} ${o.message ?? ''}`,
    height: paneHeight - 1,
    markable: false,
    filterable: false,
  });
  // The cursor follows the point being copied until you move it yourself.
  const following = useRef(true);
  const active = activeRow(state.objects)?.key;
  // A layout effect, after the list's own (which stores the new rows): the cursor moves in the same commit.
  useLayoutEffect(() => {
    if (following.current && active) list.store.dispatch({type: 'select', id: active});
  }, [active, list.store]);
  // While the run goes on, Esc and q leave the viewer, not the run: the footer says "leave".
  useFooter(
    state.phase === 'done'
      ? ['nav.open', 'history.open', 'nav.back', 'help.toggle', 'app.quit']
      : ['nav.open', 'copy.cancel', 'nav.back', 'help.toggle'],
  );
  useScreenKeys(k => {
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
    if (matches('copy.cancel', k)) void (phase === 'running' ? stop() : undefined);
    else if ((matches('app.quit', k) && k.name === 'q') || matches('nav.back', k)) {
      shell.pop();
      shell.showStatus({
        kind: 'info',
        message: LEFT_RUNNING,
        hint: `Run ${params.runId}; \`backhaul attach ${params.runId}\` watches it from a shell.`,
      });
    } else return false;
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
function Header({
  state,
  params,
  width,
  height,
}: {
  state: ProgressState;
  params: ProgressParams;
  width: number;
  height: number;
}) {
  const theme = useTheme();
  const s = state.stats;
  const {done, total} = overall(state);
  const barState = state.summary
    ? state.summary.result === 'success'
      ? 'ok'
      : state.summary.result === 'failed'
        ? 'error'
        : 'warn'
    : 'running';
  const eta = s?.eta === undefined ? '–' : formatDuration(s.eta);
  const rows: React.ReactElement[] = [
    <Caption
      key="cap"
      width={width}
    >{`${params.label} → ${params.target} · run ${params.runId}${state.phase === 'cancelling' ? ' · stopping…' : ''}`}</Caption>,
    <ProgressBar key="all" label="overall" done={done} total={total} width={width} labelWidth={11} state={barState} />,
    <Text key="bytes" wrap="truncate">
      {truncate(byteLine(state), width)}
    </Text>,
    <Text key="rate" wrap="truncate">
      {truncate(
        `ETA ${state.summary ? '–' : eta} · elapsed ${formatDuration(state.summary?.seconds ?? s?.seconds ?? 0)} · bottleneck ${state.summary?.bottleneck ?? s?.bottleneck ?? '–'}`,
        width,
      )}
    </Text>,
  ];
  if (state.summary) {
    const tone =
      state.summary.result === 'success' ? theme.ok : state.summary.result === 'failed' ? theme.error : theme.warn;
    rows.push(
      <Text key="sum" {...tone} wrap="truncate">
        {truncate(`${state.summary.result === 'success' ? '✓' : '!'} ${summaryHeadline(state.summary)}`, width)}
      </Text>,
    );
    rows.push(
      <Text key="det" wrap="truncate">
        {truncate(`stored ${formatBytes(state.summary.storedBytes)} on ${params.target}`, width)}
      </Text>,
    );
    if (state.failure)
      rows.push(
        <Text key="fail" {...theme.error} wrap="truncate">
          {truncate(`✗ ${state.failure}`, width)}
        </Text>,
      );
    rows.push(
      <Text key="esc" {...theme.muted}>
        {state.phase === 'done' ? 'Esc leaves · H shows the history' : 'Finishing…'}
      </Text>,
    );
  } else {
    if (height >= 16)
      rows.push(
        <Sparkline
          key="spark"
          width={width}
          series={[
            {label: 'read', values: state.readRates},
            {label: 'sent', values: state.sentRates, tone: 'ok'},
          ]}
        />,
      );
    const bars = Math.max(1, Math.min(state.disks.length, height - rows.length - 2 - 6));
    for (const d of state.disks.slice(-bars)) {
      rows.push(
        d.total === 0 ? (
          <Text key={d.key} {...theme.muted} wrap="truncate">
            {truncate(`${d.label.padEnd(22)} nothing to send: already on the target`, width)}
          </Text>
        ) : (
          <ProgressBar
            key={d.key}
            label={d.label}
            done={d.done}
            total={d.total}
            width={width}
            labelWidth={22}
            state={d.finished ? 'ok' : 'running'}
          />
        ),
      );
    }
    if (state.runPhase)
      rows.push(
        <Text key="phase" {...theme.warn} wrap="truncate">
          {truncate(phaseWords(state.runPhase), width)}
        </Text>,
      );
    else if (state.disks.length === 0)
      rows.push(
        <Text key="wait" {...theme.muted}>
          Starting…
        </Text>,
      );
  }
  const lines = rows.length + (!state.summary && height >= 16 ? 1 : 0);
  return {element: <Box flexDirection="column">{rows}</Box>, lines};
}

export const progressScreen = defineScreen<ProgressParams>({
  id: 'progress',
  title: 'Copy progress',
  breadcrumb: p => `copy to ${p.target}`,
  actions: [
    'nav.open',
    'copy.cancel',
    'history.open',
    'nav.up',
    'nav.down',
    'nav.pageUp',
    'nav.pageDown',
    'nav.top',
    'nav.bottom',
  ],
  component: ProgressScreen,
  repo: p => p.source,
});
