/**
 * The command line's options, declared once per command: each with its kind
 * (a flag, text, one of some values, a whole number in a range, a duration,
 * an http(s) URL), a value name and a description. The same declarations
 * parse and check the arguments at the edge — a bad value, an unknown or
 * repeated option is a usage error (exit 2) naming the option and the value,
 * with a hint, before any command runs — and write the option sections of
 * --help, so the two cannot drift apart.
 *
 * Parsed values are typed: text as a string, repeatable text as string[],
 * integers as numbers, durations as milliseconds. On every command's path:
 * it imports nothing but errors.ts and small engine helpers (duration.ts, safe-text.ts).
 */
import {usageError} from '../engine/errors.js';
import {parseDuration, UNIT_WORD, type DurationUnit} from '../engine/util/duration.js';
import {safeText} from '../engine/util/safe-text.js';

export {parseDuration, UNIT_WORD, type DurationUnit};

interface Base {
  /** The long name, without the dashes. */
  name: string;
  /** One line of help (wrapped when printed); what the kind adds is appended. */
  description: string;
  /** The --help section it is listed under (default "Options"). */
  section?: string;
  /** What applies when the option is not given, for --help (the command applies it). */
  default?: string;
}

/** What a declaration may add to its kind's: its --help section and default. */
type More = Pick<Base, 'section' | 'default'>;

export type OptionDecl = Base &
  (
    | {kind: 'boolean'}
    | {kind: 'string'; value: string; repeatable?: boolean}
    | {kind: 'enum'; value: string; values: readonly string[]}
    | {kind: 'integer'; value: string; min: number; max: number}
    /** A bare number counts in `bare` units (say so in the value name, e.g. SECONDS). */
    | {kind: 'duration'; value: string; bare: DurationUnit}
    | {kind: 'url'; value: string; example: string}
  );

/** A positional argument, for --help only (commands check their own positionals). */
export interface ArgumentDecl {
  name: string;
  description: string;
  section?: string;
}

export type Values = Record<string, string | boolean | number | (string | boolean)[] | undefined>;

/** Declarations, tersely. */
export const option = {
  flag: (name: string, description: string, more: More = {}): OptionDecl => ({
    kind: 'boolean',
    name,
    description,
    ...more,
  }),
  text: (name: string, value: string, description: string, more: More = {}): OptionDecl => ({
    kind: 'string',
    name,
    value,
    description,
    ...more,
  }),
  texts: (name: string, value: string, description: string, more: More = {}): OptionDecl => ({
    kind: 'string',
    name,
    value,
    description,
    repeatable: true,
    ...more,
  }),
  oneOf: (
    name: string,
    value: string,
    values: readonly string[],
    description: string,
    more: More = {},
  ): OptionDecl => ({kind: 'enum', name, value, values, description, ...more}),
  integer: (
    name: string,
    value: string,
    range: {min: number; max: number},
    description: string,
    more: More = {},
  ): OptionDecl => ({kind: 'integer', name, value, ...range, description, ...more}),
  duration: (name: string, value: string, bare: DurationUnit, description: string, more: More = {}): OptionDecl => ({
    kind: 'duration',
    name,
    value,
    bare,
    description,
    ...more,
  }),
  url: (name: string, value: string, example: string, description: string, more: More = {}): OptionDecl => ({
    kind: 'url',
    name,
    value,
    example,
    description,
    ...more,
  }),
};

/** What a value looks like in a message: quoted, control and bidirectional characters escaped, long values cut. */
function shown(value: string): string {
  const cut = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return safeText(JSON.stringify(cut));
}

function badValue(decl: OptionDecl, what: string, raw: string, hint: string) {
  return usageError(`--${decl.name} must be ${what}, not ${shown(raw)}.`, hint);
}

function alternatives(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

/** Checks one value against its declaration; returns it typed. */
export function convert(decl: OptionDecl, raw: string): string | number {
  switch (decl.kind) {
    case 'boolean':
      throw usageError(`--${decl.name} takes no value, not ${shown(raw)}.`, `Write --${decl.name} alone.`);
    case 'string':
      return raw;
    case 'enum':
      if (!decl.values.includes(raw))
        throw badValue(decl, alternatives(decl.values), raw, `Use one of: ${decl.values.join(', ')}.`);
      return raw;
    case 'integer': {
      const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < decl.min || n > decl.max) {
        throw badValue(
          decl,
          `a whole number from ${decl.min} to ${decl.max}`,
          raw,
          `For example --${decl.name} ${Math.min(Math.max(8, decl.min), decl.max)}.`,
        );
      }
      return n;
    }
    case 'duration': {
      const ms = parseDuration(raw, decl.bare);
      if (ms === undefined)
        throw badValue(
          decl,
          'a duration',
          raw,
          `Write a number of ${UNIT_WORD[decl.bare]}, or one with a unit: 500ms, 5s, 10m, 2h, 1d.`,
        );
      return ms;
    }
    case 'url':
      return checkUrl(decl, raw);
  }
}

function checkUrl(decl: OptionDecl & {kind: 'url'}, raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || !url.hostname) {
    const guess = /^[\w.-]+(:\d+)?(\/.*)?$/.test(raw) ? `http://${raw}` : decl.example;
    throw badValue(decl, 'a URL starting with http:// or https:// and naming a host', raw, `Write it as ${guess}.`);
  }
  return raw;
}

export interface Parsed {
  values: Values;
  positionals: string[];
}

/**
 * Parses `args` (what follows the command's name) against its declarations:
 * `--name value`, `--name=value`, `--flag`, and `--` before positionals that
 * start with a dash. A value that starts with "--" is never taken as an
 * option's value (write --name=--value for that).
 */
export function parseOptions(command: string, declared: readonly OptionDecl[], args: readonly string[]): Parsed {
  const byName = new Map(declared.map(d => [d.name, d]));
  const values: Values = {};
  const positionals: string[] = [];
  const help = `Run \`backhaul ${command} --help\` to see the options.`;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq < 0 ? undefined : eq) : '';
    const decl = byName.get(name);
    if (!decl)
      throw usageError(`Unknown option ${shown(eq < 0 ? arg : arg.slice(0, eq))} for \`backhaul ${command}\`.`, help);
    let raw = eq < 0 ? undefined : arg.slice(eq + 1);
    if (raw === undefined && decl.kind !== 'boolean') {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw usageError(
          `--${name} needs a value (${decl.value}).`,
          `Write --${name} ${decl.value}, or --${name}=VALUE for a value starting with "--".`,
        );
      }
      raw = next;
      i++;
    }
    const value = raw === undefined ? true : convert(decl, raw);
    store(values, decl, value);
  }
  return {values, positionals};
}

function store(values: Values, decl: OptionDecl, value: string | number | boolean): void {
  if (decl.kind === 'string' && decl.repeatable) {
    values[decl.name] = [...((values[decl.name] as string[] | undefined) ?? []), value as string];
    return;
  }
  if (values[decl.name] !== undefined) {
    throw usageError(
      `--${decl.name} is given more than once.`,
      decl.kind === 'boolean' ? `Write --${decl.name} once.` : `Give one ${decl.value}.`,
    );
  }
  values[decl.name] = value;
}
