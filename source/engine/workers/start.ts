/**
 * Starts a worker thread from its own entry module, with its messages typed
 * both ways. Every worker of Backhaul is a real TypeScript module bundled as
 * its own esbuild entry (scripts/bundle.mjs) and found at run time:
 * - in the shipped bundle, dist/<name>.js: beside this code when it is
 *   bundled into cli.js or tui.cjs, one level up when it sits in a chunk in
 *   dist/lib;
 * - from source under tsx (tests, `node --import tsx`), the .ts module itself,
 *   through tsx-boot.mjs: Node 20 passes neither `--import` nor the main
 *   thread's loader hooks on to a worker, so the worker registers tsx itself.
 *
 * Where workers live: the pack worker (verify-worker.ts) is here, beside this
 * module, because it serves more than one domain (a copy's plan and its run)
 * and knows nothing but the repository format; a worker that serves one
 * domain lives in it (agent's chunk and walk workers, copy's run worker) and
 * starts through this module. Workers are a transport: they call the same
 * functions the main thread calls.
 */
import {existsSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import {Worker, type TransferListItem, type WorkerOptions} from 'node:worker_threads';

export interface WorkerEntry {
  /** The bundle's entry name: dist/<bundled>.js. */
  bundled: string;
  /** The TypeScript module, e.g. `new URL('./verify-worker.ts', import.meta.url)`. */
  source: URL;
}

/** A worker thread that takes `To` messages and posts `From` ones (see WorkerPort for its side). */
export class TypedWorker<To, From> extends Worker {
  send(message: To, transfer: readonly TransferListItem[] = []): void {
    this.postMessage(message, transfer as TransferListItem[]);
  }

  receive(listener: (message: From) => void): this {
    return this.on('message', listener);
  }
}

const found = new Map<string, URL | undefined>();

/** dist/<name>.js if this code runs from the bundle. */
function bundledEntry(name: string): URL | undefined {
  if (!found.has(name)) {
    const candidates = [`./${name}.js`, `../${name}.js`].map(path => new URL(path, import.meta.url));
    found.set(
      name,
      candidates.find(url => url.protocol === 'file:' && existsSync(fileURLToPath(url))),
    );
  }
  return found.get(name);
}

export function startWorker<To, From>(entry: WorkerEntry, options: WorkerOptions = {}): TypedWorker<To, From> {
  const bundled = bundledEntry(entry.bundled);
  if (bundled) return new TypedWorker<To, From>(bundled, options);
  const boot = new URL('./tsx-boot.mjs', import.meta.url);
  return new TypedWorker<To, From>(boot, {...options, argv: [...(options.argv ?? []), entry.source.href]});
}
