/**
 * The worker's side of a TypedWorker (start.ts): the messages it takes
 * (`In`) and the ones it posts (`Out`), checked by the compiler on both
 * sides through one message module per worker.
 */
import {parentPort, type MessagePort, type TransferListItem} from 'node:worker_threads';

export interface WorkerPort<In, Out> {
  send(message: Out, transfer?: readonly TransferListItem[]): void;
  receive(listener: (message: In) => void): void;
  /** No more messages: the thread ends once the work it started is done. */
  close(): void;
  /** The thread may end while the port is open (nothing more will come). */
  unref(): void;
}

export function parentChannel<In, Out>(): WorkerPort<In, Out> {
  if (!parentPort) throw new Error('This module runs only as a worker thread.');
  const port: MessagePort = parentPort;
  return {
    send: (message, transfer = []) => port.postMessage(message, transfer as TransferListItem[]),
    receive: listener => void port.on('message', listener),
    close: () => port.close(),
    unref: () => port.unref(),
  };
}
