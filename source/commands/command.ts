/**
 * The shape of a non-interactive command. `cli.tsx` parses the arguments with
 * node:util parseArgs using `options`, prints `help` for --help, and calls
 * `run`. Commands print results to ctx.out, diagnostics to ctx.err, and
 * throw BackhaulError for anything the user can fix.
 */
import type {ParseArgsConfig} from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

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
  help: string;
  options: OptionSpec;
  /** Whether positionals are allowed (otherwise extras are a usage error). */
  positionals?: boolean;
  run(ctx: CommandContext, values: Values, positionals: string[]): Promise<number>;
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
