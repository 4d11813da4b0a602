/**
 * `useStore`: a reducer whose current state can be read synchronously.
 * Ink hands a key handler the closure of an earlier render for a moment after
 * a frame changes (and a paste delivers several keys in one call), so a
 * handler that reads state from its closure acts on stale state — in tmux,
 * Down Down Space Down marked the wrong row. Here every dispatch runs the
 * reducer on the latest state at once and `get()` returns it; React is only
 * told to re-render.
 */
import {useReducer, useRef} from 'react';

export interface Store<S, A> {
  /** The state as of the last dispatch (not as of the last render). */
  get(): S;
  dispatch(action: A): void;
}

/** A store outside React, for tests and for state shared by several hooks. */
export function createStore<S, A>(reducer: (state: S, action: A) => S, initial: S, onChange?: () => void): Store<S, A> {
  let state = initial;
  return {
    get: () => state,
    dispatch(action) {
      const next = reducer(state, action);
      if (Object.is(next, state)) return;
      state = next;
      onChange?.();
    },
  };
}

/** The store of a component; it re-renders after each change. Returns [state, store]. */
export function useStore<S, A>(reducer: (state: S, action: A) => S, initial: S | (() => S)): [S, Store<S, A>] {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const ref = useRef<Store<S, A> | undefined>(undefined);
  if (!ref.current) {
    const first = typeof initial === 'function' ? (initial as () => S)() : initial;
    ref.current = createStore(reducer, first, bump);
  }
  return [ref.current.get(), ref.current];
}
