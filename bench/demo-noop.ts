/** No-op re-run of a full demo copy: the goal is under a second (process start included). */
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {CLI, printTable, run} from './common.js';

const dir = mkdtempSync(join(tmpdir(), 'bh-noop-'));
const env = {XDG_CONFIG_HOME: join(dir, 'c'), XDG_DATA_HOME: join(dir, 'd')};
const bh = (...args: string[]) => run(process.execPath, [CLI, ...args], env);
bh('demo');
const first = bh('copy', '--from', 'demo-primary', '--to', 'demo-secondary', '--points', 'all', '--json');
const again = bh('copy', '--from', 'demo-primary', '--to', 'demo-secondary', '--points', 'all', '--json');
const version = run(process.execPath, [CLI, '--version']);
printTable('Demo copy', [
  {
    measure: 'demo copy, full (all points)',
    backhaul: first.seconds,
    reference: '-',
    referenceSeconds: 0,
    note: `transferred ${JSON.parse(first.stdout).transferredBytes} bytes`,
  },
  {
    measure: 'demo copy, no-op re-run',
    backhaul: again.seconds,
    reference: 'backhaul --version (process start)',
    referenceSeconds: version.seconds,
    note: `transferred ${JSON.parse(again.stdout).transferredBytes} bytes`,
  },
]);
rmSync(dir, {recursive: true, force: true});
