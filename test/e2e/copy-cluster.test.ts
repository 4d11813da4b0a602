// End to end, as a person at a terminal: the built program in tmux at 120×40
// and at 80×24 opens on the demo, finds the cluster with `/`, opens its nodes,
// marks two, plans a copy to demo-secondary, starts it, watches the bars move,
// sees the summary, leaves it and quits with `q` — and `backhaul list --json`
// then confirms the cluster copy holds exactly the two marked nodes. A third
// test starts with no repository registered and sees the demo being built
// with a visible progress display.
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import {demoWorkspace, emptyWorkspace, type Workspace} from '../helpers/demo-cache.js';
import {KEY, TmuxSession, tmuxAvailable, withTmux} from '../helpers/tmux.js';

const skip = tmuxAvailable() ? false : 'tmux is not installed (.ci/run installs it)';
const NODES = ['node1', 'node2', 'node3'];

/** The workspace's private config and data dirs, and no colour (plain text to match). */
const xdg = (ws: Workspace) => ({
  XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME,
  XDG_DATA_HOME: ws.env.XDG_DATA_HOME,
  NO_COLOR: '1',
});

/** What each screen shows, as the screens render it. */
const SEEN = {
  backups: (s: string) => /Backups/.test(s) && /sql-cluster/.test(s) && /alice-laptop/.test(s),
  filtered: (s: string) => /filter: sql/.test(s) && /sql-cluster/.test(s) && !/alice-laptop/.test(s),
  nodes: (s: string) => /Cluster nodes/.test(s) && NODES.every(n => s.includes(n)),
  twoMarked: (s: string) => /2 marked/.test(s),
  plan: (s: string) =>
    /Target\s+demo-secondary/.test(s) && /Enter starts the copy/.test(s) && !/Planning the copy/.test(s),
  progress: (s: string) => /Copy progress/.test(s) && /overall/.test(s) && !summaryShown(s),
  summary: (s: string) => summaryShown(s),
};
// "Esc leaves" once the session is recorded: the summary shows a moment before, while Esc still says the copy runs.
const summaryShown = (s: string) => /Copy (finished|failed|cancelled)/.test(s) && /Esc leaves/.test(s);

/** The lines of a frame that say how far the copy is: the bars and the byte counters. */
const progressLines = (s: string) =>
  s
    .split('\n')
    .filter(l => /[█░]{3,}|processed .* sent/.test(l))
    .join('\n');

/** Node names on rows marked with ● (the first cell of a row; other cells also name nodes). */
function markedNodes(screen: string): string[] {
  return screen
    .split('\n')
    .map(l => /^.●\s+(\S+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && NODES.includes(n));
}

async function copyTwoNodes(columns: number, rows: number) {
  const ws = await demoWorkspace(`e2e-${columns}x${rows}`);
  try {
    const marked = await withTmux(
      {command: [process.execPath, ws.cli], columns, rows, env: xdg(ws), cwd: ws.dir},
      async t => {
        await t.waitFor(SEEN.backups, {timeoutMs: 30_000});
        assert.ok(await t.alternateScreen(), 'the TUI runs on the alternate screen');

        await t.press('/');
        await t.type('sql');
        await t.press(KEY.enter);
        await t.waitFor(SEEN.filtered);

        await t.press('n');
        await t.waitFor(SEEN.nodes, {timeoutMs: 30_000});
        await t.press(KEY.space, KEY.down, KEY.space);
        const nodesScreen = await t.waitFor(SEEN.twoMarked);
        const marked = markedNodes(nodesScreen);
        assert.equal(marked.length, 2, `two nodes are marked on:\n${nodesScreen}`);

        await t.press('c');
        const plan = await t.waitFor(SEEN.plan, {timeoutMs: 60_000});
        assert.match(plan, /demo-secondary/, 'the plan targets demo-secondary');

        await t.press(KEY.enter);
        // Watch the bars: collect distinct progress frames until the summary shows.
        const frames = new Set<string>();
        const summary = await t.waitFor(
          s => {
            if (SEEN.progress(s)) frames.add(progressLines(s));
            return SEEN.summary(s);
          },
          {timeoutMs: 180_000, intervalMs: 20},
        );
        assert.ok(
          frames.size >= 2,
          `the progress display changed while copying (saw ${frames.size} distinct frame(s))`,
        );
        assert.match(summary, /Copy finished: \d+ copied, \d+ skipped, 0 failed/, 'the copy succeeded');

        await t.press(KEY.escape);
        await t.waitFor(s => SEEN.nodes(s) && !SEEN.summary(s));
        if (columns > 80) {
          // Follows a resize: the frame is laid out again for 80 columns (a 120-column frame
          // would lose its right-aligned title to tmux's cut), footer included.
          await t.resize(80, 24);
          await t.waitFor(s => s.split('\n')[0]!.trimEnd().endsWith('Cluster nodes') && /q quit/.test(s));
        }
        await t.press('q');
        const exit = await t.waitForExit();
        assert.equal(exit.code, 0, `backhaul exited 0; the screen was:\n${await t.capture()}`);
        assert.equal(await t.alternateScreen(), false, 'quitting leaves the alternate screen');
        return marked;
      },
    );

    const copies: any[] = await ws.json(['list', '--repo', 'demo-secondary', '--json']);
    const cluster = copies.filter(b => b.machine === 'sql-cluster');
    assert.equal(cluster.length, 1, 'demo-secondary holds one cluster backup');
    assert.deepEqual(cluster[0].nodes.map((n: {name: string}) => n.name).sort(), [...marked].sort());
    assert.equal(copies.length, 1, 'nothing else was copied');
  } finally {
    await ws.cleanup();
  }
}

describe('the TUI in a real terminal (tmux)', {skip}, () => {
  test('at 120×40: find the cluster, mark two nodes, copy them, quit', () => copyTwoNodes(120, 40));
  test('at 80×24: the same flow', () => copyTwoNodes(80, 24));

  test('with no repository registered it builds the demo with a visible progress display', async () => {
    const ws = await emptyWorkspace('e2e-fresh');
    try {
      await withTmux(
        {command: [process.execPath, ws.cli], columns: 80, rows: 24, env: xdg(ws), cwd: ws.dir},
        async (t: TmuxSession) => {
          const first = await t.waitFor(/building demo.*\d+%/, {timeoutMs: 30_000});
          const bar = (s: string) => s.split('\n').find(l => /building demo/.test(l)) ?? '';
          await t.waitFor(s => bar(s) !== bar(first) || SEEN.backups(s), {timeoutMs: 60_000});
          // The bars keep redrawing until the demo is built, then the TUI opens on it.
          const opened = await t.waitFor(s => SEEN.backups(s) || /Error|exited/.test(s), {timeoutMs: 180_000});
          assert.ok(SEEN.backups(opened), `the TUI opened on the demo; the screen was:\n${opened}`);
          await t.press('q');
          assert.equal((await t.waitForExit()).code, 0);
        },
      );
    } finally {
      await ws.cleanup();
    }
  });
});
