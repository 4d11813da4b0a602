/**
 * Typed progress events of a copy session. The CLI (bars, plain lines, JSON)
 * and the TUI render the same stream; the engine never prints.
 */
import type {ErrorCode} from '../errors.js';
import type {CopyPlan} from './plan.js';

/** Where a copy spends its time; `throttling`: held back by a bandwidth limit (gate.ts). */
export type Stage = 'source read' | 'hashing' | 'target write' | 'throttling';

export interface CopyStats {
  /** Logical bytes of the points processed so far (as stored, shared disks once per node). */
  processedBytes: number;
  /** Bytes read from the source (stored size of the chunks read). */
  readBytes: number;
  /** Bytes written to the target (new chunks, as packed). */
  transferredBytes: number;
  chunksTransferred: number;
  /** Seconds since the run started. */
  seconds: number;
  /** Processed bytes per second. */
  rate: number;
  /** Seconds left, estimated from transfer progress; undefined at the start. */
  eta?: number;
  /** Seconds spent waiting on each stage; the largest is the bottleneck. */
  busy: Record<Stage, number>;
  bottleneck: Stage;
}

export type CopyEvent =
  | {type: 'copy.start'; plan: CopyPlan}
  /** The plan is complete, its totals final: before the run of a copy planned first, during one that streamed (stream.ts). */
  | {type: 'copy.plan'; plan: CopyPlan}
  | {
      type: 'copy.disk';
      backupId: string;
      machine: string;
      pointId: string;
      node: string;
      disk: string;
      bytesDone: number;
      bytesTotal: number;
      chunksDone: number;
      chunksTotal: number;
    }
  | {
      type: 'copy.point';
      backupId: string;
      machine: string;
      pointId: string;
      status: 'copied' | 'skipped' | 'failed';
      message?: string;
      nodes: string[];
    }
  | {type: 'copy.stats'; stats: CopyStats; totalTransfer: number}
  /**
   * `topic`: 'storage' for a retried or stalled request, 'lock' for the writer lock, 'uploads' for aborted uploads,
   * 'history' for a session the history could not record.
   */
  | {
      type: 'copy.log';
      level: 'info' | 'warning' | 'error';
      message: string;
      topic?: 'storage' | 'lock' | 'uploads' | 'history';
    }
  | {type: 'copy.done'; summary: CopySummary};

export interface CopySummary {
  /**
   * warning: some points failed, the others are on the target (copied now or already there);
   * failed: points failed and the target holds none of the selection (or the run stopped on an error).
   */
  result: 'success' | 'warning' | 'failed' | 'cancelled';
  pointsCopied: number;
  pointsSkipped: number;
  pointsFailed: number;
  /** Each failed point, why, and the kind of failure (the code a run that copied nothing exits with). */
  failed: {backupId: string; pointId: string; machine: string; message: string; code: ErrorCode}[];
  logicalBytes: number;
  readBytes: number;
  transferredBytes: number;
  storedBytes: number;
  seconds: number;
  rate: number;
  bottleneck: Stage;
  startedAt: string;
  endedAt: string;
  /** Requests to either repository that were sent again (S3: throttling, 5xx, resets, stalls). */
  retries: number;
  /** Of those, tries abandoned because the server sent nothing for too long. */
  stalls: number;
  /** What the user was told besides progress: a stale lock taken over, uploads aborted, stalls (retries are counted, not listed). */
  notices: string[];
}

export type CopyListener = (event: CopyEvent) => void;
