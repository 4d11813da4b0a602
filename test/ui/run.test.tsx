import './no-ci.js';
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {EventEmitter} from 'node:events';
import React, {useEffect} from 'react';
import {Text, useApp} from 'ink';
import {ENTER_ALT_SCREEN, LEAVE_ALT_SCREEN, runTui} from '../../source/ui/run.js';
import {useTerminalSize} from '../../source/ui/terminal-size.js';
import {isBackhaulError} from '../../source/engine/errors.js';

class FakeStdout extends EventEmitter {
  isTTY = true;
  columns = 80;
  rows = 24;
  written = '';
  write(s: string) {
    this.written += s;
    return true;
  }
}
class FakeStdin extends EventEmitter {
  isTTY = true;
  setEncoding() {}
  setRawMode() {}
  ref() {}
  unref() {}
  resume() {}
  pause() {}
  read() {
    return null;
  }
}

function Size({quitAfterResize}: {quitAfterResize: boolean}) {
  const {exit} = useApp();
  const size = useTerminalSize();
  useEffect(() => {
    if (!quitAfterResize || size.columns === 100) setTimeout(() => exit(), 20);
  }, [size.columns, exit, quitAfterResize]);
  return (
    <Text>
      size {size.columns}x{size.rows}
    </Text>
  );
}

test('runTui switches to the alternate screen and back, and follows resizes', async () => {
  const stdout = new FakeStdout();
  const stdin = new FakeStdin();
  const done = runTui(<Size quitAfterResize />, {
    stdout: stdout as never,
    stdin: stdin as never,
    stderr: new FakeStdout() as never,
  });
  await new Promise(resolve => setTimeout(resolve, 50));
  assert.ok(stdout.written.startsWith(ENTER_ALT_SCREEN));
  assert.match(stdout.written, /size 80x24/);
  stdout.columns = 100;
  stdout.rows = 30;
  stdout.emit('resize');
  await done;
  assert.match(stdout.written, /size 100x30/);
  assert.ok(stdout.written.endsWith(LEAVE_ALT_SCREEN), JSON.stringify(stdout.written.slice(-40)));
});

test('runTui without a terminal refuses with a hint instead of hanging', async () => {
  const stdin = new FakeStdin();
  stdin.isTTY = false;
  await assert.rejects(runTui(<Text>x</Text>, {stdin: stdin as never, stdout: new FakeStdout() as never}), e => {
    assert.ok(isBackhaulError(e));
    assert.match(e.message, /need a terminal/);
    assert.match(e.hint, /backhaul list/);
    return true;
  });
});
