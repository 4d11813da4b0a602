/**
 * Session statistics, like the reference system's real-time statistics:
 * processed / read / transferred bytes, rate, ETA, and the bottleneck — the
 * stage (source read, hashing, target write, or throttling: held back by a
 * bandwidth limit) the run spent most time in.
 */
import type {CopyStats, Stage} from './events.js';

export class StatsClock {
  private readonly started = performance.now();
  processedBytes = 0;
  readBytes = 0;
  transferredBytes = 0;
  chunks = 0;
  private readonly busy: Record<Stage, number> = {'source read': 0, hashing: 0, 'target write': 0, throttling: 0};

  /** Bytes the run will transfer: set again while a plan still being counted grows. */
  constructor(public totalTransfer: number) {}

  /** Adds the time since `since` (a performance.now() value) to a stage. */
  add(stage: Stage, since: number): void {
    this.busy[stage] += (performance.now() - since) / 1000;
  }

  /** Adds `ms` milliseconds to a stage (time spent held back, as a gate reports it). */
  addMs(stage: Stage, ms: number): void {
    this.busy[stage] += ms / 1000;
  }

  snapshot(): CopyStats {
    const seconds = (performance.now() - this.started) / 1000;
    const stages = Object.entries(this.busy) as [Stage, number][];
    const bottleneck = stages.reduce((a, b) => (b[1] > a[1] ? b : a))[0];
    const transferRate = seconds > 0 ? this.transferredBytes / seconds : 0;
    const left = this.totalTransfer - this.transferredBytes;
    return {
      processedBytes: this.processedBytes,
      readBytes: this.readBytes,
      transferredBytes: this.transferredBytes,
      chunksTransferred: this.chunks,
      seconds,
      rate: seconds > 0 ? this.processedBytes / seconds : 0,
      ...(transferRate > 0 && left >= 0 ? {eta: left / transferRate} : {}),
      busy: {...this.busy},
      bottleneck,
    };
  }
}
