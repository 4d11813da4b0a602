/**
 * The TUI shell: header (breadcrumbs and the screen's title), the screen
 * stack (only the top one shown and given keys), a dialog when one is open,
 * the status line, and a footer generated from the keymap. It reads every
 * keystroke once and routes it: dialog, then help, then the top screen, then
 * the global bindings, then the screen keys (k9s: J, H, A, R and r open their
 * screen from any other, for the repository in view). A screen that is busy
 * (a running copy or restore) is never dropped from the stack by a move
 * elsewhere, nor by quitting from a screen above it: the shell says why
 * instead. State lives in a synchronous store, so a paste of several keys
 * acts on each key's true state. The frame is at most rows-1 lines tall and
 * follows resizes. Encrypted repositories' passwords are asked in the
 * dialog (passwords.ts).
 */
import React, {memo, useMemo, useRef, useState, type ComponentType} from 'react';
import {Box, Text, useApp, useInput, useStdin} from 'ink';
import {actionFor, GLOBAL_ACTIONS, matches, type ActionId} from './keymap.js';
import {keysFrom, type KeyPress} from './keypress.js';
import {canPop, topOf, type NavAction} from './navigation.js';
import {busyReason, dropped, jumpActions, jumpTarget} from './screen-keys.js';
import {useStore} from './store.js';
import {useTerminalSize, type TerminalSize} from './terminal-size.js';
import {ThemeContext, themeFor, type Theme} from './theme.js';
import {initialShell, promptDialog, shellReducer, type ShellAction, type ShellState} from './shell-state.js';
import {ScreenSlotContext, ShellContext, type KeyHandler, type ScreenSlot, type Shell} from './shell-context.js';
import type {Registry} from './screens/registry.js';
import type {ScreenProps} from './screens/screen.js';
import {Breadcrumbs} from './components/breadcrumbs.js';
import {Footer} from './components/footer.js';
import {HelpOverlay, helpOverflow} from './components/help-overlay.js';
import {Confirm, confirmKey, dialogHeight, messageLines, Prompt} from './components/modal.js';
import {statusFromError, StatusLine} from './components/status-line.js';
import {textInputKey} from './components/text-input.js';
import {ScreenBoundary} from './screen-boundary.js';
import type {Store} from './store.js';
import {setPasswordRule} from '../engine/workspace/passwords.js';
import {tuiPasswordRule} from './passwords.js';

export interface AppProps {
  readonly registry: Registry;
  readonly initial: {readonly screen: string; readonly params?: unknown};
  /** Default: colours unless NO_COLOR is set. */
  readonly theme?: Theme;
  /** Fixes the size (tests); otherwise the terminal's, following resizes. */
  readonly size?: Partial<TerminalSize>;
  /** Called on `q`; default: Ink's exit(). */
  readonly onQuit?: () => void;
}

/** Lines of the frame that are not the screen: header, status line, footer. */
export const SHELL_CHROME = 3;

export function App({registry, initial, theme, size, onQuit}: AppProps) {
  const {exit} = useApp();
  const {isRawModeSupported} = useStdin();
  const {columns, rows} = useTerminalSize(size);
  const [state, store] = useStore(shellReducer, () => initialShell(initial.screen, initial.params));
  const handlers = useRef(new Map<number, KeyHandler>());
  const busy = useRef(new Map<number, string>());
  const [footers, setFooters] = useState<ReadonlyMap<number, readonly ActionId[]>>(new Map());
  const quitting = useRef(false);
  const shell = useMemo(() => {
    const made = makeShell(store, busy.current, () => {
      quitting.current = true;
      (onQuit ?? exit)();
    });
    // Here, not in an effect: the screens' first loads (their effects run before this component's) may open an encrypted repository.
    setPasswordRule(tuiPasswordRule(made.prompt));
    return made;
  }, [store, onQuit, exit]);
  const slots = useRef(new Map<number, ScreenSlot>());
  const helpMax = useRef(0);

  useInput(
    (input, key) => {
      for (const k of keysFrom(input, key)) {
        if (quitting.current) return;
        routeKey(k, {
          store,
          shell,
          handlers: handlers.current,
          busy: busy.current,
          registry,
          helpMax: () => helpMax.current,
        });
      }
    },
    {isActive: isRawModeSupported === true},
  );

  const top = topOf(state.nav);
  const topScreen = registry.get(top.screen);
  const dialogWidth = Math.min(columns, 72);
  const dialogLines = !state.dialog
    ? 0
    : state.dialog.kind === 'confirm'
      ? dialogHeight('confirm', false, messageLines(state.dialog.options.message, dialogWidth))
      : dialogHeight('prompt', Boolean(state.dialog.error));
  const bodyHeight = Math.max(1, rows - 1 - SHELL_CHROME - dialogLines);
  const helpActions = [...new Set([...(topScreen?.actions ?? []), ...GLOBAL_ACTIONS, ...jumpActions(registry)])];
  helpMax.current = helpOverflow(helpActions, columns, bodyHeight);
  const footerActions = footerFor(state, topScreen?.actions ?? [], footers.get(top.key));
  const title = topScreen?.title ?? '';
  const trail = state.nav.stack.map(e => registry.get(e.screen)?.breadcrumb(e.params as never) ?? e.screen);
  const slotFor = (entryKey: number, active: boolean): ScreenSlot => {
    const cached = slots.current.get(entryKey);
    if (cached?.active === active) return cached;
    const slot: ScreenSlot = {
      entryKey,
      active,
      registerKeys: (k, h) => (h ? handlers.current.set(k, h) : handlers.current.delete(k)),
      setBusy: (k, reason) => (reason ? busy.current.set(k, reason) : busy.current.delete(k)),
      setFooter: (k, actions) =>
        setFooters(m => {
          const next = new Map(m);
          if (actions) next.set(k, actions);
          else next.delete(k);
          return next;
        }),
    };
    slots.current.set(entryKey, slot);
    return slot;
  };

  return (
    <ThemeContext.Provider value={theme ?? themeFor()}>
      <ShellContext.Provider value={shell}>
        <Box flexDirection="column" width={columns} height={rows - 1}>
          <Box justifyContent="space-between" width={columns}>
            <Breadcrumbs parts={trail} width={Math.max(10, columns - title.length - 2)} />
            <Text>{title}</Text>
          </Box>
          {state.help ? (
            <HelpOverlay actions={helpActions} width={columns} height={bodyHeight} offset={state.helpOffset} />
          ) : null}
          {state.nav.stack.map(entry => {
            const screen = registry.get(entry.screen);
            const active = entry === top;
            const Component = screen?.component;
            return (
              <Box
                key={entry.key}
                display={active && !state.help ? 'flex' : 'none'}
                height={bodyHeight}
                flexDirection="column"
                overflow="hidden"
              >
                <ScreenBody
                  component={Component}
                  name={entry.screen}
                  params={entry.params}
                  slot={slotFor(entry.key, active)}
                  width={columns}
                  height={bodyHeight}
                  active={active}
                />
              </Box>
            );
          })}
          {state.dialog?.kind === 'confirm' ? (
            <Confirm {...state.dialog.options} width={dialogWidth} />
          ) : state.dialog?.kind === 'prompt' ? (
            <Prompt
              {...state.dialog.options}
              state={state.dialog.input}
              error={state.dialog.error}
              masked={state.dialog.options.masked}
              width={dialogWidth}
            />
          ) : null}
          <StatusLine status={state.status} width={columns} />
          <Footer actions={footerActions.actions} globals={footerActions.globals} width={columns} />
        </Box>
      </ShellContext.Provider>
    </ThemeContext.Provider>
  );
}

interface ScreenBodyProps {
  readonly component: ComponentType<ScreenProps<unknown>> | undefined;
  readonly name: string;
  readonly params: unknown;
  readonly slot: ScreenSlot;
  readonly width: number;
  readonly height: number;
  readonly active: boolean;
}

/**
 * One screen of the stack. Memoized: a change of the shell alone (help
 * toggled, status line, dialog, footer) re-renders no screen, so a key that
 * only touches the shell costs one small render even while a busy screen
 * (a running copy) or a long stack sits below.
 */
const ScreenBody = memo(function ScreenBody({
  component: Component,
  name,
  params,
  slot,
  width,
  height,
  active,
}: ScreenBodyProps) {
  return (
    <ScreenSlotContext.Provider value={slot}>
      <ScreenBoundary width={width}>
        {Component ? (
          <Component params={params} width={width} height={height} active={active} />
        ) : (
          <Text>No screen called "{name}".</Text>
        )}
      </ScreenBoundary>
    </ScreenSlotContext.Provider>
  );
});

function footerFor(s: ShellState, screenActions: readonly ActionId[], override?: readonly ActionId[]) {
  if (s.dialog?.kind === 'confirm') return {actions: ['confirm.yes', 'confirm.no'] as ActionId[], globals: []};
  if (s.dialog?.kind === 'prompt') return {actions: ['input.submit', 'input.cancel'] as ActionId[], globals: []};
  if (s.help) return {actions: ['help.toggle'] as ActionId[], globals: []};
  if (override) return {actions: override, globals: []};
  return {
    actions: [...screenActions, ...(canPop(s.nav) ? ['nav.back' as const] : [])],
    globals: ['help.toggle', 'app.quit'] as ActionId[],
  };
}

type ShellStore = Store<ShellState, ShellAction>;

function makeShell(store: ShellStore, busy: ReadonlyMap<number, string>, quit: () => void): Shell {
  const nav = (action: NavAction) => {
    const reason = busyReason(dropped(store.get().nav, action), busy);
    if (reason)
      return store.dispatch({
        type: 'status',
        status: {
          kind: 'warn',
          message: reason,
          hint: 'Go back to it (Esc) to cancel it, or wait until it has finished.',
        },
      });
    store.dispatch({type: 'nav', action});
  };
  return {
    push: (screen, params) => nav({type: 'push', screen, params}),
    pop: () => nav({type: 'pop'}),
    replace: (screen, params) => nav({type: 'replace', screen, params}),
    reset: (screen, params) => nav({type: 'reset', screen, params}),
    popTo: screen => nav({type: 'popTo', screen}),
    showStatus: status => store.dispatch({type: 'status', status}),
    showError: error => store.dispatch({type: 'status', status: statusFromError(error)}),
    confirm: options =>
      new Promise(resolve => store.dispatch({type: 'dialog', dialog: {kind: 'confirm', options, answer: resolve}})),
    prompt: options => new Promise(resolve => store.dispatch({type: 'dialog', dialog: promptDialog(options, resolve)})),
    quit,
  };
}

interface Route {
  readonly store: ShellStore;
  readonly shell: Shell;
  readonly handlers: Map<number, KeyHandler>;
  readonly busy: ReadonlyMap<number, string>;
  readonly registry: Registry;
  readonly helpMax: () => number;
}

/** One key through the layers: dialog, help, top screen, globals, screen keys. */
function routeKey(k: KeyPress, r: Route): void {
  const {store, shell, handlers, registry, helpMax} = r;
  const s = store.get();
  if (s.dialog) return dialogKey(k, s, store);
  if (s.help) {
    const scroll = matches('nav.down', k)
      ? 1
      : matches('nav.up', k)
        ? -1
        : matches('nav.pageDown', k)
          ? 10
          : matches('nav.pageUp', k)
            ? -10
            : 0;
    if (scroll !== 0) store.dispatch({type: 'helpScroll', by: scroll, max: helpMax()});
    else if (matches('help.toggle', k) || matches('nav.back', k) || k.name === 'q')
      store.dispatch({type: 'help', open: false});
    else if (k.ctrl && k.name === 'c') shell.quit();
    return;
  }
  const top = topOf(s.nav);
  const handler = registry.has(top.screen) ? handlers.get(top.key) : undefined;
  if (handler?.(k) === true) return;
  switch (actionFor(k, GLOBAL_ACTIONS)) {
    case 'help.toggle':
      return store.dispatch({type: 'help', open: true});
    case 'nav.back':
      return shell.pop();
    case 'app.quit': {
      const reason = busyReason(s.nav.stack.slice(0, -1), r.busy);
      if (!reason) return shell.quit();
      return shell.showStatus({
        kind: 'warn',
        message: reason,
        hint: 'Go back to it (Esc) and cancel it there (x), or wait until it has finished.',
      });
    }
    default: {
      const to = jumpTarget(k, s.nav, registry);
      if (to?.kind === 'back') shell.popTo(to.screen);
      else if (to?.kind === 'open') shell.push(to.screen, to.params);
    }
  }
}

function dialogKey(k: KeyPress, s: ShellState, store: ShellStore): void {
  const d = s.dialog!;
  if (d.kind === 'confirm') {
    const yes = confirmKey(k, d.options.defaultYes ?? !d.options.danger);
    if (yes === undefined) return;
    store.dispatch({type: 'dialog', dialog: undefined});
    return d.answer(yes);
  }
  const action = textInputKey(k);
  if (!action) return;
  if (action.type === 'cancel' || action.type === 'submit') {
    const value = action.type === 'submit' ? d.input.value : undefined;
    const error = value === undefined ? undefined : d.options.validate?.(value);
    if (error) return store.dispatch({type: 'promptError', error});
    store.dispatch({type: 'dialog', dialog: undefined});
    return d.answer(value);
  }
  store.dispatch({type: 'promptInput', action});
}
