/**
 * The shape of a non-interactive command. Each declares its options once
 * (options.ts); `cli.tsx` parses and checks the arguments against them,
 * prints `help` (written from the same declarations, help.ts) for --help,
 * and calls `run`. Commands print results to ctx.out, diagnostics to
 * ctx.err, and throw BackhaulError for anything the user can fix.
 */
import {commandHelp, type HelpSpec} from './help.js';
import type {OptionDecl, Values} from './options.js';

export type {Values};

export interface CommandContext {
  out: NodeJS.WritableStream & {isTTY?: boolean};
  err: NodeJS.WritableStream & {isTTY?: boolean};
  /** Aborted on SIGINT/SIGTERM; long work must stop cleanly. */
  signal: AbortSignal;
}

export interface Command {
  /** e.g. "list", or "agent backup" for a sub-command. */
  name: string;
  summary: string;
  /** Full --help text: usage line, description, options, examples. */
  readonly help: string;
  options: readonly OptionDecl[];
  /** Whether positionals are allowed (otherwise extras are a usage error). */
  positionals?: boolean;
  /** Left out of the command lists (`_run`: the process of a detached run, not for people). */
  hidden?: boolean;
  /** `values` as parseOptions gives them: typed and checked against `options`. */
  run(ctx: CommandContext, values: Values, positionals: string[]): Promise<number>;
}

export type CommandSpec = Omit<Command, 'help'> & Omit<HelpSpec, 'options'>;

/** A command whose --help is written from its declarations (when asked for). */
export function defineCommand(spec: CommandSpec): Command {
  let help: string | undefined;
  return {
    name: spec.name,
    summary: spec.summary,
    options: spec.options,
    positionals: spec.positionals,
    hidden: spec.hidden,
    run: spec.run,
    get help() {
      return (help ??= commandHelp(spec));
    },
  };
}

export function str(values: Values, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
export function strs(values: Values, name: string): string[] {
  const v = values[name];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' ? [v] : [];
}
export function flag(values: Values, name: string): boolean {
  return values[name] === true;
}
/** An integer option, or a duration option in milliseconds. */
export function num(values: Values, name: string): number | undefined {
  const v = values[name];
  return typeof v === 'number' ? v : undefined;
}
