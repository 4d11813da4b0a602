/**
 * A job's pre- and post-scripts: shell commands (/bin/sh -c, via execa) run
 * before and after each copy, with their output (stdout and stderr, in the
 * order written) kept for the run's log. Each runs in its own process group
 * with stdin /dev/null; at its timeout — or when the run is stopped — the
 * whole group is killed (SIGTERM, then SIGKILL 2 s later), so a script that
 * hangs, or leaves a child behind holding its output, cannot hold the run.
 * The script sees BACKHAUL_JOB, BACKHAUL_RUN_ID, BACKHAUL_PHASE (pre|post)
 * and, after the copy, BACKHAUL_RESULT.
 */
import {execa} from 'execa';

export interface ScriptResult {
  ok: boolean;
  /** The exit code; undefined when it was killed. */
  exitCode?: number;
  timedOut: boolean;
  /** Its output, one line each (the last 200). */
  output: string[];
  /** One sentence: how it ended. */
  describe: string;
}

export interface ScriptOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  env?: Record<string, string>;
}

const MAX_LINES = 200;
const KILL_GRACE_MS = 2000;

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export async function runScript(command: string, options: ScriptOptions): Promise<ScriptResult> {
  const child = execa(command, {
    shell: true,
    all: true,
    reject: false,
    detached: true,
    stdin: 'ignore',
    env: options.env,
    stripFinalNewline: true,
  });
  let timedOut = false;
  let stopped = false;
  const end = (why: 'timeout' | 'stop') => {
    timedOut ||= why === 'timeout';
    stopped ||= why === 'stop';
    killGroup(child.pid, 'SIGTERM');
    setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS).unref();
  };
  const timer = setTimeout(() => end('timeout'), options.timeoutMs);
  const onAbort = () => end('stop');
  options.signal?.addEventListener('abort', onAbort, {once: true});
  try {
    const r = await child;
    const output = (r.all ?? '')
      .split('\n')
      .filter((l, i, a) => l !== '' || i < a.length - 1)
      .slice(-MAX_LINES);
    const ok = !timedOut && !stopped && r.exitCode === 0;
    const describe = timedOut
      ? `was killed at its timeout (${Math.round(options.timeoutMs / 1000)} s)`
      : stopped
        ? 'was stopped with the run'
        : r.exitCode === 0
          ? 'succeeded'
          : r.exitCode !== undefined
            ? `failed with exit code ${r.exitCode}`
            : `was killed by ${r.signal ?? 'a signal'}`;
    return {ok, exitCode: r.exitCode, timedOut, output, describe};
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
