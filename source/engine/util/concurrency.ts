/**
 * Small concurrency helpers: a bounded parallel map, and an ordered prefetch
 * that keeps N reads in flight while the consumer handles results in order.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
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
export async function* prefetch<T, R>(items: readonly T[], window: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
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

/** Lets timers and input run during long CPU work (the TUI stays responsive). */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));
