/**
 * A string-keyed memo that forgets everything once it holds `limit` entries:
 * no bookkeeping per hit, and the next frame refills what is still on screen.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}

  get(key: string, make: (key: string) => V): V {
    let value = this.map.get(key);
    if (value === undefined) {
      value = make(key);
      if (this.map.size >= this.limit) this.map.clear();
      this.map.set(key, value);
    }
    return value;
  }
}

/** `fn` memoized on its one string argument. */
export function memoize<V>(fn: (text: string) => V, limit: number): (text: string) => V {
  const cache = new BoundedCache<V>(limit);
  return text => cache.get(text, fn);
}
