/**
 * A one-line text input (a reason for a restore, a destination path): a pure
 * reducer over value + cursor, a key mapping, and a view that shows the
 * cursor as an inverse cell (a '▏' without colour). Pasted text arrives as
 * many keys and is inserted in order. What is shown goes through safeText.
 */
import React from 'react';
import {Text} from 'ink';
import {matches} from '../keymap.js';
import type {KeyPress} from '../keypress.js';
import {safeText} from '../format.js';
import {truncateStart} from '../text.js';
import {useTheme} from '../theme.js';

export interface TextInputState {
  readonly value: string;
  readonly cursor: number;
}

export type TextInputAction =
  | {readonly type: 'insert'; readonly text: string}
  | {readonly type: 'backspace'}
  | {readonly type: 'left'}
  | {readonly type: 'right'}
  | {readonly type: 'home'}
  | {readonly type: 'end'}
  | {readonly type: 'clear'}
  | {readonly type: 'set'; readonly value: string};

export const initialTextInput = (value = ''): TextInputState => ({value, cursor: [...value].length});

export function textInputReducer(s: TextInputState, a: TextInputAction): TextInputState {
  const chars = [...s.value];
  switch (a.type) {
    case 'insert': {
      const add = [...a.text];
      return {
        value: [...chars.slice(0, s.cursor), ...add, ...chars.slice(s.cursor)].join(''),
        cursor: s.cursor + add.length,
      };
    }
    case 'backspace':
      return s.cursor === 0
        ? s
        : {value: [...chars.slice(0, s.cursor - 1), ...chars.slice(s.cursor)].join(''), cursor: s.cursor - 1};
    case 'left':
      return {...s, cursor: Math.max(0, s.cursor - 1)};
    case 'right':
      return {...s, cursor: Math.min(chars.length, s.cursor + 1)};
    case 'home':
      return {...s, cursor: 0};
    case 'end':
      return {...s, cursor: chars.length};
    case 'clear':
      return {value: '', cursor: 0};
    case 'set':
      return initialTextInput(a.value);
  }
}

export type TextInputKey = TextInputAction | {readonly type: 'submit'} | {readonly type: 'cancel'};

/** What a key does in a text input; every key is the input's (undefined: ignore it). */
export function textInputKey(k: KeyPress): TextInputKey | undefined {
  if (matches('input.submit', k)) return {type: 'submit'};
  if (matches('input.cancel', k) || (k.ctrl && k.name === 'c')) return {type: 'cancel'};
  if (k.name === 'backspace') return {type: 'backspace'};
  if (k.name === 'left' || k.name === 'right' || k.name === 'home' || k.name === 'end') return {type: k.name};
  if (k.ctrl && k.name === 'a') return {type: 'home'};
  if (k.ctrl && k.name === 'e') return {type: 'end'};
  if (k.ctrl && k.name === 'u') return {type: 'clear'};
  if (k.text !== '' && !k.ctrl) return {type: 'insert', text: k.text};
  return undefined;
}

export interface TextInputProps {
  readonly state: TextInputState;
  readonly width: number;
  readonly placeholder?: string;
  /** A dot per character: what is typed is never drawn (a password). */
  readonly masked?: boolean;
}

export function TextInput({state, width, placeholder = '', masked = false}: TextInputProps) {
  const theme = useTheme();
  const chars = masked ? [...state.value].map(() => '•') : [...state.value];
  const before = safeText(chars.slice(0, state.cursor).join(''));
  const at = safeText(chars[state.cursor] ?? ' ');
  const after = safeText(chars.slice(state.cursor + 1).join(''));
  if (state.value === '' && placeholder) {
    return (
      <Text>
        <Text inverse={theme.color}>{theme.color ? ' ' : '▏'}</Text>
        <Text {...theme.muted}>{placeholder}</Text>
      </Text>
    );
  }
  const head = truncateStart(before, Math.max(1, width - 2));
  return (
    <Text wrap="truncate">
      {head}
      {theme.color ? <Text inverse>{at}</Text> : <Text>▏{at === ' ' ? '' : at}</Text>}
      {after}
    </Text>
  );
}
