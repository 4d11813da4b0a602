/**
 * No command: open the TUI (building the demo workspace first when nothing is
 * registered). A failure to start (no terminal, no repository) is printed as
 * one sentence and a hint with its exit code, like any command's error.
 */
import {listRepositories} from '../engine/workspace/registry.js';
import {startTui} from '../ui/start.js';
import {printError} from './render/output.js';

export async function openTui(argv: string[]): Promise<number> {
  try {
    if (Object.keys(listRepositories()).length === 0 || argv.includes('--demo')) {
      // Loaded only when needed: the demo builder brings the agent and dataset code.
      const {ensureDemo} = await import('./demo.js');
      await ensureDemo(process.stderr, false);
    }
    return await startTui();
  } catch (e) {
    return printError(process.stderr, e);
  }
}
