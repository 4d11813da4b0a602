/**
 * What a screen is: one file under screens/ exporting `defineScreen({...})`,
 * listed once in `SCREENS` below. The shell draws the breadcrumbs from
 * `breadcrumb`, the footer and the help from `actions`, and gives the
 * component the space left between header and footer.
 */
import type {ComponentType} from 'react';
import type {ActionId} from '../keymap.js';

export interface ScreenProps<P> {
  readonly params: P;
  /** Cells available to the screen (the terminal's width). */
  readonly width: number;
  /** Lines available to the screen (terminal rows minus header, status line, footer and the spare line). */
  readonly height: number;
  /** True for the top of the stack: only it gets keys; buried screens keep their state but are hidden. */
  readonly active: boolean;
}

export interface Screen<P = any> {
  readonly id: string;
  /** Shown at the right of the header, e.g. 'Restore points'. */
  readonly title: string;
  /** This screen's step in the trail "repo › machine › point". */
  readonly breadcrumb: (params: P) => string;
  /** Keys this screen uses: its footer and its part of the help. The shell adds back, help and quit. */
  readonly actions: readonly ActionId[];
  readonly component: ComponentType<ScreenProps<P>>;
}

/** Typed identity: lets a screen file declare its params type once. */
export const defineScreen = <P>(screen: Screen<P>): Screen<P> => screen;

export type Registry = ReadonlyMap<string, Screen>;

/** A registry from screens; a duplicate id is a programming error and throws at start. */
export function createRegistry(screens: readonly Screen[]): Registry {
  const map = new Map<string, Screen>();
  for (const s of screens) {
    if (map.has(s.id)) throw new Error(`Two screens share the id "${s.id}".`);
    map.set(s.id, s);
  }
  return map;
}

/** Every screen of the TUI. Phase 2 adds one import and one entry per screen file. */
export const SCREENS: readonly Screen[] = [];
