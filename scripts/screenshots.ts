/**
 * Screenshots of the real TUI for the README: drives the program bundled from
 * the current source (test/helpers/demo-cache.ts) in tmux on the demo
 * workspace, as the end-to-end tests do, captures the pane with its colours
 * (`capture-pane -e -p`) and renders each capture to SVG in media/. Every
 * screen is shot at 100×30 (`NAME.svg`) and at 80×24, the smallest size the
 * TUI supports (`NAME-80x24.svg`): backups, cluster-nodes, copy-plan,
 * copy-progress, history (Jobs and history, after that copy), jobs (the
 * Jobs screen: a job running throttled, one missing its RPO, one disabled)
 * and delegated-restore. Each size gets its own copy of the demo, so each copy
 * starts from an empty target.
 *
 * Usage: node --import tsx scripts/screenshots.ts [--out media]
 */
import {existsSync} from 'node:fs';
import {mkdir, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {demoWorkspace, ROOT, type Workspace} from '../test/helpers/demo-cache.js';
import {KEY, withTmux, type TmuxSession} from '../test/helpers/tmux.js';
import {captureToSvg} from './ansi-svg.js';

interface Size {
  readonly columns: number;
  readonly rows: number;
  readonly suffix: string;
}
const SIZES: readonly Size[] = [
  {columns: 100, rows: 30, suffix: ''},
  {columns: 80, rows: 24, suffix: '-80x24'},
];
const {values} = parseArgs({options: {out: {type: 'string', default: join(ROOT, 'media')}}});
const out = values.out!;
const made: string[] = [];

async function shoot(t: TmuxSession, size: Size, name: string, title: string, screen?: string): Promise<void> {
  const capture = screen ?? (await t.capture({colors: true}));
  const file = join(out, `${name}${size.suffix}.svg`);
  await writeFile(
    file,
    captureToSvg(capture, {
      columns: size.columns,
      rows: size.rows,
      title: `${title}${size.suffix ? ` (${size.columns}×${size.rows})` : ''}`,
    }),
  );
  made.push(file);
}

const plain = (s: string) => s.replace(/\u001B\[[0-9;:?]*[A-Za-z]/g, '');
const overallPercent = (s: string) => Number(/overall\s.*?(\d+)%/.exec(plain(s))?.[1] ?? NaN);
/** A plan is on screen, counted for the scope asked (the old one stays shown, under "Planning…", until then). */
const planned = (s: string) => /Backup \/ node/.test(s) && !/Planning the copy/.test(s);

/** The Backups screen with its points counted (the rows show first, with '…'). */
const counted = (s: string) =>
  /Backups/.test(s) && /sql-cluster/.test(s) && /alice-laptop\s+workstation\s+\S+\s+\d/.test(s);

async function browse(t: TmuxSession, size: Size): Promise<void> {
  await t.waitFor(counted, {timeoutMs: 30_000});
  await t.press(KEY.down);
  await t.waitFor(/2\/6/);
  await shoot(t, size, 'backups', 'backhaul — Backups');
  await t.press('/');
  await t.type('sql');
  await t.press(KEY.enter);
  await t.waitFor(/filter: sql/);
  await t.press('n');
  await t.waitFor(s => /Cluster nodes/.test(s) && /node3/.test(s));
  await t.press(KEY.space, KEY.down, KEY.space);
  await t.waitFor(/2 marked/);
  await shoot(t, size, 'cluster-nodes', 'backhaul — Cluster nodes');
}

/** The whole demo, every point: a copy long enough to catch in the middle; then the history that records it. */
async function copy(t: TmuxSession, size: Size): Promise<void> {
  await t.waitFor(s => /Backups/.test(s) && /sql-cluster/.test(s), {timeoutMs: 30_000});
  await t.press('a');
  await t.waitFor(/6 marked/);
  await t.press('c');
  await t.waitFor(planned, {timeoutMs: 60_000});
  await t.press('p');
  await t.waitFor(s => /every restore point/.test(s) && planned(s), {timeoutMs: 60_000});
  await shoot(t, size, 'copy-plan', 'backhaul — Copy plan');
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
    await new Promise(r => setTimeout(r, 40));
  }
  if (!best) throw new Error(`No in-progress frame was caught; the screen was:\n${await t.capture()}`);
  await shoot(t, size, 'copy-progress', 'backhaul — Copy progress', best);
  await t.waitFor(/Esc leaves/, {timeoutMs: 300_000});
  await t.press('H');
  await t.waitFor(s => /[1-9]\d* past copy sessions?/.test(s) && /success/.test(s));
  await shoot(t, size, 'history', 'backhaul — Jobs and history');
}

/**
 * The Jobs screen: three saved jobs — one running (throttled, to a target of
 * its own), one whose RPO is missed, one disabled — made with the CLI as an
 * admin would; the running one is stopped afterwards.
 */
async function jobs(t: TmuxSession, size: Size, ws: Workspace): Promise<void> {
  await t.waitFor(s => /Backups/.test(s) && /sql-cluster/.test(s), {timeoutMs: 30_000});
  await t.press('J');
  await t.waitFor(s => /offsite\s+running/.test(s) && /! over 1h/.test(s) && /! nightly:/.test(s), {timeoutMs: 60_000});
  await shoot(t, size, 'jobs', 'backhaul — Jobs');
  await ws.run(['job', 'stop', 'offsite']);
  // The workspace goes next: wait until the run has written its end and left.
  for (let i = 0; i < 120; i++) {
    const r = await ws.run(['job', 'status', '--json']);
    if (
      !(JSON.parse(r.stdout) as {name: string; state: string}[]).some(
        j => j.name === 'offsite' && j.state === 'running',
      )
    )
      return;
    await new Promise(resolve => setTimeout(resolve, 250));
  }
}

async function addJobs(ws: Workspace): Promise<void> {
  const ok = async (args: string[]) => {
    const r = await ws.run(args);
    if (r.code !== 0) throw new Error(`backhaul ${args.join(' ')}: ${r.stderr}`);
  };
  await ok(['repo', 'add', 'offsite', join(ws.dir, 'offsite')]);
  await ok(['repo', 'add', 'cold', join(ws.dir, 'cold')]);
  await ok([
    'job',
    'add',
    'offsite',
    '--from',
    'demo-primary',
    '--to',
    'offsite',
    '--mode',
    'immediate',
    '--points',
    'all',
    '--throttle',
    '2',
    '--rpo',
    '24h',
    '--window',
    'mon-fri 08:00-09:00',
  ]);
  await ok([
    'job',
    'add',
    'nightly',
    '--from',
    'demo-primary',
    '--to',
    'cold',
    '--mode',
    'periodic',
    '--cron',
    '0 2 * * *',
    '--rpo',
    '1h',
    '--machine',
    'sql-*',
  ]);
  await ok([
    'job',
    'add',
    'laptops',
    '--from',
    'demo-primary',
    '--to',
    'demo-secondary',
    '--mode',
    'periodic',
    '--every',
    '6h',
    '--machine',
    '*-laptop',
    '--disabled',
  ]);
  await ok(['job', 'run', 'offsite', '--all']);
}

/** Delegated restore up to the file browser with a folder marked (nothing is restored). */
async function restore(t: TmuxSession, size: Size): Promise<void> {
  await t.waitFor(s => /Backups/.test(s) && /alice-laptop/.test(s), {timeoutMs: 30_000});
  await t.press('R');
  await t.waitFor(s => /pick a backup/.test(s) && /›\s+alice-laptop/.test(s), {timeoutMs: 30_000});
  await t.press(KEY.enter);
  await t.waitFor(s => /pick a restore point/.test(s) && /full|incremental/.test(s));
  await t.press(KEY.enter);
  await t.waitFor(/Reason/);
  await t.type('ticket 4711: alice deleted her notes');
  await t.press(KEY.enter);
  await t.waitFor(/▸ \S+\//);
  await t.press(KEY.space);
  await t.waitFor(/1 marked/);
  await t.press(KEY.right); // open the marked folder, to show what is in it
  await t.waitFor(/ 1\/([2-9]|\d\d)/, {timeoutMs: 5000}).catch(() => {});
  await shoot(t, size, 'delegated-restore', 'backhaul — Delegated restore');
}

async function atSize(size: Size, ws: Workspace): Promise<void> {
  // Colours on; tmux's default TERM (screen) gives the 16 ANSI colours the theme uses.
  const env = {
    XDG_CONFIG_HOME: ws.env.XDG_CONFIG_HOME,
    XDG_DATA_HOME: ws.env.XDG_DATA_HOME,
    NO_COLOR: undefined,
    FORCE_COLOR: undefined,
  };
  const session = {command: [process.execPath, ws.cli], columns: size.columns, rows: size.rows, env, cwd: ws.dir};
  for (const step of [browse, copy, restore]) await withTmux(session, t => step(t, size));
  await addJobs(ws);
  await withTmux(session, t => jobs(t, size, ws));
}

async function main() {
  await mkdir(out, {recursive: true});
  for (const size of SIZES) {
    const ws = await demoWorkspace(`screenshots${size.suffix}`);
    try {
      await atSize(size, ws);
    } finally {
      await ws.cleanup();
    }
  }
  for (const f of made) process.stdout.write(`${f}${existsSync(f) ? '' : ' (missing!)'}\n`);
}

await main();
