/**
 * Small concurrency helpers: a bounded parallel map, and an ordered prefetch
 * that keeps N reads in flight while the consumer handles results in order.
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({length: Math.min(limit, items.length)}, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}

/** Yields fn(item) in the order of items, with up to `window` calls running ahead. */
export async function* prefetch<T, R>(
  items: readonly T[],
  window: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const queue: Promise<R>[] = [];
  let next = 0;
  const fill = () => {
    while (queue.length < window && next < items.length) {
      const p = fn(items[next++]!);
      p.catch(() => {}); // handled when its turn comes
      queue.push(p);
    }
  };
  fill();
  while (queue.length > 0) {
    const result = await queue.shift()!;
    fill();
    yield result;
  }
}

/**
 * Like prefetch, over items that arrive while it runs (an async iterator,
 * e.g. an async generator, which answers next() calls in order): yields
 * fn(item) in order, with up to `window` calls running ahead. An item is
 * taken from the source only when a call can start for it, so the source
 * may still change items it has not handed out.
 */
export async function* prefetchFrom<T, R>(
  source: AsyncIterator<T>,
  window: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const queue: Promise<IteratorResult<R, undefined>>[] = [];
  let exhausted = false;
  const pull = () => {
    const p = source.next().then((n): IteratorResult<R, undefined> | Promise<IteratorResult<R, undefined>> => {
      if (n.done) {
        exhausted = true;
        return {value: undefined, done: true};
      }
      return fn(n.value).then(value => ({value, done: false}));
    });
    p.catch(() => {}); // handled when its turn comes
    queue.push(p);
  };
  for (let i = 0; i < Math.max(1, window); i++) pull();
  while (queue.length > 0) {
    const result = await queue.shift()!;
    if (result.done) continue;
    if (!exhausted) pull();
    yield result.value;
  }
}

/** Lets timers and input run during long CPU work (the TUI stays responsive). */
export const yieldToEventLoop = () => new Promise<void>(resolve => setImmediate(resolve));

/**
 * An unbounded producer/consumer queue read as an async iterable (by one or
 * several concurrent readers). `fail` delivers the items already pushed, then
 * the error.
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  private readonly items: T[] = [];
  private readonly waiters: {resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void}[] = [];
  private ended = false;
  private error: {reason: unknown} | undefined;

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({value: item, done: false});
    else this.items.push(item);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const w of this.waiters.splice(0)) w.resolve({value: undefined, done: true});
  }

  fail(reason: unknown): void {
    if (this.ended) return;
    this.error = {reason};
    this.ended = true;
    for (const w of this.waiters.splice(0)) w.reject(reason);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({value: this.items.shift()!, done: false});
    if (this.error) return Promise.reject(this.error.reason);
    if (this.ended) return Promise.resolve({value: undefined, done: true});
    return new Promise((resolve, reject) => this.waiters.push({resolve, reject}));
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {next: () => this.next()};
  }
}

/** Runs fn on every item of an async source, `limit` at a time; all settle before the first error is thrown. */
export async function forEachLimit<T>(
  source: AsyncIterable<T>,
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  const lanes = Array.from({length: limit}, async () => {
    for (;;) {
      const n = await it.next();
      if (n.done) return;
      await fn(n.value);
    }
  });
  const results = await Promise.allSettled(lanes);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}
