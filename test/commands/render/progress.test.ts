// The CLI's progress bars on a real-looking 80-column TTY (a fake terminal
// that keeps the screen as a terminal would): lines logged above the bars
// (the plan, printed while a copy runs) wrap whole instead of being cut at
// the margin, and each bar fits the width with its amounts whole — issue 18
// saw "158 MiBB" and "3.21 GiB/3.21 Gi" because line wrapping was turned off.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {barLine, createProgress} from '../../../source/commands/render/progress.js';
import {FakeTty} from '../../helpers/vt.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const tick = () => new Promise(resolve => setTimeout(resolve, 250));
const squash = (s: string) => s.replace(/\s+/g, '');

test('at 80 columns, a long plan line logged during the copy wraps whole and the bars keep their amounts', async () => {
  const tty = new FakeTty(80);
  const view = createProgress(tty, false);
  const total = 3.21 * GiB;
  view.update('overall', {
    label: 'overall',
    done: 0.5 * GiB,
    total,
    detail: '306 MiB/s, bottleneck source read (still planning)',
  });
  view.update('disk', {
    label: 'sql-cluster/node1/data-disk-with-a-long-name',
    done: 100 * MiB,
    total: 158 * MiB,
    detail: '1234/5678 chunks',
  });
  await tick();
  const plan =
    '  sql-cluster (cluster, b0123456789ab): 4 point(s) to copy, logical 158 MiB, transfer 3.21 GiB, already there 0 B';
  view.log(plan);
  view.update('overall', {label: 'overall', done: total, total, detail: '306 MiB/s, bottleneck source read'});
  view.update('disk', {
    label: 'sql-cluster/node1/data-disk-with-a-long-name',
    done: 158 * MiB,
    total: 158 * MiB,
    detail: '5678/5678 chunks',
  });
  await tick();
  view.stop();
  const lines = tty.lines();
  assert.ok(
    lines.every(l => [...l].length <= 80),
    lines.join('\n'),
  );
  assert.ok(squash(lines.join('')).includes(squash(plan)), `the plan line is on screen whole:\n${lines.join('\n')}`);
  const bars = lines.filter(l => l.includes('|'));
  assert.ok(
    bars.some(l => /overall\s+\|[█░]+\| 100% 3\.21 GiB\/3\.21 GiB/.test(l)),
    bars.join('\n'),
  );
  assert.ok(
    bars.some(l => /sql-cluster\/node1\/\S*\s*\|[█░]+\| 100% 158 MiB\/158 MiB 5678/.test(l)),
    bars.join('\n'),
  );
  assert.ok(
    bars.every(l => [...l].length < 80),
    'a bar leaves the last column free',
  );
  assert.doesNotMatch(tty.raw.join(''), /\u001B\[\?7l/, "the terminal's line wrapping is never turned off");
});

test('a bar line fits the width; from 50 columns the bar and the detail give way, never the amounts', () => {
  const payload = {
    label: 'sql-cluster/node1/data',
    doneText: '1023.9 MiB',
    totalText: '3.21 GiB',
    detail: '306 MiB/s, bottleneck source read (still planning)',
  };
  for (const width of [50, 60, 80, 100, 200]) {
    const line = barLine(width, 0.42, payload);
    assert.ok([...line].length <= width - 1, `${width}: ${line}`);
    assert.match(line, /\| 42% 1023\.9 MiB\/3\.21 GiB/, `${width}: ${line}`);
  }
  assert.ok([...barLine(20, 0.5, payload)].length <= 29, 'never wider than its room, however narrow');
  assert.match(barLine(200, 1, payload), /\|█{30}\| 100% .* 306 MiB\/s, bottleneck source read \(still planning\)$/);
});
