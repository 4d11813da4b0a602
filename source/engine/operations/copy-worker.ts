/**
 * The worker-thread side of copy-thread.ts (messages: copy-messages.ts): runs the copy job exactly as the
 * caller's thread would (copy-here.ts runCopyHere: it opens both repositories
 * itself, so their indexes are parsed here), and posts its events, then its
 * outcome or its error, in that order on one port. A `cancel` message aborts
 * the run through its AbortSignal, so cancelling leaves the target exactly as
 * a cancel on the caller's thread does.
 */
import {setPriority} from 'node:os';
import {workerData} from 'node:worker_threads';
import type {CopyEvent} from '../copy/events.js';
import {isBackhaulError} from '../errors.js';
import {runCopyHere} from './copy-here.js';
import type {CopyJob} from './copy-job.js';
import {parentChannel} from '../workers/port.js';
import {withoutChunks, type FromCopyWorker, type ToCopyWorker} from './copy-messages.js';

/** The copy's niceness (0 normal, 19 lowest). */
const COPY_NICE = 10;
const port = parentChannel<ToCopyWorker, FromCopyWorker>();
// A copy started from the TUI shares the cores with the render loop: at a lower
// priority it still gets every cycle the UI leaves idle, but a key's frame no
// longer waits for a time slice behind reading and hashing (on 2 cores the
// copy keeps both busy). Only on Linux, where niceness is per thread (this one
// and the verify workers it starts); elsewhere it would slow the UI as well.
if (process.platform === 'linux') {
  try {
    setPriority(COPY_NICE);
  } catch {
    // Not allowed here: the copy runs at the normal priority.
  }
}
const job = workerData as CopyJob;
const controller = new AbortController();
const post = (message: FromCopyWorker) => port.send(message);
port.receive(m => {
  if (m.type === 'cancel') controller.abort();
});

const crossing = (event: CopyEvent): CopyEvent =>
  event.type === 'copy.start' || event.type === 'copy.plan' ? {...event, plan: withoutChunks(event.plan)} : event;

try {
  const outcome = await runCopyHere(job, {
    signal: controller.signal,
    onEvent: event => post({type: 'event', event: crossing(event)}),
  });
  post({type: 'done', outcome: {plan: withoutChunks(outcome.plan), summary: outcome.summary}});
} catch (e) {
  post({
    type: 'error',
    error: isBackhaulError(e)
      ? {backhaul: true, code: e.code, message: e.message, hint: e.hint}
      : {
          backhaul: false,
          message: e instanceof Error ? e.message : String(e),
          stack: e instanceof Error ? e.stack : undefined,
          code: (e as {code?: unknown})?.code,
        },
  });
} finally {
  // The worker ends once the run's own handles are gone; the host may also terminate it after the last message.
  port.unref();
}
