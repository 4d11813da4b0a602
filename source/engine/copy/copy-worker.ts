/**
 * The worker-thread side of worker-host.ts: opens both repositories itself
 * (their indexes are parsed here, not on the caller's thread), runs the same
 * runCopy, and posts its events, then its summary or its error, in that order
 * on one port. A `cancel` message aborts the run through its AbortSignal, so
 * cancelling leaves the target exactly as a cancel on the main thread does.
 * `copy.start` is posted without its plan: the host already holds it.
 */
import {setPriority} from 'node:os';
import {parentPort, workerData} from 'node:worker_threads';
import {isBackhaulError} from '../errors.js';
import {resolveRepository} from '../repository/open.js';
import {runCopy} from './run.js';
import type {FromWorker, ToWorker, WorkerInput} from './worker-host.js';

/** The copy's niceness (0 normal, 19 lowest). */
const COPY_NICE = 10;
const port = parentPort!;
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
const input = workerData as WorkerInput;
const controller = new AbortController();
const post = (message: FromWorker) => port.postMessage(message);
port.on('message', (m: ToWorker) => {
  if (m.type === 'cancel') controller.abort();
});

try {
  const [source, target] = await Promise.all([resolveRepository(input.source), resolveRepository(input.target)]);
  const summary = await runCopy(source, target, input.plan, {
    ...input.options, signal: controller.signal,
    onEvent: (event) => post({type: 'event', event: event.type === 'copy.start' ? {type: 'copy.start'} : event}),
  });
  post({type: 'done', summary});
} catch (e) {
  post({type: 'error', error: isBackhaulError(e)
    ? {backhaul: true, code: e.code, message: e.message, hint: e.hint}
    : {backhaul: false, message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined, code: (e as {code?: unknown})?.code}});
} finally {
  // The worker ends once the run's own handles are gone; the host may also terminate it after the last message.
  port.unref();
}
