/**
 * Progress for long commands: cli-progress bars on a TTY, a plain line every
 * 10% (or 5 s) when stderr is not a TTY, nothing with --json (the result is
 * printed once at the end). All on stderr, so stdout stays parseable.
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

function ttyProgress(stream: NodeJS.WritableStream): ProgressView {
  const multi = new cliProgress.MultiBar({
    stream, hideCursor: true, clearOnComplete: false, fps: 10, barsize: 30,
    format: ' {label} |{bar}| {percentage}% {doneText}/{totalText} {detail}',
  }, cliProgress.Presets.shades_classic);
  const bars = new Map<string, cliProgress.SingleBar>();
  return {
    update(key, line) {
      const payload = {label: line.label.padEnd(24).slice(0, 24), doneText: amount(line.done, line), totalText: amount(line.total, line), detail: line.detail ?? ''};
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
      stream.write(`${line.label}: ${pct}% (${amount(line.done, line)} of ${amount(line.total, line)})${line.detail ? ' ' + line.detail : ''}\n`);
    },
    log(message) {
      stream.write(message + '\n');
    },
    stop() {},
  };
}
