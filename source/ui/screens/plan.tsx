/**
 * The copy plan: what a backup copy job will do before it writes anything —
 * target repository, the selection, bytes logical / to read / to transfer /
 * to store, free space, skipped points with reasons, and the engine's notes.
 * `t` picks the target from a list of the registered repositories (nothing is
 * planned until one is chosen: planning is the slow part), `p` switches
 * latest/all; both choices are remembered per source (plan-choices.ts), so
 * the next plan opens on them. Enter starts the copy — detached, as its own
 * process (engine/jobs/start.ts), so quitting the TUI or losing the terminal
 * never stops it — and shows it on the progress screen, a viewer of its run
 * log (refused with a clear status line when the target lacks room or
 * nothing is left to copy);
 * Esc goes back. A plan shown for one target is never started on another.
 * The plan is made again when another process commits to either repository
 * while it is shown (until the new one is ready, Enter says it is planning).
 */
import React, {useMemo, useRef} from 'react';
import {Box, Text} from 'ink';
import {refuseIfTooBig, type CopyPlan} from '../../engine/copy/plan.js';
import {startRun} from '../../engine/jobs/index.js';
import {pinnedSelection, planCopyJob} from '../../engine/operations/copy.js';
import {knownPassword} from '../passwords.js';
import {currentRunner} from '../runner.js';
import {matches} from '../keymap.js';
import {rememberChoice, rememberedChoice} from '../plan-choices.js';
import {openRepository, targetsFor} from '../repos.js';
import {useFooter, useScreenKeys, useShell} from '../shell-context.js';
import {useStore} from '../store.js';
import {useTheme} from '../theme.js';
import {Caption, Placeholder, useWatchedLoad} from './common.js';
import {planLines, type Line} from './plan-lines.js';
import {useTargetPicker} from './target-picker.js';
import {defineScreen, type ScreenProps} from './screen.js';

export interface PlanParams {
  readonly source: string;
  readonly backups: readonly string[];
  /** A point spec (ids, 'all', ...); when absent the plan offers latest/all with `p`. */
  readonly points?: string;
  readonly nodes?: readonly string[];
  /** The selection in words, e.g. "sql-cluster: nodes node1, node2". */
  readonly label: string;
}

interface View {
  readonly target: string | undefined;
  readonly all: boolean;
  readonly offset: number;
}
type ViewAction =
  | {readonly type: 'target'; readonly target: string}
  | {readonly type: 'scope'}
  | {readonly type: 'scroll'; readonly by: number; readonly max: number};

function viewReducer(v: View, a: ViewAction): View {
  switch (a.type) {
    case 'target':
      return {...v, target: a.target, offset: a.target === v.target ? v.offset : 0};
    case 'scope':
      return {...v, all: !v.all, offset: 0};
    case 'scroll':
      return {...v, offset: Math.max(0, Math.min(a.max, v.offset + a.by))};
  }
}

/** Where the plan opens: the target and scope remembered for this source, when still possible. */
function initialView(p: PlanParams, targets: readonly string[]): View {
  const remembered = rememberedChoice(p.source);
  const target = remembered.target && targets.includes(remembered.target) ? remembered.target : targets[0];
  return {target, all: p.points === undefined && remembered.points === 'all', offset: 0};
}

interface Planned {
  readonly plan: CopyPlan;
  readonly target: string;
  readonly points: string;
}

async function makePlan(p: PlanParams, target: string | undefined, points: string): Promise<Planned | undefined> {
  if (!target) return undefined;
  const [source, dst] = await Promise.all([openRepository(p.source), openRepository(target)]);
  // The engine's plan entry, as `copy --dry-run` makes it (rights on both sides, indexes brought up to date).
  const plan = await planCopyJob(source, dst, {
    backups: [...p.backups],
    points,
    ...(p.nodes ? {nodes: [...p.nodes]} : {}),
  });
  return {plan, target, points};
}

const SCROLL: Array<[Parameters<typeof matches>[0], number]> = [
  ['nav.down', 1],
  ['nav.up', -1],
  ['nav.pageDown', 10],
  ['nav.pageUp', -10],
  ['nav.top', -1e9],
  ['nav.bottom', 1e9],
];

function PlanScreen({params, width, height, active}: ScreenProps<PlanParams>) {
  const shell = useShell();
  const theme = useTheme();
  const targets = useMemo(() => targetsFor(params.source), [params.source]);
  const [view, views] = useStore(viewReducer, () => initialView(params, targets));
  const target = view.target;
  const picker = useTargetPicker({
    targets,
    current: target,
    label: params.label,
    width,
    height,
    onChoose: name => {
      views.dispatch({type: 'target', target: name});
      void rememberChoice(params.source, {target: name});
    },
  });
  const points = params.points ?? (view.all ? 'all' : 'latest');
  const watched = useMemo(() => (target ? [params.source, target] : [params.source]), [params.source, target]);
  const data = useWatchedLoad(watched, () => makePlan(params, target, points), [target, points], active);
  const current =
    data.value && data.value.target === target && data.value.points === points && !data.loading
      ? data.value
      : undefined;
  const lines: Line[] = data.value
    ? planLines(
        data.value.plan,
        {
          source: params.source,
          target: data.value.target,
          targets: targets.length,
          selection: params.label,
          // The plan's own scope, not the one just asked for: until the new plan arrives, the old one is
          // shown as it was, under "Planning…".
          points: params.points
            ? 'the marked restore points'
            : data.value.points === 'all'
              ? 'every restore point of each backup'
              : 'the latest restore point of each backup',
          scopable: params.points === undefined,
        },
        width,
      )
    : [];
  // Points picked on the points screen are fixed: `p` does nothing there, so the footer does not offer it.
  useFooter(
    picker.open
      ? picker.footer
      : params.points === undefined
        ? undefined
        : ['copy.start', 'copy.target', 'nav.back', 'help.toggle', 'app.quit'],
  );
  const starting = useRef(false);
  const room = Math.max(1, height - 1);
  const max = Math.max(0, lines.length - room);
  useScreenKeys(k => {
    if (picker.open) return picker.handleKey(k);
    const scroll = SCROLL.find(([action]) => matches(action, k));
    if (scroll) views.dispatch({type: 'scroll', by: scroll[1], max});
    else if (matches('copy.target', k)) {
      if (targets.length > 0) picker.show();
      else
        shell.showStatus({
          kind: 'error',
          message: 'There is no other repository to copy to.',
          hint: 'Register one with `backhaul repo add NAME PATH`.',
        });
    } else if (matches('copy.points', k) && params.points === undefined) {
      views.dispatch({type: 'scope'});
      void rememberChoice(params.source, {points: views.get().all ? 'all' : 'latest'});
    } else if (matches('copy.start', k)) void start();
    else return false;
    return true;
  });
  async function start() {
    if (!target)
      return shell.showStatus({
        kind: 'error',
        message: 'There is no other repository to copy to.',
        hint: 'Register one with `backhaul repo add NAME PATH`.',
      });
    if (!current)
      return shell.showStatus({
        kind: 'info',
        message: data.error ? 'The plan failed; nothing can start.' : 'Still planning…',
      });
    if (current.plan.pointsToCopy === 0) {
      return shell.showStatus({
        kind: 'warn',
        message: `Nothing to copy: the selected restore points are already on ${target}.`,
      });
    }
    try {
      refuseIfTooBig(current.plan);
    } catch (e) {
      return shell.showError(e);
    }
    // The run copies exactly the points shown, even if a newer one lands before it plans again.
    const selection = pinnedSelection(current.plan, params.nodes);
    if (starting.current) return; // a second Enter while the first starts the run
    starting.current = true;
    try {
      // The run is its own process with nobody to ask: it gets the passwords this session opened them with.
      const passwords = {
        source: knownPassword(current.plan.source.location),
        target: knownPassword(current.plan.target.location),
      };
      const run = await startRun(
        {kind: 'copy', trigger: 'manual', source: params.source, target, selection},
        currentRunner(),
        {passwords},
      );
      shell.replace('progress', {
        source: params.source,
        target,
        plan: current.plan,
        label: params.label,
        runId: run.runId,
      });
    } catch (e) {
      starting.current = false;
      shell.showError(e);
    }
  }
  if (!target)
    return (
      <Caption width={width}>
        No other registered repository to copy to. Register one with `backhaul repo add NAME PATH`.
      </Caption>
    );
  if (picker.open) return picker.element;
  if (!data.value) return <Placeholder data={data} what={`the copy plan (to ${target})`} width={width} />;
  const offset = Math.min(view.offset, max);
  const shown = lines.slice(offset, offset + room);
  const more =
    lines.length > room ? `lines ${offset + 1}-${offset + shown.length} of ${lines.length} · ↓/↑ scroll` : '';
  return (
    <Box flexDirection="column">
      {shown.map((line, i) => (
        <Text key={offset + i} wrap="truncate" {...(line.tone ? theme[line.tone] : {})}>
          {line.text || ' '}
        </Text>
      ))}
      <Text {...theme.muted}>{current ? more : `Planning the copy to ${target}…`}</Text>
    </Box>
  );
}

export const planScreen = defineScreen<PlanParams>({
  id: 'plan',
  title: 'Copy plan',
  breadcrumb: () => 'copy plan',
  actions: [
    'copy.start',
    'copy.target',
    'copy.points',
    'nav.up',
    'nav.down',
    'nav.pageUp',
    'nav.pageDown',
    'nav.top',
    'nav.bottom',
  ],
  component: PlanScreen,
  repo: p => p.source,
});
