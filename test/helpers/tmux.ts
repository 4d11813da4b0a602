/**
 * Drives a real program in a detached tmux session, as a person at a
 * terminal would: type text, press named keys, read the screen (plain or with
 * colours), wait for something to appear, resize, and see how it exited.
 * Every session runs on its own tmux server (`tmux -L <unique socket>`), so
 * parallel tests never share a server, and is started with `env -u CI` (with
 * CI=true Ink draws nothing until exit) and private XDG config/data dirs
 * unless the caller passes its own. Sessions are always cleaned up: by
 * `kill()`, and by an exit hook for any a failing test left behind.
 * Not a test file (no `.test.` in the name).
 */
import {randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {execa, execaSync} from 'execa';

/** tmux names of the keys tests press (anything else is passed to send-keys as is, e.g. 'C-c'). */
export const KEY = {
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  enter: 'Enter',
  escape: 'Escape',
  space: 'Space',
  tab: 'Tab',
  backspace: 'BSpace',
  pageUp: 'PPage',
  pageDown: 'NPage',
  home: 'Home',
  end: 'End',
  ctrlC: 'C-c',
} as const;

export interface TmuxOptions {
  /** The program and its arguments, e.g. [process.execPath, 'dist/cli.js']. */
  readonly command: readonly string[];
  readonly columns?: number;
  readonly rows?: number;
  /** Added to the program's environment; `undefined` removes a variable. CI is always removed. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

export interface Exit {
  /** Exit status as the shell reports it (128 + N for signal N). */
  readonly code: number;
}

const live = new Set<TmuxSession>();
process.once('exit', () => {
  for (const s of live) s.killSync();
});

function tmuxEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...process.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8'};
  delete env.CI;
  delete env.TMUX; // a test run from inside tmux must still start its own server
  return env;
}

const shellQuote = (s: string) => (/^[A-Za-z0-9_./=:@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export class TmuxSession {
  private killed = false;
  private constructor(
    readonly socket: string,
    private readonly dir: string,
    public columns: number,
    public rows: number,
  ) {}

  /** Starts the program in a new detached session of `columns`×`rows` (default 120×40). */
  static async start(options: TmuxOptions): Promise<TmuxSession> {
    const columns = options.columns ?? 120;
    const rows = options.rows ?? 40;
    const env: Record<string, string | undefined> = {...options.env};
    const dir = mkdtempSync(join(tmpdir(), 'bh-tmux-'));
    env.XDG_CONFIG_HOME ??= join(dir, 'config');
    env.XDG_DATA_HOME ??= join(dir, 'data');
    env.XDG_CACHE_HOME ??= join(dir, 'cache');
    const assignments = Object.entries(env)
      .filter(([k, v]) => v !== undefined && k !== 'CI')
      .map(([k, v]) => `${k}=${v}`);
    const unset = [
      'CI',
      ...Object.entries(env)
        .filter(([, v]) => v === undefined)
        .map(([k]) => k),
    ].flatMap(k => ['-u', k]);
    const argv = ['env', ...unset, ...assignments, ...options.command];
    const session = new TmuxSession(`bh-${process.pid}-${randomBytes(4).toString('hex')}`, dir, columns, rows);
    live.add(session);
    try {
      // tmux's own record of a dead pane's status is racy (empty when the pty closes before the
      // process is reaped), so a shell writes the program's exit status to a file. /bin/sh, not the
      // user's shell: several arguments make tmux exec them directly.
      const line = `${argv.map(shellQuote).join(' ')}; echo $? > ${shellQuote(join(dir, 'exit'))}`;
      // remain-on-exit keeps the pane, so the screen left after the program ends can be read.
      await session.tmux([
        'new-session',
        '-d',
        '-s',
        'main',
        '-x',
        String(columns),
        '-y',
        String(rows),
        ...(options.cwd ? ['-c', options.cwd] : []),
        '/bin/sh',
        '-c',
        line,
        ';',
        'set-option',
        '-w',
        '-t',
        'main',
        'remain-on-exit',
        'on',
      ]);
    } catch (e) {
      session.killSync();
      throw e;
    }
    return session;
  }

  /** Runs a tmux command on this session's server; resolves with its stdout. */
  async tmux(args: readonly string[]): Promise<string> {
    const r = await execa('tmux', ['-u', '-f', '/dev/null', '-L', this.socket, ...args], {
      env: tmuxEnv(),
      extendEnv: false,
      stdin: 'ignore',
      maxBuffer: 16 << 20,
      stripFinalNewline: false,
      reject: false,
    });
    if (r.failed) throw new Error(`tmux ${args[0]} failed: ${r.stderr.trim() || r.shortMessage}`);
    return r.stdout;
  }

  /** Presses keys by tmux name: `press(KEY.down, KEY.space)`, `press('q')`. */
  async press(...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', ...keys]);
  }

  /** Types text literally (no key-name lookup). */
  async type(text: string): Promise<void> {
    await this.tmux(['send-keys', '-t', 'main', '-l', text]);
  }

  /** The visible screen: plain text, or with `colors` the SGR escapes too. Trailing blank lines are dropped. */
  async capture(options: {colors?: boolean} = {}): Promise<string> {
    const out = await this.tmux(['capture-pane', '-p', '-t', 'main', ...(options.colors ? ['-e'] : [])]);
    return out.replace(/\s+$/, '') + '\n';
  }

  /** Polls the screen until it contains `what` (text or regex); returns that screen. Throws with the last screen on timeout. */
  async waitFor(
    what: string | RegExp | ((screen: string) => boolean),
    options: {timeoutMs?: number; intervalMs?: number} = {},
  ): Promise<string> {
    const deadline = Date.now() + (options.timeoutMs ?? 15_000);
    const test =
      typeof what === 'function'
        ? what
        : typeof what === 'string'
          ? (s: string) => s.includes(what)
          : (s: string) => what.test(s);
    let screen = '';
    for (;;) {
      screen = await this.capture();
      if (test(screen)) return screen;
      if (Date.now() > deadline) {
        throw new Error(
          `Timed out waiting for ${typeof what === 'function' ? 'a condition' : String(what)}; the screen was:\n${screen}`,
        );
      }
      await sleep(options.intervalMs ?? 50);
    }
  }

  /** Resizes the window (the program gets SIGWINCH). */
  async resize(columns: number, rows: number): Promise<void> {
    await this.tmux(['resize-window', '-t', 'main', '-x', String(columns), '-y', String(rows)]);
    this.columns = columns;
    this.rows = rows;
  }

  private async format(spec: string): Promise<string> {
    return (await this.tmux(['display-message', '-p', '-t', 'main', spec])).trim();
  }

  /** Is the pane showing the alternate screen? */
  async alternateScreen(): Promise<boolean> {
    return (await this.format('#{alternate_on}')) === '1';
  }

  /** The exit of the program if it has ended, else undefined. A signal shows as 128 + its number. */
  async exited(): Promise<Exit | undefined> {
    const text = await readFile(join(this.dir, 'exit'), 'utf8').catch(() => '');
    return /^\d+\n$/.test(text) ? {code: Number(text)} : undefined;
  }

  /** Waits for the program to end. */
  async waitForExit(timeoutMs = 10_000): Promise<Exit> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const exit = await this.exited();
      if (exit) return exit;
      if (Date.now() > deadline)
        throw new Error(`The program did not exit within ${timeoutMs} ms; the screen was:\n${await this.capture()}`);
      await sleep(50);
    }
  }

  /** Ends the session and its server, and removes its temp dir (and the default XDG dirs in it). Safe to call twice. */
  async kill(): Promise<void> {
    if (this.killed) return;
    await this.tmux(['kill-server']).catch(() => {});
    this.cleanupFiles();
  }

  /** Synchronous kill, for process exit. */
  killSync(): void {
    if (this.killed) return;
    // Fails when the server is gone already: nothing to do then.
    execaSync('tmux', ['-L', this.socket, 'kill-server'], {
      env: tmuxEnv(),
      extendEnv: false,
      stdio: 'ignore',
      reject: false,
    });
    this.cleanupFiles();
  }

  private cleanupFiles(): void {
    this.killed = true;
    live.delete(this);
    rmSync(this.dir, {recursive: true, force: true});
    // tmux leaves the socket file behind when its server is killed.
    const uid = process.getuid?.() ?? 0;
    rmSync(join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${uid}`, this.socket), {force: true});
  }
}

/** Is tmux installed? (Tests skip with this reason when it is not.) */
export function tmuxAvailable(): boolean {
  return execaSync('tmux', ['-V'], {stdio: 'ignore', reject: false}).exitCode === 0;
}

/** Starts a session, runs `body`, and always kills the session. */
export async function withTmux<T>(options: TmuxOptions, body: (session: TmuxSession) => Promise<T>): Promise<T> {
  const session = await TmuxSession.start(options);
  try {
    return await body(session);
  } finally {
    await session.kill();
  }
}
