/**
 * The command registry: `backhaul WORD [WORD] ...` finds its command here;
 * the top-level help, and that of a group of sub-commands (`backhaul repo`),
 * are made from it.
 */
import {usageError} from '../engine/errors.js';
import type {Command} from './command.js';
import {parseOptions, type Parsed} from './options.js';
import {accessGrant, accessRevoke} from './access-grant.js';
import {accessPolicy} from './access-policy.js';
import {agentBackup} from './agent-backup.js';
import {audit} from './audit.js';
import {copy} from './copy.js';
import {demo} from './demo.js';
import {exploreImageCommand, exploreMailCommand, exploreSqliteCommand} from './explore.js';
import {list} from './list.js';
import {points} from './points.js';
import {repoAdd, repoList, repoRemove} from './repo.js';
import {repoCompactIndex, repoRebuildCatalog, repoUpgrade} from './repo-format.js';
import {repoKeyAdd, repoKeyList, repoKeyRemove, repoPasswd} from './repo-keys.js';
import {restore} from './restore.js';
import {forget, prune} from './retention.js';
import {verify} from './verify.js';
import {jobAdd, jobDisable, jobEdit, jobEnable, jobList, jobRemove, jobShow} from './job.js';
import {jobHistoryCommand, jobRun, jobStatus, jobStop} from './job-runs.js';
import {attach} from './attach.js';
import {runInternal, service, serviceInstall} from './service.js';

export const commands: Command[] = [
  list,
  points,
  copy,
  restore,
  verify,
  forget,
  prune,
  repoAdd,
  repoList,
  repoRemove,
  repoUpgrade,
  repoRebuildCatalog,
  repoCompactIndex,
  repoPasswd,
  repoKeyList,
  repoKeyAdd,
  repoKeyRemove,
  agentBackup,
  demo,
  jobAdd,
  jobEdit,
  jobRemove,
  jobList,
  jobShow,
  jobEnable,
  jobDisable,
  jobRun,
  jobStop,
  jobStatus,
  jobHistoryCommand,
  attach,
  service,
  serviceInstall,
  runInternal,
  accessPolicy,
  accessGrant,
  accessRevoke,
  audit,
  exploreImageCommand,
  exploreSqliteCommand,
  exploreMailCommand,
];

export function findCommand(argv: string[]): {command: Command; rest: string[]} | undefined {
  const words = argv.slice(0, 3);
  for (const n of [3, 2, 1]) {
    const name = words.slice(0, n).join(' ');
    const command = commands.find(c => c.name === name);
    if (command) return {command, rest: argv.slice(n)};
  }
  return undefined;
}

/** The command's options and positionals, checked against its declarations (a usage error otherwise). */
export function parseCommandLine(command: Command, rest: string[]): Parsed {
  const parsed = parseOptions(command.name, command.options, rest);
  if (!command.positionals && parsed.positionals.length > 0) {
    throw usageError(
      `Unexpected argument ${JSON.stringify(parsed.positionals[0]!.slice(0, 60))} for \`backhaul ${command.name}\`.`,
      `Run \`backhaul ${command.name} --help\`.`,
    );
  }
  return parsed;
}

/**
 * What `backhaul WORDS` answers when WORDS name no command: the first word
 * of a group with --help prints the group's commands (exit 0); alone, the
 * same on stderr and a usage error; anything else is an unknown command.
 */
export function answerNoCommand(argv: string[], out: NodeJS.WritableStream, err: NodeJS.WritableStream): number {
  const [word, next] = argv;
  const group = groupOf(word);
  if (group.length > 0 && (next === undefined || next.startsWith('-'))) {
    if (next === '--help' || next === '-h') {
      out.write(groupHelp(word!));
      return 0;
    }
    err.write(groupHelp(word!) + '\n');
    throw usageError(
      `\`backhaul ${word}\` needs a command.`,
      `Name one of the commands above, e.g. \`backhaul ${group[0]!.name}\`.`,
    );
  }
  const asked = argv
    .filter(a => !a.startsWith('-'))
    .slice(0, 2)
    .join(' ');
  throw usageError(
    `Unknown command ${JSON.stringify(asked.slice(0, 60))}.`,
    group.length > 0
      ? `\`backhaul ${word}\` has: ${group.map(c => c.name.slice(word!.length + 1)).join(', ')}; run \`backhaul ${word} --help\`.`
      : 'Run `backhaul --help` to see the commands.',
  );
}

/** The sub-commands of a group (`repo` → repo add, repo list, ...); empty when `word` names no group. */
export function groupOf(word: string | undefined): Command[] {
  return word ? commands.filter(c => c.name.startsWith(`${word} `)) : [];
}

function commandList(all: Command[]): string[] {
  const list = all.filter(c => !c.hidden);
  const width = Math.max(...list.map(c => c.name.length));
  return list.map(c => `  ${c.name.padEnd(width)}  ${c.summary}`);
}

/** `backhaul repo --help`: the group's sub-commands with their summaries. */
export function groupHelp(word: string): string {
  return [
    `Usage: backhaul ${word} COMMAND [OPTIONS]`,
    '',
    'Commands:',
    ...commandList(groupOf(word)),
    '',
    `Run \`backhaul ${word} COMMAND --help\` for a command's options.`,
    '',
  ].join('\n');
}

export function topHelp(): string {
  return [
    'Usage: backhaul [COMMAND] [OPTIONS]',
    '',
    "Browse agent backups, copy them to a secondary repository, restore on users' behalf.",
    'With no command, opens the terminal UI (on the demo workspace if no repository is registered).',
    '',
    'Commands:',
    ...commandList(commands),
    '',
    "Run `backhaul COMMAND --help` for a command's options. Exit codes are listed in the README.",
    '',
  ].join('\n');
}
