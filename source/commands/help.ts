/**
 * Writes a command's --help from its declarations (options.ts): the usage
 * lines and description as written, then each option section — an aligned
 * column of `--name VALUE` and a wrapped description, to which the option's
 * kind adds what it accepts (range, values, units, repeatable) — then what
 * follows (examples). The parser reads the same declarations, so the help
 * cannot promise an option the parser refuses, or the other way round.
 */
import {UNIT_WORD, type ArgumentDecl, type OptionDecl} from './options.js';

const WIDTH = 80;
const DEFAULT_SECTION = 'Options';

/** What the kind accepts, and the default, after the description: "(1 to 256; default 8)". */
function accepts(d: OptionDecl): string {
  const parts: string[] = [];
  if (d.kind === 'enum') parts.push(`one of: ${d.values.join(', ')}`);
  if (d.kind === 'integer') parts.push(`${d.min} to ${d.max}`);
  if (d.kind === 'duration') parts.push(`a number of ${UNIT_WORD[d.bare]}, or 500ms, 5s, 10m, 2h, 1d`);
  if (d.kind === 'string' && d.repeatable) parts.push('repeatable');
  if (d.default !== undefined) parts.push(`default: ${d.default}`);
  return parts.length > 0 ? `(${parts.join('; ')})` : '';
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

interface Row {
  left: string;
  text: string;
  section: string;
}

function rows(options: readonly OptionDecl[], args: readonly ArgumentDecl[]): Row[] {
  return [
    ...args.map(a => ({left: a.name, text: a.description, section: a.section ?? DEFAULT_SECTION})),
    ...options.map(o => ({
      left: `--${o.name}${o.kind === 'boolean' ? '' : ` ${o.value}`}`,
      text: [o.description, accepts(o)].filter(Boolean).join(' '),
      section: o.section ?? DEFAULT_SECTION,
    })),
  ];
}

/** The option sections of --help, in the order their first row is declared. */
export function optionsHelp(options: readonly OptionDecl[], args: readonly ArgumentDecl[] = []): string {
  const all = rows(options, args);
  const column = Math.max(...all.map(r => r.left.length)) + 4;
  const sections = [...new Set(all.map(r => r.section))];
  return sections
    .map(section => {
      const lines = [`${section}:`];
      for (const r of all.filter(x => x.section === section)) {
        const text = wrap(r.text, Math.max(30, WIDTH - column));
        lines.push(`  ${r.left.padEnd(column - 2)}${text[0] ?? ''}`.trimEnd());
        for (const more of text.slice(1)) lines.push(`${' '.repeat(column)}${more}`);
      }
      return lines.join('\n');
    })
    .join('\n\n');
}

export interface HelpSpec {
  /** "Usage: backhaul NAME ..." (one or more lines). */
  usage: string;
  /** Paragraphs between the usage and the options. */
  description?: string;
  options: readonly OptionDecl[];
  arguments?: readonly ArgumentDecl[];
  /** Paragraphs after the options (examples, exit codes). */
  after?: string;
}

export function commandHelp(spec: HelpSpec): string {
  const parts = [
    spec.usage.trimEnd(),
    spec.description?.trim(),
    spec.options.length > 0 ? optionsHelp(spec.options, spec.arguments) : undefined,
    spec.after?.trim(),
  ];
  return parts.filter((p): p is string => !!p).join('\n\n') + '\n';
}
