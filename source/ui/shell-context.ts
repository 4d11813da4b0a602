/**
 * What a screen may ask of the shell: move through the stack, say something
 * on the status line, ask a question (confirm / prompt), and take keys while
 * it is on top. Screens never call `useInput` themselves: the shell reads
 * each keystroke once, splits pastes into keys, and offers them to the top
 * screen first, then to the global bindings (back, help, quit).
 */
import {createContext, useContext, useEffect} from 'react';
import type {ActionId} from './keymap.js';
import type {KeyPress} from './keypress.js';
import type {Status} from './components/status-line.js';
import type {ConfirmOptions, PromptOptions} from './shell-state.js';

export interface Shell {
  push(screen: string, params?: unknown): void;
  /** Back one screen; nothing happens at the root. */
  pop(): void;
  replace(screen: string, params?: unknown): void;
  reset(screen: string, params?: unknown): void;
  /** Back to the nearest screen with this id. */
  popTo(screen: string): void;
  showStatus(status: Status | undefined): void;
  /** One sentence and a hint on the status line, whatever was thrown. */
  showError(error: unknown): void;
  /** A y/n question; resolves with the answer (Esc and Ctrl-C are "no"). */
  confirm(options: ConfirmOptions): Promise<boolean>;
  /** One line of text; resolves undefined when cancelled. */
  prompt(options: PromptOptions): Promise<string | undefined>;
  quit(): void;
}

/** A screen's key handler: return true when the key was used, so the globals do not see it. */
export type KeyHandler = (k: KeyPress) => boolean | void;

export interface ScreenSlot {
  readonly entryKey: number;
  readonly active: boolean;
  registerKeys(entryKey: number, handler: KeyHandler | undefined): void;
  setFooter(entryKey: number, actions: readonly ActionId[] | undefined): void;
  setBusy(entryKey: number, reason: string | undefined): void;
}

export const ShellContext = createContext<Shell | undefined>(undefined);
export const ScreenSlotContext = createContext<ScreenSlot | undefined>(undefined);

export function useShell(): Shell {
  const shell = useContext(ShellContext);
  if (!shell) throw new Error('useShell() outside the TUI shell.');
  return shell;
}

/**
 * Gives the screen's keys to `handler` while the screen is on top. The latest
 * handler is used for each key, but it should still read state through a
 * store's `get()` (see store.ts): several keys can arrive before a re-render.
 */
export function useScreenKeys(handler: KeyHandler): void {
  const slot = useContext(ScreenSlotContext);
  if (!slot) throw new Error('useScreenKeys() outside a screen.');
  slot.registerKeys(slot.entryKey, handler);
  // Keyed by the stack entry, not the slot object (a new one each render): unregister only when the entry goes.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => () => slot.registerKeys(slot.entryKey, undefined), [slot.entryKey]);
}

/**
 * Replaces the footer while the screen is in a mode (filtering, a pane), e.g.
 * `useFooter(list.state.filtering ? ['filter.accept', 'filter.clear'] : undefined)`.
 * The override is the whole footer: help and quit are not appended.
 */
export function useFooter(actions: readonly ActionId[] | undefined): void {
  const slot = useContext(ScreenSlotContext);
  if (!slot) throw new Error('useFooter() outside a screen.');
  const id = actions?.join(' ');
  useEffect(() => {
    slot.setFooter(slot.entryKey, actions);
    return () => slot.setFooter(slot.entryKey, undefined);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [id, slot.entryKey]);
}

/**
 * Says the screen is busy (a copy or restore runs in it): while `reason` is
 * set, the shell refuses any move that would drop the screen from the stack
 * (a repository switch, Esc from above it) and a quit from a screen above it,
 * showing `reason` instead.
 */
export function useBusy(reason: string | undefined): void {
  const slot = useContext(ScreenSlotContext);
  if (!slot) throw new Error('useBusy() outside a screen.');
  // Set during render: a key that arrives before the effects run must already see it.
  slot.setBusy(slot.entryKey, reason);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- keyed by the stack entry, as in useScreenKeys
  useEffect(() => () => slot.setBusy(slot.entryKey, undefined), [slot.entryKey]);
}
