/**
 * Loading the TUI's code (Ink, React, the screens) once, started as early as
 * the entry point knows the TUI is wanted, so that reading and compiling it
 * overlaps with the rest of start-up.
 *
 * Ink's layout engine (yoga) decodes its embedded WebAssembly through `fetch`
 * when fetch exists, and Node's first fetch loads its whole HTTP client: about
 * 60 ms of a ~300 ms start-up. Without fetch, yoga decodes the same bytes
 * synchronously; fetch is put back as soon as the module has loaded.
 */
type StartModule = typeof import('./start.js');

let loading: Promise<StartModule> | undefined;

async function withoutFetch<T>(load: () => Promise<T>): Promise<T> {
  const fetch = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (!fetch?.configurable) return load();
  Object.defineProperty(globalThis, 'fetch', {value: undefined, configurable: true, writable: true});
  try {
    return await load();
  } finally {
    Object.defineProperty(globalThis, 'fetch', fetch);
  }
}

export function loadTui(): Promise<StartModule> {
  loading ??= withoutFetch(() => import('./start.js'));
  return loading;
}
