/**
 * What a screen is: one file under screens/ exporting `defineScreen({...})`,
 * listed once in `SCREENS` (registry.ts). The shell draws the breadcrumbs from
 * `breadcrumb`, the footer and the help from `actions`, and gives the
 * component the space left between header and footer. Kept apart from the
 * registry so screen files can import it without an import cycle.
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

// The registry holds screens of every parameter type; `unknown` would make each push a cast.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export interface Screen<P = any> {
  readonly id: string;
  /** Shown at the right of the header, e.g. 'Restore points'. */
  readonly title: string;
  /** This screen's step in the trail "repo › machine › point". */
  readonly breadcrumb: (params: P) => string;
  /** Keys this screen uses: its footer and its part of the help. The shell adds back, help, quit and the screen keys. */
  readonly actions: readonly ActionId[];
  readonly component: ComponentType<ScreenProps<P>>;
  /** The repository this screen shows, if any: what a screen key opened from here acts on. */
  readonly repo?: (params: P) => string | undefined;
  /**
   * A screen key (keymap.ts SCREEN_KEYS) that opens this screen from any
   * other, and its params for the repository in view (undefined: none is).
   */
  readonly jump?: {readonly action: ActionId; readonly params: (repo: string | undefined) => P};
}

/** Typed identity: lets a screen file declare its params type once. */
export const defineScreen = <P>(screen: Screen<P>): Screen<P> => screen;
