/**
 * No command: open the TUI (building the demo workspace first when nothing is
 * registered). A failure to start (no terminal, no repository) is printed as
 * one sentence and a hint with its exit code, like any command's error.
 */
import {listRepositories} from '../engine/jobs/settings.js';
import {printError} from './render/output.js';

/**
 * Ink's layout engine (yoga) decodes its embedded WebAssembly through `fetch`
 * when fetch exists, and Node's first fetch loads its whole HTTP client: about
 * 60 ms of a ~300 ms start-up. Without fetch, yoga decodes the same bytes
 * synchronously. Nothing else runs while the module loads.
 */
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

export async function openTui(argv: string[]): Promise<number> {
  try {
    if (Object.keys(listRepositories()).length === 0 || argv.includes('--demo')) {
      // Loaded only when needed: the demo builder brings the agent and dataset code.
      const {ensureDemo} = await import('./demo.js');
      await ensureDemo(process.stderr, false);
    }
    const {startTui} = await withoutFetch(() => import('../ui/start.js'));
    return await startTui();
  } catch (e) {
    return printError(process.stderr, e);
  }
}
