/**
 * A program on a real pseudo-terminal, for timing what a person would see:
 * util-linux `script` allocates the pty (node-pty is not installed), `stty`
 * gives it a size, and every chunk the program writes arrives here stamped
 * with performance.now(). Keys go in through script's stdin, so a key's
 * latency is measured from our write to the first output that reflects it,
 * without a tmux client's start-up in between.
 */
import {spawn, type ChildProcess} from 'node:child_process';
import {performance} from 'node:perf_hooks';

export interface Chunk {
  readonly t: number;
  readonly data: string;
}

export interface PtyOptions {
  readonly columns?: number;
  readonly rows?: number;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
}

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

const SYNC_START = '\u001B[?2026h';
const SYNC_END = '\u001B[?2026l';

export class Pty {
  readonly chunks: Chunk[] = [];
  /** Whole frames: Ink wraps each one in synchronized-output marks (?2026h … ?2026l); stamped when the last byte came. */
  readonly frames: Chunk[] = [];
  private pending = '';
  /** Everything written so far. */
  text = '';
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private listeners = new Set<() => void>();

  /** performance.now() just before the spawn. */
  readonly startedAt: number;

  /** Starts `argv` on a pty of the given size. */
  constructor(argv: readonly string[], options: PtyOptions = {}) {
    const env: NodeJS.ProcessEnv = {...process.env, TERM: 'xterm-256color', LC_ALL: 'C.UTF-8', ...options.env};
    delete env.CI; // with CI set, Ink draws nothing until exit
    for (const [k, v] of Object.entries(options.env ?? {})) if (v === undefined) delete env[k];
    // BENCH_NICE (root only for negative values) lets a measurement on a busy machine come closer to an idle one.
    const nice = process.env.BENCH_NICE ? `exec nice -n ${Number(process.env.BENCH_NICE)} ` : 'exec ';
    const line = `stty cols ${options.columns ?? 120} rows ${options.rows ?? 40}; ${nice}${argv.map(quote).join(' ')}`;
    this.startedAt = performance.now();
    this.child = spawn('script', ['-q', '-e', '-c', line, '/dev/null'], {
      env,
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    this.child.stdout!.setEncoding('utf8').on('data', (data: string) => {
      const t = performance.now();
      this.chunks.push({t, data});
      this.text += data;
      this.pending += data;
      for (let end = this.pending.indexOf(SYNC_END); end >= 0; end = this.pending.indexOf(SYNC_END)) {
        const frame = this.pending.slice(0, end);
        const start = frame.lastIndexOf(SYNC_START);
        this.frames.push({t, data: start >= 0 ? frame.slice(start + SYNC_START.length) : frame});
        this.pending = this.pending.slice(end + SYNC_END.length);
      }
      for (const l of this.listeners) l();
    });
    this.exited = new Promise(resolve => this.child.on('exit', code => resolve(code)));
  }

  /** Writes input; returns when it was handed to the pty. */
  write(input: string): number {
    const t = performance.now();
    this.child.stdin!.write(input);
    return t;
  }

  /** Resolves with the time of the chunk after which `test(all output so far)` first holds. */
  waitFor(test: (text: string) => boolean, timeoutMs = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!test(this.text)) return false;
        this.listeners.delete(check);
        clearTimeout(timer);
        resolve(this.chunks.at(-1)?.t ?? performance.now());
        return true;
      };
      const timer = setTimeout(() => {
        this.listeners.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms; last output: ${JSON.stringify(this.text.slice(-600))}`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  /** Resolves with the time of the first whole frame (from now on, or the latest one) for which `test(frame)` holds. */
  waitForFrame(test: (frame: string) => boolean, timeoutMs = 30_000): Promise<number> {
    let seen = Math.max(0, this.frames.length - 1);
    return this.waitFor(() => {
      for (; seen < this.frames.length; seen++) if (test(this.frames[seen]!.data)) return true;
      return false;
    }, timeoutMs).then(() => this.frames[seen]!.t);
  }

  /** Resolves once no output came for `quietMs` (or after `maxMs`). */
  async settle(quietMs = 1000, maxMs = 60_000): Promise<void> {
    const end = performance.now() + maxMs;
    while (performance.now() < end) {
      const last = this.chunks.at(-1)?.t ?? 0;
      if (performance.now() - last >= quietMs) return;
      await sleep(Math.max(20, quietMs - (performance.now() - last)));
    }
  }

  /** The newest whole frame. */
  lastFrame(): string {
    return this.frames.at(-1)?.data ?? '';
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}

export const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
