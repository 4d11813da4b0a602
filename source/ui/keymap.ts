/**
 * The one table of key bindings. Screens ask "is this `copy.start`?", never
 * "is this c?"; the footer, the help overlay and the README's key table are
 * all generated from this table, so they cannot disagree. Every action needs
 * keys, a description, a footer label and a help group: leaving one out is a
 * compile error (`satisfies Record<ActionId, Binding>`).
 */
import type {Key} from 'ink';
import {keysFrom, type KeyPress} from './keypress.js';

export const ACTION_IDS = [
  'nav.up',
  'nav.down',
  'nav.pageUp',
  'nav.pageDown',
  'nav.top',
  'nav.bottom',
  'nav.open',
  'nav.back',
  'pane.next',
  'pane.prev',
  'mark.toggle',
  'mark.all',
  'list.pick',
  'filter.start',
  'filter.accept',
  'filter.clear',
  'sort.next',
  'sort.reverse',
  'repo.switch',
  'cluster.nodes',
  'history.open',
  'audit.open',
  'restore.open',
  'jobs.open',
  'tree.expand',
  'tree.collapse',
  'copy.plan',
  'copy.points',
  'copy.target',
  'copy.start',
  'copy.cancel',
  'restore.to',
  'restore.cancel',
  'restore.explore',
  'job.sync',
  'job.sessions',
  'job.toggle',
  'job.stop',
  'job.add',
  'job.edit',
  'form.next',
  'form.prev',
  'form.change',
  'form.save',
  'confirm.yes',
  'confirm.no',
  'input.submit',
  'input.cancel',
  'help.toggle',
  'app.quit',
] as const;
export type ActionId = (typeof ACTION_IDS)[number];

export const HELP_GROUPS = ['Move', 'Screens', 'Select', 'Copy', 'Jobs', 'Restore', 'Dialogs', 'General'] as const;
export type HelpGroup = (typeof HELP_GROUPS)[number];

export interface Binding {
  /** Key specs: a character ('j', 'G', '/'), a key name ('up', 'return', 'space'), or 'ctrl+c', 'shift+tab'. */
  readonly keys: readonly string[];
  /** One sentence for the help overlay and the README. */
  readonly description: string;
  /** One or two words for the footer. */
  readonly label: string;
  readonly group: HelpGroup;
  /** False for keys everyone knows (arrows): shown in help, not in the footer. */
  readonly footer?: boolean;
}

const b = (keys: string[], label: string, group: HelpGroup, description: string, footer = true): Binding => ({
  keys,
  label,
  group,
  description,
  footer,
});

export const BINDINGS = {
  'nav.up': b(['up', 'k'], 'up', 'Move', 'Move the cursor up one row.', false),
  'nav.down': b(['down', 'j'], 'down', 'Move', 'Move the cursor down one row.', false),
  'nav.pageUp': b(['pageup', 'ctrl+b'], 'page up', 'Move', 'Move up one page.', false),
  'nav.pageDown': b(['pagedown', 'ctrl+f'], 'page down', 'Move', 'Move down one page.', false),
  'nav.top': b(['g', 'home'], 'top', 'Move', 'Jump to the first row.', false),
  'nav.bottom': b(['G', 'end'], 'bottom', 'Move', 'Jump to the last row.', false),
  'nav.open': b(['return'], 'open', 'Screens', 'Open the item under the cursor.'),
  'nav.back': b(['escape', 'backspace'], 'back', 'Screens', 'Go back to the previous screen.'),
  'pane.next': b(['tab'], 'pane', 'Screens', 'Move to the next pane.'),
  'pane.prev': b(['shift+tab'], 'prev pane', 'Screens', 'Move to the previous pane.', false),
  'mark.toggle': b(['space'], 'mark', 'Select', 'Mark or unmark the item under the cursor.'),
  'mark.all': b(['a'], 'mark all', 'Select', 'Mark every shown item, or unmark them if all are marked.'),
  'list.pick': b(['return'], 'choose', 'Select', 'Choose the option under the cursor.'),
  'filter.start': b(['/'], 'filter', 'Select', 'Filter the list as you type.'),
  'filter.accept': b(['return'], 'keep filter', 'Select', 'Keep the filter and go back to the list.'),
  'filter.clear': b(['escape'], 'clear filter', 'Select', 'Clear the filter.'),
  'sort.next': b(['s'], 'sort', 'Select', 'Sort by the next column.'),
  'sort.reverse': b(['S'], 'reverse', 'Select', 'Reverse the sort order.', false),
  'repo.switch': b(['r'], 'repository', 'Screens', 'Switch to another repository (from any screen).'),
  'cluster.nodes': b(['n'], 'nodes', 'Screens', 'Show the nodes and disks of a cluster backup.'),
  'history.open': b(['H'], 'history', 'Screens', 'Show past copy sessions (from any screen).'),
  'audit.open': b(['A'], 'audit', 'Screens', 'Show the audit log of delegated restores (from any screen).'),
  'restore.open': b(['R'], 'restore', 'Screens', 'Start a delegated restore (admins only; from any screen).'),
  'jobs.open': b(['J'], 'jobs', 'Screens', 'Show the saved copy jobs and the runs going on (from any screen).'),
  'tree.expand': b(['right', 'l'], 'expand', 'Move', 'Expand the folder under the cursor.', false),
  'tree.collapse': b(['left', 'h'], 'collapse', 'Move', 'Collapse the folder (or go to its parent).', false),
  'copy.plan': b(['c'], 'copy', 'Copy', 'Plan a copy of the marked items, or of the one under the cursor.'),
  'copy.points': b(
    ['p'],
    'points',
    'Copy',
    'Switch the plan between the latest restore point and every restore point.',
  ),
  'copy.target': b(
    ['t'],
    'target',
    'Copy',
    'Pick the copy target among the registered repositories (the choice is remembered).',
  ),
  'copy.start': b(['return'], 'start copy', 'Copy', 'Start the planned copy.'),
  'copy.cancel': b(
    ['x'],
    'cancel',
    'Copy',
    'Stop the running copy (asks first). Esc or q only leave its viewer: the copy runs on, and J finds it.',
  ),
  'job.sync': b(
    ['c'],
    'sync now',
    'Jobs',
    'Run the job now, detached ("Sync now": asks whether to copy all points or the latest).',
  ),
  'job.sessions': b(['s'], 'sessions', 'Jobs', "Show the job's past sessions (its history)."),
  'job.toggle': b(
    ['d'],
    'enable/disable',
    'Jobs',
    'Disable the job, or enable it again (a disabled job is never started by the service).',
  ),
  'job.stop': b(
    ['x'],
    'stop',
    'Jobs',
    "Stop the job's running run (asks first; the point in progress is not committed).",
  ),
  'job.add': b(['a'], 'new job', 'Jobs', 'Create a job with a form.'),
  'job.edit': b(['e'], 'edit', 'Jobs', 'Edit the job under the cursor with a form.'),
  'form.next': b(['down', 'tab'], 'next field', 'Dialogs', 'Move to the next field of the form.', false),
  'form.prev': b(['up', 'shift+tab'], 'prev field', 'Dialogs', 'Move to the previous field of the form.', false),
  'form.change': b(
    ['space'],
    'change',
    'Dialogs',
    'Change a choice field of the form (mode, enabled) to its next value.',
  ),
  'form.save': b(
    ['return'],
    'save',
    'Dialogs',
    "Check the form with the engine's own rules and save it (errors are shown at their field).",
  ),
  'restore.to': b(
    ['t'],
    'restore to',
    'Restore',
    'Restore the marked items (or the one under the cursor): choose for whom and where.',
  ),
  'restore.cancel': b(['x'], 'cancel', 'Restore', 'Cancel the running restore (files written so far stay).'),
  'restore.explore': b(
    ['e'],
    'explore',
    'Restore',
    'Explore the SQLite database, Maildir or mbox under the cursor: its tables or messages, to restore one by one.',
  ),
  'confirm.yes': b(['y'], 'yes', 'Dialogs', 'Answer yes.'),
  'confirm.no': b(['n', 'escape'], 'no', 'Dialogs', 'Answer no.'),
  'input.submit': b(['return'], 'ok', 'Dialogs', 'Accept the text you typed.'),
  'input.cancel': b(['escape'], 'cancel', 'Dialogs', 'Cancel the input.'),
  'help.toggle': b(['?'], 'help', 'General', 'Show or hide this help.'),
  'app.quit': b(['q', 'ctrl+c'], 'quit', 'General', 'Quit Backhaul.'),
} as const satisfies Record<ActionId, Binding>;

/** Actions every screen has; the shell handles them after the top screen declines a key. */
export const GLOBAL_ACTIONS: readonly ActionId[] = ['nav.back', 'help.toggle', 'app.quit'];

/**
 * Screen keys (k9s): each opens one screen from whichever screen is on top,
 * after that screen declines the key. The screen each opens says so in its
 * definition (`jump`, screens/screen.ts); no screen may bind these keys to
 * anything else (keymap.test.ts checks every screen).
 */
export const SCREEN_KEYS: readonly ActionId[] = [
  'history.open',
  'audit.open',
  'restore.open',
  'jobs.open',
  'repo.switch',
];

interface Spec {
  name: string;
  ctrl: boolean;
  shift: boolean;
}
function parseSpec(spec: string): Spec {
  if ([...spec].length === 1) return {name: spec, ctrl: false, shift: false};
  const parts = spec.split('+');
  const name = parts.pop()!;
  return {name, ctrl: parts.includes('ctrl'), shift: parts.includes('shift')};
}

function specMatches(spec: string, k: KeyPress): boolean {
  const s = parseSpec(spec);
  if (s.name !== k.name || s.ctrl !== k.ctrl) return false;
  // Printable keys carry case in their name ('G'); only special keys compare shift.
  return [...s.name].length === 1 || s.shift === k.shift;
}

/** Is this key press bound to the action? With `(input, key)` from `useInput`, true only for a single key. */
export function matches(action: ActionId, k: KeyPress): boolean;
export function matches(action: ActionId, input: string, key: Key): boolean;
export function matches(action: ActionId, a: KeyPress | string, key?: Key): boolean {
  if (typeof a !== 'string') return BINDINGS[action].keys.some(spec => specMatches(spec, a));
  const keys = keysFrom(a, key!);
  return keys.length === 1 && matches(action, keys[0]!);
}

/** The first of `actions` this key is bound to. */
export function actionFor(k: KeyPress, actions: readonly ActionId[]): ActionId | undefined {
  return actions.find(action => matches(action, k));
}

/** Keys of `actions` bound to more than one of them (should be empty for any screen's set). */
export function conflicts(actions: readonly ActionId[]): string[] {
  const seen = new Map<string, ActionId>();
  const clashes: string[] = [];
  for (const action of actions) {
    for (const spec of BINDINGS[action].keys) {
      const other = seen.get(spec);
      if (other && other !== action) clashes.push(`${spec}: ${other} and ${action}`);
      seen.set(spec, action);
    }
  }
  return clashes;
}

const KEY_LABELS: Record<string, string> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pageup: 'PgUp',
  pagedown: 'PgDn',
  home: 'Home',
  end: 'End',
  return: 'Enter',
  escape: 'Esc',
  backspace: 'Backspace',
  space: 'Space',
  tab: 'Tab',
};

/** How a key spec is shown to people: 'ctrl+c' → 'Ctrl-C', 'return' → 'Enter'. */
export function keyLabel(spec: string): string {
  const s = parseSpec(spec);
  const base = KEY_LABELS[s.name] ?? s.name;
  return `${s.ctrl ? 'Ctrl-' : ''}${s.shift ? 'Shift-' : ''}${s.ctrl ? base.toUpperCase() : base}`;
}
