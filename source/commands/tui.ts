/** No command: open the TUI (building the demo workspace first when nothing is registered). */
import {ensureDemo} from './demo.js';
import {listRepositories} from '../engine/jobs/settings.js';

export async function openTui(argv: string[]): Promise<number> {
  if (Object.keys(listRepositories()).length === 0 || argv.includes('--demo')) await ensureDemo(process.stderr, false);
  const {startTui} = await import('../ui/start.js');
  return startTui();
}
