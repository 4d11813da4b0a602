/**
 * Screenshots of the real TUI for the README: drives the built program in
 * tmux at 100×30 on the demo workspace, as the end-to-end tests do, captures
 * the pane with its colours (`capture-pane -e -p`) and renders each capture
 * to SVG in media/: backups, cluster-nodes, copy-plan, copy-progress, and
 * delegated-restore once that screen exists (skipped, with a note, before).
 *
 * Usage: node --import tsx scripts/screenshots.ts [--out media]
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {demoWorkspace, ROOT} from '../test/helpers/demo-cache.js';
import {KEY, withTmux, type TmuxSession} from '../test/helpers/tmux.js';
import {captureToSvg} from './ansi-svg.js';

const COLUMNS = 100;
const ROWS = 30;
const {values} = parseArgs({options: {out: {type: 'string', default: join(ROOT, 'media')}}});
const out = values.out!;
const made: string[] = [];

async function shoot(t: TmuxSession, name: string, title: string, screen?: string): Promise<void> {
  const capture = screen ?? await t.capture({colors: true});
  const file = join(out, `${name}.svg`);
  await writeFile(file, captureToSvg(capture, {columns: COLUMNS, rows: ROWS, title}));
  made.push(file);
}

const plain = (s: string) => s.replace(/\u001B\[[0-9;:?]*[A-Za-z]/g, '');
const overallPercent = (s: string) => Number(/overall\s.*?(\d+)%/.exec(plain(s))?.[1] ?? NaN);

async function main() {
  await mkdir(out, {recursive: true});
  const ws = await demoWorkspace('screenshots');
  // Colours on; tmux's default TERM (screen) gives the 16 ANSI colours the theme uses.
  const env = {XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME, XDG_DATA_HOME: ws.env.XDG_DATA_HOME, NO_COLOR: undefined, FORCE_COLOR: undefined};
  const session = {command: [process.execPath, ws.cli], columns: COLUMNS, rows: ROWS, env, cwd: ws.dir};
  try {
    await withTmux(session, async (t) => {
      await t.waitFor((s) => /Backups/.test(s) && /sql-cluster/.test(s) && /alice-laptop/.test(s), {timeoutMs: 30_000});
      await t.press(KEY.down);
      await t.waitFor(/2\/6/);
      await shoot(t, 'backups', 'backhaul — Backups');

      await t.press('/');
      await t.type('sql');
      await t.press(KEY.enter);
      await t.waitFor(/filter: sql/);
      await t.press('n');
      await t.waitFor((s) => /Cluster nodes/.test(s) && /node3/.test(s));
      await t.press(KEY.space, KEY.down, KEY.space);
      await t.waitFor(/2 marked/);
      await shoot(t, 'cluster-nodes', 'backhaul — Cluster nodes');
    });

    // The whole demo, every point: a copy long enough to catch in the middle.
    await withTmux(session, async (t) => {
      await t.waitFor((s) => /Backups/.test(s) && /sql-cluster/.test(s), {timeoutMs: 30_000});
      await t.press('a');
      await t.waitFor(/6 marked/);
      await t.press('c');
      const verdict = (s: string) => /\d+ restore points? to copy/.exec(s)?.[0];
      const latest = verdict(await t.waitFor((s) => /Enter starts the copy/.test(s) && !/Planning the copy/.test(s), {timeoutMs: 60_000}));
      await t.press('p');
      // The header changes at once, the totals only when the new plan is made: wait for those.
      await t.waitFor((s) => /every restore point/.test(s) && verdict(s) !== latest && !/Planning the copy/.test(s), {timeoutMs: 60_000});
      await shoot(t, 'copy-plan', 'backhaul — Copy plan');
      await t.press(KEY.enter);
      let best: string | undefined;
      await t.waitFor(/Copy progress/);
      const deadline = Date.now() + 300_000;
      while (Date.now() < deadline) {
        const screen = await t.capture({colors: true});
        if (/Copy (finished|failed|cancelled)/.test(plain(screen))) break;
        const pct = overallPercent(screen);
        if (pct >= 5 && /[█▏▎▍▌▋▊▉]/.test(plain(screen))) best = screen;
        if (pct >= 35) break;
        await new Promise((r) => setTimeout(r, 40));
      }
      if (!best) throw new Error(`No in-progress frame was caught; the screen was:\n${await t.capture()}`);
      await shoot(t, 'copy-progress', 'backhaul — Copy progress', best);
    });

    if (readdirSync(join(ROOT, 'source/ui/screens')).some((f) => /id: 'restore'/.test(readFileSync(join(ROOT, 'source/ui/screens', f), 'utf8')))) {
      // Delegated restore up to the file browser with a folder marked (nothing is restored).
      await withTmux(session, async (t) => {
        await t.waitFor((s) => /Backups/.test(s) && /alice-laptop/.test(s), {timeoutMs: 30_000});
        await t.press('R');
        await t.waitFor((s) => /pick a backup/.test(s) && /›\s+alice-laptop/.test(s), {timeoutMs: 30_000});
        await t.press(KEY.enter);
        await t.waitFor((s) => /pick a restore point/.test(s) && /full|incremental/.test(s));
        await t.press(KEY.enter);
        await t.waitFor(/Reason/);
        await t.type('ticket 4711: alice deleted her notes');
        await t.press(KEY.enter);
        await t.waitFor(/▸ \S+\//);
        await t.press(KEY.space);
        await t.waitFor(/1 marked/);
        await t.press(KEY.right); // open the marked folder, to show what is in it
        await t.waitFor(/ 1\/([2-9]|\d\d)/, {timeoutMs: 5000}).catch(() => {});
        await shoot(t, 'delegated-restore', 'backhaul — Delegated restore');
      });
    } else {
      process.stdout.write('delegated-restore.svg: skipped (no delegated restore screen yet)\n');
    }
  } finally {
    await ws.cleanup();
  }
  for (const f of made) process.stdout.write(`${f}${existsSync(f) ? '' : ' (missing!)'}\n`);
}

await main();
