/**
 * A confirm dialog (y/n) and a prompt dialog (one line of text), drawn as a
 * bordered box. The shell opens them through `useShell().confirm/prompt` and
 * gives them every key while they are open. A dangerous question defaults
 * to "no": Enter alone never starts a cancel or a restore by accident.
 */
import React from 'react';
import {Box, Text} from 'ink';
import {matches} from '../keymap.js';
import type {KeyPress} from '../keypress.js';
import {safeText} from '../format.js';
import {wrapText} from '../text.js';
import {useTheme} from '../theme.js';
import {TextInput, type TextInputState} from './text-input.js';

/** The answer a key gives to a y/n question, or undefined if it is not an answer. */
export function confirmKey(k: KeyPress, defaultYes = false): boolean | undefined {
  if (matches('confirm.yes', k) || k.name === 'Y') return true;
  if (matches('confirm.no', k) || k.name === 'N' || (k.ctrl && k.name === 'c')) return false;
  if (k.name === 'return') return defaultYes;
  return undefined;
}

export interface ConfirmProps {
  readonly title: string;
  readonly message: string;
  readonly width: number;
  /** Draws in the error colour and makes Enter mean "no". */
  readonly danger?: boolean;
  readonly defaultYes?: boolean;
}

export function Confirm({title, message, width, danger = false, defaultYes = !danger}: ConfirmProps) {
  const theme = useTheme();
  const style = danger ? theme.error : theme.accent;
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={theme.color ? style.color : undefined}
      paddingX={1}
      width={width}
    >
      <Text {...style}>{safeText(title)}</Text>
      <Text wrap="wrap">{safeText(message)}</Text>
      <Text {...theme.muted}>{defaultYes ? '[Y/n]' : '[y/N]'} y yes · n/Esc no</Text>
    </Box>
  );
}

export interface PromptProps {
  readonly title: string;
  readonly label: string;
  readonly state: TextInputState;
  readonly width: number;
  readonly placeholder?: string;
  /** A problem with the current text (e.g. "The directory does not exist."). */
  readonly error?: string;
  /** A dot per character instead of the text. */
  readonly masked?: boolean;
}

export function Prompt({title, label, state, width, placeholder, error, masked}: PromptProps) {
  const theme = useTheme();
  const inner = Math.max(10, width - 4);
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={theme.color ? theme.accent.color : undefined}
      paddingX={1}
      width={width}
    >
      <Text {...theme.accent}>{safeText(title)}</Text>
      <Text>{safeText(label)}</Text>
      <TextInput state={state} width={inner} placeholder={placeholder} masked={masked} />
      {error ? <Text {...theme.error}>{safeText(error)}</Text> : null}
      <Text {...theme.muted}>Enter ok · Esc cancel</Text>
    </Box>
  );
}

/** Lines a dialog takes (border included), so the shell can give the rest to the screen. */
export const dialogHeight = (kind: 'confirm' | 'prompt', hasError = false, messageLines = 1) =>
  kind === 'confirm' ? 4 + Math.max(1, messageLines) : 6 + (hasError ? 1 : 0);

/** Lines a confirm's message wraps to inside a dialog `width` cells wide (border and padding take 4). */
export const messageLines = (message: string, width: number) =>
  Math.max(1, wrapText(safeText(message), Math.max(1, width - 4)).length);
