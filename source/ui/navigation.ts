/**
 * The screen stack (lazygit/k9s style): Enter pushes a screen, Esc pops it,
 * and only the top screen takes keys. A pure reducer: the root screen is never
 * popped (quitting is `q`, not one Esc too many), and each entry gets a
 * unique `key` so React keeps a screen's state while it is buried and drops
 * it once popped.
 */

export interface ScreenEntry<P = unknown> {
  readonly screen: string;
  readonly params: P;
  readonly key: number;
}

export interface NavState {
  readonly stack: readonly ScreenEntry[];
  readonly nextKey: number;
}

export type NavAction =
  | {readonly type: 'push'; readonly screen: string; readonly params?: unknown}
  | {readonly type: 'pop'}
  | {readonly type: 'replace'; readonly screen: string; readonly params?: unknown}
  | {readonly type: 'reset'; readonly screen: string; readonly params?: unknown}
  | {readonly type: 'popTo'; readonly screen: string};

export function initialNav(screen: string, params?: unknown): NavState {
  return {stack: [{screen, params, key: 0}], nextKey: 1};
}

export function navReducer(state: NavState, action: NavAction): NavState {
  const entry = (screen: string, params: unknown): ScreenEntry => ({screen, params, key: state.nextKey});
  switch (action.type) {
    case 'push':
      return {stack: [...state.stack, entry(action.screen, action.params)], nextKey: state.nextKey + 1};
    case 'pop':
      return state.stack.length <= 1 ? state : {...state, stack: state.stack.slice(0, -1)};
    case 'replace':
      return {stack: [...state.stack.slice(0, -1), entry(action.screen, action.params)], nextKey: state.nextKey + 1};
    case 'reset':
      return {stack: [entry(action.screen, action.params)], nextKey: state.nextKey + 1};
    case 'popTo': {
      let at = state.stack.length - 1;
      while (at >= 0 && state.stack[at]!.screen !== action.screen) at--;
      return at < 0 || at === state.stack.length - 1 ? state : {...state, stack: state.stack.slice(0, at + 1)};
    }
  }
}

export const topOf = (state: NavState): ScreenEntry => state.stack[state.stack.length - 1]!;
export const canPop = (state: NavState) => state.stack.length > 1;
