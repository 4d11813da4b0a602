/** What a backup copy job is asked to do and what it returns: the types both its runners share (copy-here.ts, copy-thread.ts). */
import type {CopyPlan} from '../copy/plan.js';
import type {CopySummary} from '../copy/events.js';
import type {Selection} from '../copy/selection.js';

export interface CopyJob {
  /** The repositories as the user named them: a registered name, a path or an s3:// URL. */
  readonly source: string;
  readonly target: string;
  readonly selection: Selection;
  /** Source reads in flight (default: copy/run.ts packsInFlight, 8, or 16 to S3). */
  readonly concurrency?: number;
  /** How long to wait for another writer on the target (default: fail at once). */
  readonly waitMs?: number;
}

export interface CopyOutcome {
  plan: CopyPlan;
  summary: CopySummary;
}
