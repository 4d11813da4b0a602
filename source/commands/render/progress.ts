/**
 * Progress for long commands: cli-progress bars on a TTY, a plain line every
 * 10% (or 5 s) when stderr is not a TTY, nothing with --json (the result is
 * printed once at the end). All on stderr, so stdout stays parseable.
 *
 * On a TTY the terminal's line wrapping is left on: lines logged above the
 * bars (the plan, failures) wrap whole instead of being cut at the right
 * margin. The bars therefore must never be wider than the terminal, so each
 * is laid out for the width it has (`barLine`): the bar shrinks first, then
 * the detail, never the amounts.
 */
import cliProgress from 'cli-progress';
import {formatBytes} from './output.js';

export interface ProgressLine {
  label: string;
  done: number;
  total: number;
  detail?: string;
  /** 'bytes' (default) shows sizes; 'items' shows plain counts. */
  unit?: 'bytes' | 'items';
}

const amount = (n: number, line: ProgressLine) => (line.unit === 'items' ? String(n) : formatBytes(n));

export interface ProgressView {
  update(key: string, line: ProgressLine): void;
  log(message: string): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WritableStream & {isTTY?: boolean}, json: boolean): ProgressView {
  if (json) return {update() {}, log() {}, stop() {}};
  if (stream.isTTY) return ttyProgress(stream);
  return plainProgress(stream);
}

interface BarPayload {
  label: string;
  doneText: string;
  totalText: string;
  detail: string;
}
interface BarOptions {
  barCompleteString?: string;
  barIncompleteString?: string;
}

const MAX_BAR = 30;
const MIN_BAR = 8;

/**
 * One bar's line, at most `width - 1` cells (the last column stays free, so
 * no terminal wraps it): ` label |bar| 42% done/total detail`. The label
 * gets at most a quarter of the width; the bar shrinks to make room for the
 * detail, down to MIN_BAR, and then the detail is cut.
 */
export function barLine(width: number, progress: number, payload: BarPayload, options: BarOptions = {}): string {
  const room = Math.max(30, width) - 1;
  const labelWidth = Math.min(24, Math.max(8, Math.floor(room / 4)));
  const label = cut(payload.label, labelWidth).padEnd(labelWidth);
  const pct = `${Math.floor(Math.max(0, Math.min(1, progress)) * 100)}%`;
  const tail = ` ${pct} ${payload.doneText}/${payload.totalText}`;
  const fixed = 1 + labelWidth + 2 + 1 + tail.length; // ' label |' + '|' + tail
  const detail = payload.detail ? ` ${payload.detail}` : '';
  const size = Math.max(MIN_BAR, Math.min(MAX_BAR, room - fixed - detail.length));
  const filled = Math.round(Math.max(0, Math.min(1, progress)) * size);
  const full = options.barCompleteString ?? '█'.repeat(MAX_BAR);
  const empty = options.barIncompleteString ?? '░'.repeat(MAX_BAR);
  const bar = full.slice(0, filled).padEnd(filled, '█') + empty.slice(0, size - filled).padEnd(size - filled, '░');
  return cut(` ${label} |${bar}|${tail}${cut(detail, Math.max(0, room - fixed - size))}`, room);
}

/** At most `n` characters (the bars' text is ASCII and bar characters, one cell each). */
const cut = (s: string, n: number) => ([...s].length <= n ? s : [...s].slice(0, n).join(''));

function ttyProgress(stream: NodeJS.WritableStream): ProgressView {
  const multi = new cliProgress.MultiBar(
    {
      stream,
      hideCursor: true,
      clearOnComplete: false,
      fps: 10,
      barsize: MAX_BAR,
      // Keep the terminal's own wrapping (cli-progress turns it off by default, which cuts every
      // logged line longer than the terminal: "158 MiBB", "3.21 GiB/3.21 Gi" at 80 columns).
      linewrap: true,
      format: (options, params, payload) =>
        barLine(params.maxWidth, params.progress, payload as BarPayload, options as BarOptions),
    },
    cliProgress.Presets.shades_classic,
  );
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update(key, line) {
      const payload: BarPayload = {
        label: line.label,
        doneText: amount(line.done, line),
        totalText: amount(line.total, line),
        detail: line.detail ?? '',
      };
      let bar = bars.get(key);
      if (!bar) bars.set(key, (bar = multi.create(Math.max(line.total, 1), line.done, payload)));
      bar.setTotal(Math.max(line.total, 1));
      bar.update(line.done, payload);
    },
    log(message) {
      multi.log(message + '\n');
    },
    stop() {
      multi.stop();
    },
  };
}

function plainProgress(stream: NodeJS.WritableStream): ProgressView {
  const last = new Map<string, {pct: number; at: number}>();
  return {
    update(key, line) {
      const pct = line.total > 0 ? Math.floor((line.done / line.total) * 10) * 10 : 0;
      const prev = last.get(key);
      const now = Date.now();
      if (prev && prev.pct === pct && now - prev.at < 5000) return;
      last.set(key, {pct, at: now});
      stream.write(
        `${line.label}: ${pct}% (${amount(line.done, line)} of ${amount(line.total, line)})${line.detail ? ' ' + line.detail : ''}\n`,
      );
    },
    log(message) {
      stream.write(message + '\n');
    },
    stop() {},
  };
}
