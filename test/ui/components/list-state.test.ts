import {test} from 'node:test';
import assert from 'node:assert/strict';
import {
  currentItem,
  initialList,
  listKeyAction,
  listReducer,
  selectedItems,
  shownCount,
  windowRows,
  type ListAction,
  type ListState,
} from '../../../source/ui/components/list-state.js';
import {keysFrom, keyPress} from '../../../source/ui/keypress.js';
import type {Key} from 'ink';

interface Item {
  id: string;
  name: string;
}
const items = (n: number): Item[] =>
  Array.from({length: n}, (_, i) => ({id: `id${i}`, name: `machine-${String(i).padStart(5, '0')}`}));
const make = (n: number, height = 5) =>
  initialList<Item>({items: items(n), idOf: i => i.id, textOf: i => i.name, height});
const run = (s: ListState<Item>, ...as: ListAction<Item>[]) => as.reduce(listReducer<Item>, s);
const keys = (s: ListState<Item>, input: string) => {
  for (const k of keysFrom(input, {} as Key)) {
    const a = listKeyAction(s, k);
    if (a) s = listReducer(s, a);
  }
  return s;
};

test('the cursor moves and the window follows it, clamped at both ends', () => {
  let s = make(20);
  s = run(s, {type: 'move', by: -1});
  assert.equal(s.cursor, 0);
  s = run(
    s,
    {type: 'move', by: 1},
    {type: 'move', by: 1},
    {type: 'move', by: 1},
    {type: 'move', by: 1},
    {type: 'move', by: 1},
  );
  assert.equal(s.cursor, 5);
  assert.equal(s.offset, 1);
  assert.deepEqual(
    windowRows(s).map(r => r.pos),
    [1, 2, 3, 4, 5],
  );
  s = run(s, {type: 'bottom'});
  assert.deepEqual([s.cursor, s.offset], [19, 15]);
  s = run(s, {type: 'move', by: 1});
  assert.equal(s.cursor, 19);
  s = run(s, {type: 'top'});
  assert.deepEqual([s.cursor, s.offset], [0, 0]);
});

test('page down and up move by a window', () => {
  let s = run(make(23), {type: 'page', by: 1});
  assert.deepEqual([s.cursor, s.offset], [5, 5]);
  s = run(s, {type: 'page', by: 1}, {type: 'page', by: 1}, {type: 'page', by: 1}, {type: 'page', by: 1});
  assert.deepEqual([s.cursor, s.offset], [22, 18]);
  s = run(s, {type: 'page', by: -1});
  assert.deepEqual([s.cursor, s.offset], [17, 13]);
});

test('100,000 items: the window holds only the visible rows, wherever the cursor is', () => {
  let s = make(100_000, 20);
  assert.equal(windowRows(s).length, 20);
  s = keys(s, 'G');
  assert.equal(currentItem(s)!.id, 'id99999');
  assert.equal(windowRows(s).length, 20);
  s = keys(s, 'k\u001B[5~');
  assert.equal(s.cursor, 99_978);
});

test('resizing keeps the cursor in view', () => {
  let s = run(make(50, 10), {type: 'move', by: 9});
  s = run(s, {type: 'resize', height: 4});
  assert.ok(s.cursor >= s.offset && s.cursor < s.offset + 4);
  assert.equal(windowRows(s).length, 4);
});

test('marks are ids: Space toggles, a marks all shown or unmarks them, they survive filtering', () => {
  let s = keys(make(10), ' jj ');
  assert.deepEqual([...s.marks], ['id0', 'id2']);
  s = keys(s, ' ');
  assert.deepEqual([...s.marks], ['id0']);
  s = keys(s, '/0000');
  assert.equal(shownCount(s), 10, 'machine-0000x matches all ten');
  s = keys(s, '3\r');
  assert.equal(shownCount(s), 1);
  s = keys(s, 'a');
  assert.deepEqual([...s.marks].sort(), ['id0', 'id3']);
  s = keys(s, 'a');
  assert.deepEqual([...s.marks], ['id0'], 'a again unmarks what is shown');
  assert.deepEqual(
    selectedItems(s).map(i => i.id),
    ['id0'],
  );
  assert.deepEqual(
    selectedItems(run(s, {type: 'clearMarks'})).map(i => i.id),
    ['id3'],
    'nothing marked: the cursor item',
  );
});

test('filter as you type: / opens, typing filters, Backspace edits, Enter keeps, Esc clears', () => {
  let s = keys(make(1000), '/00');
  assert.equal(s.filtering, true);
  assert.equal(s.filter, '00');
  s = keys(s, '12');
  assert.equal(s.filter, '0012');
  assert.deepEqual(
    windowRows(s).map(r => r.item.id),
    ['id12', 'id120', 'id121', 'id122', 'id123'],
  );
  s = keys(s, '\u007F');
  assert.equal(s.filter, '001');
  s = keys(s, 'jq\r');
  assert.equal(s.filter, '001jq', 'j and q are text while filtering');
  assert.equal(s.filtering, false);
  assert.equal(shownCount(s), 0);
  assert.equal(currentItem(s), undefined);
  s = keys(s, '/\u007F\u007F\r');
  assert.equal(s.filter, '001');
  assert.equal(shownCount(s), 111, '00001, 00010-00019 and 00100-00199');
  s = keys(s, 'jj');
  const kept = currentItem(s)!.id;
  assert.equal(listKeyAction(s, keyPress('escape'))?.type, 'filterClear', 'Esc clears a kept filter first');
  s = keys(s, '\u001B');
  assert.equal(s.filter, '');
  assert.equal(currentItem(s)!.id, kept, 'clearing keeps the cursor on the same item');
  assert.equal(listKeyAction(s, keyPress('escape')), undefined, "then Esc is the screen's (back)");
  assert.equal(listKeyAction(s, keyPress('return')), undefined, "Enter is the screen's (open)");
});

test('new items keep the cursor on the same id and drop marks of vanished ids', () => {
  let s = keys(make(10), 'jjj ');
  const reversed = [...s.items].reverse().slice(0, 8);
  s = run(s, {type: 'setItems', items: reversed});
  assert.equal(currentItem(s)!.id, 'id3');
  assert.deepEqual([...s.marks], ['id3']);
  s = run(s, {type: 'setItems', items: items(2)});
  assert.deepEqual([...s.marks], []);
});

test('lists without marks or filter leave those keys to the screen', () => {
  const s = initialList<Item>({items: items(3), idOf: i => i.id, markable: false, filterable: false});
  assert.equal(listKeyAction(s, keyPress('space')), undefined);
  assert.equal(listKeyAction(s, keyPress('/')), undefined);
  assert.equal(listReducer(s, {type: 'toggleMark'}), s);
});
