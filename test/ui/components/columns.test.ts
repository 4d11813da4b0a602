import {test} from 'node:test';
import assert from 'node:assert/strict';
import {layoutColumns, type Column} from '../../../source/ui/components/columns.js';

const col = (id: string, o: Partial<Column<string>> = {}): Column<string> => ({id, header: id, value: s => s, ...o});
const columns = [
  col('name', {minWidth: 12}),
  col('kind', {width: 8}),
  col('owner', {width: 10, optional: true}),
  col('size', {width: 10, align: 'right'}),
];
const sum = (ws: number[]) => ws.reduce((a, b) => a + b, 0) + ws.length - 1;

test('flexible columns take what is left, fixed ones keep their width', () => {
  const placed = layoutColumns(columns, 120);
  assert.deepEqual(
    placed.map(p => p.column.id),
    ['name', 'kind', 'owner', 'size'],
  );
  assert.equal(sum(placed.map(p => p.width)), 120);
  assert.equal(placed[0]!.width, 120 - 8 - 10 - 10 - 3);
});

test('optional columns go first when narrow; nothing is ever wider than the terminal', () => {
  const narrow = layoutColumns(columns, 38);
  assert.deepEqual(
    narrow.map(p => p.column.id),
    ['name', 'kind', 'size'],
  );
  for (const w of [80, 40, 30, 20, 10, 3]) {
    assert.ok(sum(layoutColumns(columns, w).map(p => p.width)) <= w, `width ${w}`);
  }
});
