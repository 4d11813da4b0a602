/**
 * `useAsync`: loads something for a screen (a catalog, a plan) and re-loads
 * when its inputs change or on `reload()`. The last value is kept while a
 * reload runs, so a list keeps its cursor and marks; a result that arrives
 * after the screen is gone, or after newer inputs, is dropped.
 */
import {useCallback, useEffect, useState} from 'react';

export interface Async<T> {
  readonly value?: T;
  readonly error?: unknown;
  readonly loading: boolean;
  reload(): void;
}

export function useAsync<T>(load: () => Promise<T>, deps: readonly unknown[]): Async<T> {
  const [state, setState] = useState<{value?: T; error?: unknown; loading: boolean}>({loading: true});
  const [round, setRound] = useState(0);
  useEffect(() => {
    let live = true;
    setState(s => (s.loading ? s : {...s, loading: true}));
    load().then(
      value => live && setState({value, loading: false}),
      (error: unknown) => live && setState(s => ({value: s.value, error, loading: false})),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  const reload = useCallback(() => setRound(n => n + 1), []);
  return {...state, reload};
}
