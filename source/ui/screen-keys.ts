/**
 * The shell's rules for moving between screens, apart from the shell itself
 * (app.tsx): where a screen key (k9s: H, A, R, r) leads from the current
 * stack — its screen for the repository in view, or back to that very screen
 * when it is already in the stack — and which entries a move would drop, so
 * a busy screen (a copy or restore running) is never dropped. Pure: tested
 * through the shell (test/ui/shell-keys.test.tsx).
 */
import {actionFor, SCREEN_KEYS, type ActionId} from './keymap.js';
import type {KeyPress} from './keypress.js';
import type {NavAction, NavState, ScreenEntry} from './navigation.js';
import type {Registry} from './screens/registry.js';

/** The screen keys some screen of the registry answers to. */
export function jumpActions(registry: Registry): ActionId[] {
  return SCREEN_KEYS.filter(action => [...registry.values()].some(screen => screen.jump?.action === action));
}

/** The repository in view: that of the topmost screen showing one. */
export function repoInView(nav: NavState, registry: Registry): string | undefined {
  for (let i = nav.stack.length - 1; i >= 0; i--) {
    const e = nav.stack[i]!;
    const repo = registry.get(e.screen)?.repo?.(e.params as never);
    if (repo !== undefined) return repo;
  }
  return undefined;
}

export type Jump =
  | {readonly kind: 'here'}
  | {readonly kind: 'back'; readonly screen: string}
  | {readonly kind: 'open'; readonly screen: string; readonly params: unknown};

/**
 * Where a screen key leads, or undefined when `k` is none: the screen it
 * opens, for the repository in view; back to it when that very screen (same
 * params) is already in the stack and none of its kind above; nowhere when
 * it is the one on top.
 */
export function jumpTarget(k: KeyPress, nav: NavState, registry: Registry): Jump | undefined {
  const action = actionFor(k, SCREEN_KEYS);
  const screen = action && [...registry.values()].find(s => s.jump?.action === action);
  if (!screen) return undefined;
  const params = screen.jump!.params(repoInView(nav, registry));
  const same = (e: ScreenEntry) =>
    e.screen === screen.id && JSON.stringify(e.params ?? {}) === JSON.stringify(params ?? {});
  let at = nav.stack.length - 1;
  while (at >= 0 && !same(nav.stack[at]!)) at--;
  if (at === nav.stack.length - 1) return {kind: 'here'};
  if (at >= 0 && nav.stack.slice(at + 1).every(e => e.screen !== screen.id)) return {kind: 'back', screen: screen.id};
  return {kind: 'open', screen: screen.id, params};
}

/** The entries a move would drop from the stack. */
export function dropped(nav: NavState, action: NavAction): readonly ScreenEntry[] {
  const {stack} = nav;
  switch (action.type) {
    case 'push':
      return [];
    case 'pop':
      return stack.length > 1 ? stack.slice(-1) : [];
    case 'replace':
      return stack.slice(-1);
    case 'reset':
      return stack;
    case 'popTo': {
      const at = stack.map(e => e.screen).lastIndexOf(action.screen);
      return at < 0 ? [] : stack.slice(at + 1);
    }
  }
}

/** Why entries of the stack may not go (a copy or restore running in one), if they may not. */
export function busyReason(entries: readonly ScreenEntry[], busy: ReadonlyMap<number, string>): string | undefined {
  return entries.map(e => busy.get(e.key)).find(r => r !== undefined);
}
