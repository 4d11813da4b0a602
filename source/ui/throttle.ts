/**
 * Coalescing high-rate updates (a copy emits thousands of progress events a
 * second) into at most ~15 renders a second. Every event is folded into the
 * state at once — none is lost — but React hears about it at most once per
 * interval, and the last change always gets a render (trailing edge).
 */
import {useEffect, useReducer, useRef} from 'react';

export const RENDER_INTERVAL_MS = 66;

export interface Scheduler {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => clearTimeout(h as NodeJS.Timeout),
};

export interface Throttle {
  /** Ask for a render; it happens now if the last one was long enough ago, else once at the end of the interval. */
  request(): void;
  /** Render now if one is pending (e.g. on completion, so the final numbers show). */
  flush(): void;
  cancel(): void;
}

export function createThrottle(
  render: () => void,
  interval = RENDER_INTERVAL_MS,
  clock: Scheduler = realScheduler,
): Throttle {
  let last = -Infinity;
  let timer: unknown;
  const fire = () => {
    timer = undefined;
    last = clock.now();
    render();
  };
  return {
    request() {
      if (timer !== undefined) return;
      const wait = last + interval - clock.now();
      if (wait <= 0) fire();
      else timer = clock.setTimeout(fire, wait);
    },
    flush() {
      if (timer === undefined) return;
      clock.clearTimeout(timer);
      fire();
    },
    cancel() {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}

/**
 * A reducer for event streams: `dispatch` folds each event in immediately
 * (so `get()` is always current), renders are throttled. Returns
 * [state as of the last render, dispatch, get, flush].
 */
export function useThrottledReducer<S, E>(
  reducer: (state: S, event: E) => S,
  initial: S,
  interval = RENDER_INTERVAL_MS,
) {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const state = useRef(initial);
  const throttle = useRef<Throttle | undefined>(undefined);
  throttle.current ??= createThrottle(bump, interval);
  useEffect(() => () => throttle.current?.cancel(), []);
  const api = useRef({
    dispatch(event: E) {
      state.current = reducer(state.current, event);
      throttle.current!.request();
    },
    get: () => state.current,
    flush: () => throttle.current!.flush(),
  });
  return [state.current, api.current.dispatch, api.current.get, api.current.flush] as const;
}
