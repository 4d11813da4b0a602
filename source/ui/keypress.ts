/**
 * Turns what Ink's `useInput` hands us — `(input, key)` — into a list of
 * single key presses. Fast typing and pastes arrive as one string ('q\r',
 * '/0004', 'jjj'), so every character becomes its own press, in order; a key
 * is never silently dropped. Pure: no Ink state, testable with plain strings.
 */
import type {Key} from 'ink';

/** One key. `name` is the character for printable keys ('j', 'G', '/'), else a key name. */
export interface KeyPress {
  readonly name: string;
  readonly ctrl: boolean;
  readonly shift: boolean;
  /** Printable text this key would type ('' for special keys). */
  readonly text: string;
}

const press = (name: string, ctrl = false, shift = false, text = ''): KeyPress => ({name, ctrl, shift, text});

/** A key press built by name, e.g. `keyPress('down')`, `keyPress('c', {ctrl: true})`, `keyPress('j')`. */
export function keyPress(name: string, mods: {ctrl?: boolean; shift?: boolean} = {}): KeyPress {
  const printable = [...name].length === 1;
  return press(
    name,
    mods.ctrl ?? false,
    mods.shift ?? false,
    printable && !mods.ctrl ? name : name === 'space' ? ' ' : '',
  );
}

const CSI: Record<string, string> = {
  A: 'up',
  B: 'down',
  C: 'right',
  D: 'left',
  H: 'home',
  F: 'end',
  Z: 'tab',
  '1~': 'home',
  '4~': 'end',
  '7~': 'home',
  '8~': 'end',
  '5~': 'pageup',
  '6~': 'pagedown',
  '3~': 'delete',
};

/** Splits a raw string (as typed or pasted) into key presses. */
export function splitInput(input: string): KeyPress[] {
  const out: KeyPress[] = [];
  const chars = [...input];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\u001B') {
      const m = /^\u001B[[O]([0-9;]*)([A-Za-z~])/.exec(chars.slice(i, i + 12).join(''));
      const name = m ? CSI[m[2] === '~' ? `${m[1]!.split(';')[0]}~` : m[2]!] : undefined;
      if (m && name) {
        out.push(name === 'tab' ? press('tab', false, true) : press(name === 'delete' ? 'backspace' : name));
        i += [...m[0]].length - 1;
      } else out.push(press('escape'));
      continue;
    }
    out.push(charPress(c));
  }
  return out;
}

function charPress(c: string): KeyPress {
  if (c === '\r' || c === '\n') return press('return');
  if (c === '\t') return press('tab');
  if (c === ' ') return press('space', false, false, ' ');
  if (c === '\u007F' || c === '\b') return press('backspace');
  const code = c.codePointAt(0)!;
  if (code < 0x20) return press(String.fromCharCode(code + 96), true);
  if (code < 0xa0 && code >= 0x80) return press('unknown');
  return press(c, false, c !== c.toLowerCase(), c);
}

/** Normalises one `useInput` call. Ink reports the Backspace key (0x7f) as `delete`; both mean backspace here. */
export function keysFrom(input: string, key: Key): KeyPress[] {
  if (key.upArrow) return [press('up', key.ctrl, key.shift)];
  if (key.downArrow) return [press('down', key.ctrl, key.shift)];
  if (key.leftArrow) return [press('left', key.ctrl, key.shift)];
  if (key.rightArrow) return [press('right', key.ctrl, key.shift)];
  if (key.pageUp) return [press('pageup')];
  if (key.pageDown) return [press('pagedown')];
  if (key.home) return [press('home')];
  if (key.end) return [press('end')];
  if (key.return) return [press('return')];
  if (key.tab) return [press('tab', false, key.shift)];
  if (key.backspace || key.delete) return [press('backspace')];
  if (key.escape && input === '') return [press('escape')];
  if (key.ctrl && [...input].length === 1) return [press(input.toLowerCase(), true)];
  if (input === '') return [];
  return splitInput(input);
}
