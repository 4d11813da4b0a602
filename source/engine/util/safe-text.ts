/**
 * The one door text from outside (names and paths from a repository, reasons,
 * error messages quoting input) goes through before it reaches a terminal:
 * what could drive the terminal or disguise the text is shown, never obeyed.
 * Both faces use it; only the spelling differs:
 * - 'escape' (the CLI, logs): `\n`, `\t`, else `\uXXXX` — plain ASCII that a
 *   reader can copy and that a script sees as it is;
 * - 'picture' (the TUI): C0 controls as their Unicode control pictures
 *   (newline → ␊, ESC → ␛), one cell wide like the character they stand for,
 *   so columns stay aligned; the rest as `\u{…}`.
 * Unsafe: C0 and C1 controls and DEL (escape sequences: a file called
 * "\u001b]0;pwned\u0007" must not retitle the window); line and paragraph
 * separators; bidirectional overrides, isolates and marks ("Trojan Source":
 * "evil\u202etxt.exe" must not show as "evilexe.txt"); lone surrogates; the
 * byte-order mark. Printable text, wide and combining characters included,
 * passes unchanged.
 */

export type SafeTextStyle = 'escape' | 'picture';

/** Whether a code point is shown escaped rather than printed (see the header). */
export function isUnsafeCodePoint(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code < 0xa0) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x061c ||
    (code >= 0xd800 && code <= 0xdfff) ||
    code === 0xfeff
  );
}

const hex4 = (code: number) => code.toString(16).padStart(4, '0');

function escaped(ch: string, code: number): string {
  if (ch === '\n') return '\\n';
  if (ch === '\t') return '\\t';
  return `\\u${hex4(code)}`;
}

function pictured(code: number): string {
  if (code < 0x20) return String.fromCodePoint(0x2400 + code);
  if (code === 0x7f) return '␡';
  return `\\u{${code.toString(16)}}`;
}

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufeff]/u;

export function safeText(text: string, style: SafeTextStyle = 'escape'): string {
  if (!UNSAFE.test(text)) return text; // the common case: nothing to escape, no copy
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (!isUnsafeCodePoint(code)) out += ch;
    else out += style === 'escape' ? escaped(ch, code) : pictured(code);
  }
  return out;
}
