import {test} from 'node:test';
import assert from 'node:assert/strict';
import React from 'react';
import {Box} from 'ink';
import {render} from '../helpers.js';
import {barText, ProgressBar, progressLine} from '../../../source/ui/components/progress-bar.js';
import {Sparkline, sparkline} from '../../../source/ui/components/sparkline.js';
import {Confirm, confirmKey, Prompt} from '../../../source/ui/components/modal.js';
import {Breadcrumbs, breadcrumbText} from '../../../source/ui/components/breadcrumbs.js';
import {StatusLine, statusFromError} from '../../../source/ui/components/status-line.js';
import {Footer} from '../../../source/ui/components/footer.js';
import {
  initialTextInput,
  textInputKey,
  textInputReducer,
  type TextInputState,
} from '../../../source/ui/components/text-input.js';
import {List} from '../../../source/ui/components/list.js';
import {initialList, listReducer} from '../../../source/ui/components/list-state.js';
import {ThemeContext, plainTheme} from '../../../source/ui/theme.js';
import {keyPress, keysFrom} from '../../../source/ui/keypress.js';
import {BackhaulError} from '../../../source/engine/errors.js';
import {textWidth} from '../../../source/ui/text.js';
import type {Key} from 'ink';

const plain = (node: React.ReactElement) => <ThemeContext.Provider value={plainTheme}>{node}</ThemeContext.Provider>;

test('progress bar: fits its width, shows percent and bytes, eighth-cell precision', async () => {
  assert.equal(barText(0, 100, 10), '░░░░░░░░░░');
  assert.equal(barText(50, 100, 10), '█████░░░░░');
  assert.equal(barText(55, 100, 10), '█████▌░░░░');
  assert.equal(barText(51.25, 100, 10), '█████▏░░░░');
  assert.equal(barText(100, 100, 10), '██████████');
  assert.equal(barText(5, 0, 4), '████', 'nothing to do and something done is complete');
  for (const width of [120, 80, 40, 20]) {
    const line = progressLine({
      label: 'node-1 / disk C:',
      done: 3 * 1024 ** 3,
      total: 8 * 1024 ** 3,
      width,
      detail: '92.0 MiB/s',
    });
    assert.equal(textWidth(line.label + line.bar + line.right), width, `width ${width}`);
  }
  const r = await render(plain(<ProgressBar label="SQL-CLUSTER" done={512} total={1024} width={60} />));
  assert.match(r.frame(), /^SQL-CLUSTER\s+█+░+\s+50%\s+512 B\/1.00 KiB$/);
  await r.unmount();
});

test('sparkline: two series on one scale, newest on the right', async () => {
  assert.equal(sparkline([0, 1, 2, 4, 8], 5), ' ▁▂▄█');
  assert.equal(sparkline([8, 8], 4), '  ██');
  assert.equal(
    sparkline([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 3),
    '▇██',
    'only the last samples that fit, on the scale of all',
  );
  const r = await render(
    plain(
      <Sparkline
        width={40}
        series={[
          {label: 'read', values: [1, 2, 4, 8]},
          {label: 'sent', values: [1, 1, 1, 2]},
        ]}
        format={String}
      />,
    ),
  );
  const [read, sent] = r.frame().split('\n');
  assert.match(read!, /^read \s+▁▂▄█\s+8$/);
  assert.match(sent!, /^sent \s+▁▁▁▂\s+2$/, "sent is drawn on read's scale");
  await r.unmount();
});

test('confirm dialog: y/n/Esc/Enter, dangerous questions default to no', async () => {
  assert.equal(confirmKey(keyPress('y')), true);
  assert.equal(confirmKey(keyPress('n')), false);
  assert.equal(confirmKey(keyPress('escape')), false);
  assert.equal(confirmKey(keyPress('c', {ctrl: true})), false);
  assert.equal(confirmKey(keyPress('return')), false);
  assert.equal(confirmKey(keyPress('return'), true), true);
  assert.equal(confirmKey(keyPress('j')), undefined);
  const r = await render(
    plain(<Confirm title="Cancel the copy?" message="Finished restore points stay on the target." danger width={60} />),
  );
  assert.match(r.frame(), /Cancel the copy\?/);
  assert.match(r.frame(), /\[y\/N\]/);
  assert.match(r.frame(), /╭─+╮/);
  await r.unmount();
});

test('text input: typing, a paste, cursor moves, backspace, Ctrl-U', async () => {
  let s: TextInputState = initialTextInput();
  const type = (input: string, key: Partial<Key> = {}) => {
    for (const k of keysFrom(input, key as Key)) {
      const a = textInputKey(k);
      if (a && a.type !== 'submit' && a.type !== 'cancel') s = textInputReducer(s, a);
    }
  };
  type('/srv/restore');
  type('', {leftArrow: true});
  type('', {leftArrow: true});
  type('X');
  assert.deepEqual(s, {value: '/srv/restoXre', cursor: 11});
  type('', {delete: true});
  assert.equal(s.value, '/srv/restore');
  assert.equal(textInputKey(keyPress('return'))?.type, 'submit');
  assert.equal(textInputKey(keyPress('escape'))?.type, 'cancel');
  type('u', {ctrl: true});
  assert.deepEqual(s, {value: '', cursor: 0});
  const r = await render(
    plain(
      <Prompt
        title="Restore"
        label="Destination"
        state={initialTextInput('/tmp/x\ny')}
        width={50}
        error="Not a directory."
      />,
    ),
  );
  assert.match(r.frame(), /\/tmp\/x␊y▏/, 'newlines in the value are shown, not obeyed');
  assert.match(r.frame(), /Not a directory\./);
  await r.unmount();
});

test('breadcrumbs keep the last step when cut; names are made safe', async () => {
  assert.equal(
    breadcrumbText(['demo', 'SQL-CLUSTER', '2025-01-10 12:00'], 80),
    'demo › SQL-CLUSTER › 2025-01-10 12:00',
  );
  assert.equal(
    breadcrumbText(['demo', 'SQL-CLUSTER', '2025-01-10 12:00'], 25),
    '…CLUSTER › 2025-01-10 12:00'.slice(-25).replace(/^./, '…'),
  );
  assert.equal(breadcrumbText(['a\u001B[2Jb'], 20), 'a␛[2Jb');
  const r = await render(plain(<Breadcrumbs parts={['demo', 'web-01']} width={40} />));
  assert.equal(r.frame(), 'demo › web-01');
  await r.unmount();
});

test('status line: one sentence and a hint, never a stack', async () => {
  const e = new BackhaulError('locked', 'The target repository is locked by another copy.', 'Wait for it to finish.');
  assert.deepEqual(statusFromError(e), {kind: 'error', message: e.message, hint: 'Wait for it to finish.'});
  const bug = statusFromError(new TypeError('x is undefined\n    at foo (a.ts:1:1)'));
  assert.equal(bug.message, 'Unexpected error: x is undefined');
  assert.match(bug.hint!, /bug/);
  const r = await render(plain(<StatusLine status={statusFromError(e)} width={100} />));
  assert.equal(r.frame(), '✗ The target repository is locked by another copy. Wait for it to finish.');
  await r.unmount();
});

test('footer: generated hints, cut to width, help kept', async () => {
  const r = await render(
    plain(<Footer actions={['nav.open', 'mark.toggle', 'copy.plan', 'cluster.nodes', 'repo.switch']} width={40} />),
  );
  assert.equal(r.frame(), 'Enter open  Space mark  c copy  ? help');
  await r.unmount();
});

test('a 100,000-item list renders only its window, with marks, cursor and position', async () => {
  const items = Array.from({length: 100_000}, (_, i) => ({id: String(i), name: `point-${i}\nx`}));
  let state = initialList({items, idOf: i => i.id, textOf: i => i.name, height: 5});
  state = [{type: 'page', by: 1}, {type: 'toggleMark'}, {type: 'move', by: 1}].reduce(listReducer as never, state);
  let cells = 0;
  const r = await render(
    plain(
      <Box>
        <List
          state={state}
          width={40}
          columns={[{id: 'n', header: 'Point', value: (i: {name: string}) => (cells++, i.name)}]}
        />
      </Box>,
    ),
  );
  const lines = r.frame().split('\n');
  assert.equal(lines.length, 7, 'header, 5 rows, position');
  assert.equal(cells, 5);
  assert.equal(lines[1], ' ● point-5␊x');
  assert.equal(lines[2], '›  point-6␊x');
  assert.match(lines[6]!, /1 marked · 7\/100,000 · 0%$/);
  await r.unmount();
});
