/**
 * The shell's own state as one pure reducer: the screen stack, the help
 * overlay, the status line and at most one dialog. Dialogs carry the
 * callback that answers whoever opened them; calling it is the shell's job
 * (app.tsx), not the reducer's.
 */
import {initialNav, navReducer, type NavAction, type NavState} from './navigation.js';
import type {Status} from './components/status-line.js';
import {
  initialTextInput,
  textInputReducer,
  type TextInputAction,
  type TextInputState,
} from './components/text-input.js';

export interface ConfirmOptions {
  readonly title: string;
  readonly message: string;
  readonly danger?: boolean;
  readonly defaultYes?: boolean;
}

export interface PromptOptions {
  readonly title: string;
  readonly label: string;
  readonly initial?: string;
  readonly placeholder?: string;
  /** Returns a sentence when the text is not acceptable; the prompt stays open and shows it. */
  readonly validate?: (value: string) => string | undefined;
  /** Shows a dot per character typed, never the text (a password). */
  readonly masked?: boolean;
  /** A problem to show from the start (the last try was refused). */
  readonly error?: string;
}

export type Dialog =
  | {readonly kind: 'confirm'; readonly options: ConfirmOptions; readonly answer: (yes: boolean) => void}
  | {
      readonly kind: 'prompt';
      readonly options: PromptOptions;
      readonly input: TextInputState;
      readonly error?: string;
      readonly answer: (value: string | undefined) => void;
    };

export interface ShellState {
  readonly nav: NavState;
  readonly help: boolean;
  /** First line of the help shown (the help scrolls when the terminal is short). */
  readonly helpOffset: number;
  readonly status?: Status;
  readonly dialog?: Dialog;
}

export type ShellAction =
  | {readonly type: 'nav'; readonly action: NavAction}
  | {readonly type: 'help'; readonly open: boolean}
  | {readonly type: 'helpScroll'; readonly by: number; readonly max: number}
  | {readonly type: 'status'; readonly status?: Status}
  | {readonly type: 'dialog'; readonly dialog?: Dialog}
  | {readonly type: 'promptInput'; readonly action: TextInputAction}
  | {readonly type: 'promptError'; readonly error?: string};

export const initialShell = (screen: string, params?: unknown): ShellState => ({
  nav: initialNav(screen, params),
  help: false,
  helpOffset: 0,
});

export function shellReducer(s: ShellState, a: ShellAction): ShellState {
  switch (a.type) {
    case 'nav': {
      const nav = navReducer(s.nav, a.action);
      // A message about the screen you left is noise on the next one.
      return nav === s.nav ? s : {...s, nav, status: undefined, help: false};
    }
    case 'help':
      return s.help === a.open ? s : {...s, help: a.open, helpOffset: 0};
    case 'helpScroll':
      return {...s, helpOffset: Math.max(0, Math.min(a.max, s.helpOffset + a.by))};
    case 'status':
      return {...s, status: a.status};
    case 'dialog':
      return {...s, dialog: a.dialog, help: false};
    case 'promptInput':
      if (s.dialog?.kind !== 'prompt') return s;
      return {...s, dialog: {...s.dialog, input: textInputReducer(s.dialog.input, a.action), error: undefined}};
    case 'promptError':
      return s.dialog?.kind === 'prompt' ? {...s, dialog: {...s.dialog, error: a.error}} : s;
  }
}

export const promptDialog = (options: PromptOptions, answer: (v: string | undefined) => void): Dialog => ({
  kind: 'prompt',
  options,
  input: initialTextInput(options.initial ?? ''),
  ...(options.error ? {error: options.error} : {}),
  answer,
});
