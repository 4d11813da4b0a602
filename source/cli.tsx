#!/usr/bin/env node
/**
 * Entry point: answers --version at once, parses the command line, runs one
 * command, or (with no command) opens the TUI. Commands and the TUI are
 * imported lazily so the common paths start fast.
 */
import {actingForSudoCaller} from './engine/util/sudo-caller.js';

const VERSION = '0.1.0';
const argv = process.argv.slice(2);

/**
 * What a user may run as root through the sudo rule (README, "Access control"):
 * commands that decide every read and write through the access engine. Others
 * (agent backup, demo, repo add, verify, the TUI) would act with root's rights.
 */
const SUDO_COMMANDS = new Set([
  'list',
  'points',
  'restore',
  'audit',
  'copy',
  'access policy',
  'access grant',
  'access revoke',
]);
const viaSudo = () => actingForSudoCaller();

async function sudoRefused(what: string) {
  const {denied} = await import('./engine/errors.js');
  return denied(
    `${what} cannot be run through sudo: it would act with root's rights, not yours.`,
    'Through sudo, backhaul runs list, points, restore, audit, copy and access. Run other commands as yourself (or as root).',
  );
}

async function main(): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-V') {
    process.stdout.write(`backhaul ${VERSION}\n`);
    return 0;
  }
  if (argv.length === 0 || argv[0] === '--demo') {
    // Neither the command table nor the CLI's printers are loaded on this path (its first frame is timed).
    if (viaSudo()) {
      const {printError} = await import('./commands/render/output.js');
      return printError(process.stderr, await sudoRefused('the terminal UI'));
    }
    const {loadTui} = await import('./boot/load-tui.js');
    const {openTui} = await loadTui();
    return openTui(argv);
  }
  // Handlers first, before the command table loads: a detached run stopped the moment it starts (job stop,
  // x on the progress screen) must still end as cancelled, not be killed half-started and seen as interrupted.
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write(`\nbackhaul: ${signal} received, stopping cleanly (press Ctrl-C again to exit at once)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const {printError} = await import('./commands/render/output.js');
  const {answerNoCommand, findCommand, parseCommandLine, topHelp} = await import('./commands/index.js');
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(topHelp());
    return 0;
  }
  const ctx = {out: process.stdout, err: process.stderr, signal: controller.signal};
  try {
    const found = findCommand(argv);
    if (!found) return answerNoCommand(argv, process.stdout, process.stderr);
    const {command, rest} = found;
    if (viaSudo() && !SUDO_COMMANDS.has(command.name)) throw await sudoRefused(`\`backhaul ${command.name}\``);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(command.help.endsWith('\n') ? command.help : command.help + '\n');
      return 0;
    }
    const parsed = parseCommandLine(command, rest);
    const [{commandPasswords}, {setPasswordRule}] = await Promise.all([
      import('./commands/password.js'),
      import('./engine/workspace/passwords.js'),
    ]);
    setPasswordRule(commandPasswords(parsed.values, {err: process.stderr}));
    return await command.run(ctx, parsed.values, parsed.positionals);
  } catch (e) {
    return printError(process.stderr, e);
  }
}

main().then(
  code => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`backhaul: internal error: ${(e as Error)?.stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
