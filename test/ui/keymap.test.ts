import {test} from 'node:test';
import assert from 'node:assert/strict';
import type {Key} from 'ink';
import {
  ACTION_IDS,
  actionFor,
  BINDINGS,
  type Binding,
  conflicts,
  GLOBAL_ACTIONS,
  HELP_GROUPS,
  keyLabel,
  matches,
  type ActionId,
} from '../../source/ui/keymap.js';
import {keyPress, keysFrom, splitInput} from '../../source/ui/keypress.js';
import {fitHints, footerHints, helpSections, hintText, keysMarkdown} from '../../source/ui/key-hints.js';

const noKey: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};
const key = (over: Partial<Key>): Key => ({...noKey, ...over});
const names = (ks: ReturnType<typeof splitInput>) => ks.map(k => (k.ctrl ? `ctrl+${k.name}` : k.name));

test('every action has keys, a description, a footer label and a known help group', () => {
  for (const id of ACTION_IDS) {
    const b = BINDINGS[id];
    assert.ok(b.keys.length > 0, id);
    assert.match(b.description, /^[A-Z].*\.$/, `${id} description is a sentence`);
    assert.ok(b.label.length > 0 && b.label.length <= 14, `${id} label is short`);
    assert.ok((HELP_GROUPS as readonly string[]).includes(b.group), id);
  }
  assert.deepEqual(Object.keys(BINDINGS).sort(), [...ACTION_IDS].sort());
});

test('keys from Ink useInput: arrows, pages, g/G, Enter, Esc, Backspace (0x7f is reported as delete), Space, Tab, Ctrl-C', () => {
  const cases: Array<[ActionId, string, Partial<Key>]> = [
    ['nav.up', '', {upArrow: true}],
    ['nav.up', 'k', {}],
    ['nav.down', '', {downArrow: true}],
    ['nav.down', 'j', {}],
    ['nav.pageUp', '', {pageUp: true}],
    ['nav.pageDown', '', {pageDown: true}],
    ['nav.top', 'g', {}],
    ['nav.bottom', 'G', {shift: true}],
    ['nav.open', '', {return: true}],
    ['nav.back', '', {escape: true, meta: true}],
    ['nav.back', '', {delete: true}],
    ['nav.back', '', {backspace: true}],
    ['mark.toggle', ' ', {}],
    ['pane.next', '', {tab: true}],
    ['pane.prev', '', {tab: true, shift: true}],
    ['app.quit', 'c', {ctrl: true}],
    ['app.quit', 'q', {}],
    ['help.toggle', '?', {}],
  ];
  for (const [action, input, k] of cases)
    assert.ok(matches(action, input, key(k)), `${action} ← ${JSON.stringify(input)} ${JSON.stringify(k)}`);
  assert.equal(matches('nav.top', 'G', key({shift: true})), false, 'G is not g');
  assert.equal(matches('pane.next', '', key({tab: true, shift: true})), false, 'shift-tab is not tab');
  assert.equal(matches('app.quit', 'q\r', key({})), false, 'a multi-key input is not one key');
});

test('multi-character input (paste, fast typing) is split into keys in order', () => {
  assert.deepEqual(names(keysFrom('q\r', noKey)), ['q', 'return']);
  assert.deepEqual(names(keysFrom('/0004', noKey)), ['/', '0', '0', '0', '4']);
  assert.deepEqual(names(keysFrom('jj k', noKey)), ['j', 'j', 'space', 'k']);
  assert.deepEqual(names(splitInput('\u001B[B\u001B[A\u001B[5~\u001B[6~\u001B[Hx\u001B')), [
    'down',
    'up',
    'pageup',
    'pagedown',
    'home',
    'x',
    'escape',
  ]);
  assert.deepEqual(names(splitInput('a\u0003\u007F\t')), ['a', 'ctrl+c', 'backspace', 'tab']);
  assert.deepEqual(
    keysFrom('日本', noKey).map(k => k.text),
    ['日', '本'],
  );
  const ks = keysFrom('jGq', noKey);
  assert.deepEqual(
    ks.map(k => actionFor(k, ['nav.down', 'nav.bottom', 'app.quit'])),
    ['nav.down', 'nav.bottom', 'app.quit'],
  );
});

test("the global actions and a list screen's actions bind no key twice", () => {
  const listScreen: ActionId[] = [
    'nav.up',
    'nav.down',
    'nav.pageUp',
    'nav.pageDown',
    'nav.top',
    'nav.bottom',
    'nav.open',
    'mark.toggle',
    'mark.all',
    'filter.start',
    'sort.next',
    'copy.plan',
    'cluster.nodes',
    'repo.switch',
    'history.open',
  ];
  assert.deepEqual(conflicts([...listScreen, ...GLOBAL_ACTIONS]), []);
  assert.deepEqual(conflicts(['nav.open', 'copy.start']), ['return: nav.open and copy.start']);
});

test('footer and help come from the same table', () => {
  const actions: ActionId[] = ['nav.down', 'nav.open', 'mark.toggle', 'filter.start'];
  const hints = footerHints(actions);
  assert.deepEqual(
    hints.map(h => h.action),
    ['nav.open', 'mark.toggle', 'filter.start', 'help.toggle', 'app.quit'],
  );
  for (const h of hints) {
    assert.equal(h.label, BINDINGS[h.action].label);
    assert.equal(h.key, keyLabel(BINDINGS[h.action].keys[0]));
  }
  const help = helpSections([...actions, ...GLOBAL_ACTIONS]);
  const helpActions = help.flatMap(s => s.rows.map(r => r.action));
  for (const h of hints) assert.ok(helpActions.includes(h.action), `${h.action} in help`);
  assert.ok(helpActions.includes('nav.down'), 'movement keys are in help though not in the footer');
  const row = help.flatMap(s => s.rows).find(r => r.action === 'app.quit')!;
  assert.equal(row.keys, 'q Ctrl-C');
  assert.equal(row.description, BINDINGS['app.quit'].description);
});

test('the footer is cut to the width but keeps help', () => {
  const hints = footerHints(['nav.open', 'mark.toggle', 'mark.all', 'filter.start', 'copy.plan', 'sort.next']);
  const fitted = fitHints(hints, 30);
  assert.ok(fitted.map(hintText).join('  ').length <= 30);
  assert.equal(fitted.at(-1)!.action, 'help.toggle');
});

test('key labels and the README table', () => {
  assert.equal(keyLabel('ctrl+c'), 'Ctrl-C');
  assert.equal(keyLabel('return'), 'Enter');
  assert.equal(keyLabel('shift+tab'), 'Shift-Tab');
  const md = keysMarkdown();
  assert.match(md, /^\| group \| keys \| action \|/);
  assert.equal(md.trim().split('\n').length, 2 + ACTION_IDS.length);
  assert.match(md, /\| Select \| `\/` \| Filter the list as you type\. \|/);
  assert.equal(keyPress('space').text, ' ');
});

test('a binding without a description, or a table missing an action, does not compile', () => {
  // @ts-expect-error description is required
  const bad: Binding = {keys: ['x'], label: 'x', group: 'General'};
  // @ts-expect-error every action needs a binding
  const partial: Record<ActionId, Binding> = {'app.quit': BINDINGS['app.quit']};
  assert.ok(bad && partial);
});
