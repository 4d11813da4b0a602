/**
 * Retries one remote request with exponential backoff and full jitter
 * (delay = random(0, min(cap, base * 2^n))), the scheme that spreads clients
 * out best when a server throttles them all at once.
 *
 * Guarantees: at most `attempts` calls of `fn`; only errors `isRetryable`
 * accepts are retried, the last error is thrown as is; an aborted signal stops
 * waiting at once and throws the signal's reason. With a `budgetMs`, no try
 * starts unless it could stall for `stallMs` (the caller abandons a try that
 * long without a byte) and still end within the budget: an operation against
 * a server that accepts connections and never answers fails within
 * `budgetMs`, while one try that keeps making progress is never cut short.
 */
export interface RetryPolicy {
  /** Total tries, the first one included. */
  attempts: number;
  baseMs: number;
  capMs: number;
  /** Time for the whole operation, its tries and the waits between them included. */
  budgetMs?: number;
  /** How long the caller lets one try go without a byte before abandoning it. */
  stallMs?: number;
  /** Injectable for tests. */
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = {attempts: 8, baseMs: 100, capMs: 8000, budgetMs: 60_000, stallMs: 20_000};

export interface RetryHooks {
  isRetryable(error: unknown): boolean;
  /** Called before each wait, e.g. to count retries. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  signal?: AbortSignal;
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, {once: true});
  });
}

export function backoffMs(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** retry);
  return Math.floor((policy.random ?? Math.random)() * ceiling);
}

/** `fn` gets the 1-based attempt number, so it can tell a first try from a retry. */
export async function withRetry<T>(
  policy: RetryPolicy,
  hooks: RetryHooks,
  fn: (attempt: number) => Promise<T>,
): Promise<T> {
  const wait = policy.sleep ?? sleep;
  const now = policy.now ?? Date.now;
  const start = now();
  for (let attempt = 1; ; attempt++) {
    if (hooks.signal?.aborted) throw abortReason(hooks.signal);
    try {
      return await fn(attempt);
    } catch (error) {
      if (hooks.signal?.aborted) throw abortReason(hooks.signal);
      if (attempt >= policy.attempts || !hooks.isRetryable(error)) throw error;
      const delay = backoffMs(policy, attempt - 1);
      if (policy.budgetMs !== undefined && now() - start + delay + (policy.stallMs ?? 0) > policy.budgetMs) throw error;
      hooks.onRetry?.(error, attempt, delay);
      await wait(delay, hooks.signal);
    }
  }
}
