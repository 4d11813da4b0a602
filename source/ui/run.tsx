/**
 * Starting and stopping the TUI in a real terminal. On a TTY it switches to
 * the alternate screen and guarantees the switch back — on quit, on a crash
 * and on SIGINT/SIGTERM/SIGHUP — so the user's shell is never left garbled.
 * Renders at up to 120 fps: held-down keys drop frames at Ink's default 30,
 * and a key pressed just after a frame waits out the rest of Ink's interval
 * (up to 16 ms at 60 fps, beside a copy's ~15 progress frames a second, which
 * throttle.ts caps on their own).
 * Ink 6.8's `incrementalRendering` is left off: on the copy-progress screen it
 * left stale lines behind in tmux (the e2e copy test caught it).
 * Without a terminal it refuses with a hint instead of hanging on a prompt.
 */
import {type ReactElement} from 'react';
import {render} from 'ink';
import {BackhaulError, EXIT} from '../engine/errors.js';
import {statusFromError} from './components/status-line.js';

export const ENTER_ALT_SCREEN = '\u001B[?1049h';
export const LEAVE_ALT_SCREEN = '\u001B[?1049l';

export interface RunOptions {
  readonly stdin?: NodeJS.ReadStream;
  readonly stdout?: NodeJS.WriteStream;
  readonly stderr?: NodeJS.WriteStream;
}

/** Renders `element` full-screen and resolves when the TUI exits; rejects with the error that ended it. */
export async function runTui(element: ReactElement, options: RunOptions = {}): Promise<void> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  if (!stdin.isTTY) {
    throw new BackhaulError(
      'usage',
      'The interactive screens need a terminal, and input is not one.',
      'Run it in a terminal, or use a command such as `backhaul list` in scripts.',
    );
  }
  const fullScreen = stdout.isTTY === true;
  let restored = false;
  const restore = () => {
    if (!fullScreen || restored) return;
    restored = true;
    stdout.write(LEAVE_ALT_SCREEN);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    instance.unmount();
    restore();
    process.kill(process.pid, signal);
  };
  // A bug outside React (a timer, a stream): leave the terminal usable, say it in one line, exit.
  const onCrash = (error: unknown) => {
    instance.unmount();
    restore();
    const status = statusFromError(error);
    (options.stderr ?? process.stderr).write(`backhaul: ${status.message}\n${status.hint ?? ''}\n`);
    process.exit(EXIT.failure);
  };
  if (fullScreen) stdout.write(ENTER_ALT_SCREEN);
  const instance = render(element, {
    stdin,
    stdout,
    stderr: options.stderr ?? process.stderr,
    maxFps: 120,
    exitOnCtrlC: false,
  });
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.once(s, onSignal);
  process.once('exit', restore);
  process.once('uncaughtException', onCrash);
  try {
    await instance.waitUntilExit();
  } finally {
    instance.cleanup();
    restore();
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', restore);
    process.off('uncaughtException', onCrash);
  }
}
