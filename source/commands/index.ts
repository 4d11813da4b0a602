/** The command registry: `backhaul WORD [WORD] ...` finds its command here; top-level help is made from it. */
import type {Command} from './command.js';
import {accessGrant, accessRevoke} from './access-grant.js';
import {accessPolicy} from './access-policy.js';
import {agentBackup} from './agent-backup.js';
import {audit} from './audit.js';
import {copy} from './copy.js';
import {demo} from './demo.js';
import {list} from './list.js';
import {points} from './points.js';
import {repoAdd, repoList} from './repo.js';
import {restore} from './restore.js';
import {verify} from './verify.js';

export const commands: Command[] = [
  list, points, copy, restore, verify, repoAdd, repoList, agentBackup, demo,
  accessPolicy, accessGrant, accessRevoke, audit,
];

export function findCommand(argv: string[]): {command: Command; rest: string[]} | undefined {
  const words = argv.slice(0, 2);
  for (const n of [2, 1]) {
    const name = words.slice(0, n).join(' ');
    const command = commands.find((c) => c.name === name);
    if (command) return {command, rest: argv.slice(n)};
  }
  return undefined;
}

export function topHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: backhaul [COMMAND] [OPTIONS]',
    '',
    'Browse agent backups, copy them to a secondary repository, restore on users\' behalf.',
    'With no command, opens the terminal UI (on the demo workspace if no repository is registered).',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `backhaul COMMAND --help` for a command\'s options. Exit codes are listed in the README.',
    '',
  ].join('\n');
}
