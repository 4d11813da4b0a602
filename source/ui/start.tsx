/** Temporary face until the TUI screens land: prints the catalog of the default repository. */
import {list} from '../commands/list.js';

export async function startTui(): Promise<number> {
  return list.run({out: process.stdout, err: process.stderr, signal: new AbortController().signal}, {}, []);
}
