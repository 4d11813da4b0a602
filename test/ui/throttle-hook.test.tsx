import {test} from 'node:test';
import assert from 'node:assert/strict';
import React, {useEffect} from 'react';
import {Text} from 'ink';
import {act} from 'react';
import {render} from './helpers.js';
import {useThrottledReducer} from '../../source/ui/throttle.js';

test('useThrottledReducer folds every event in but renders a burst once, then shows the final state', async () => {
  let renders = 0;
  let dispatchRef: ((n: number) => void) | undefined;
  let flushRef: (() => void) | undefined;
  function Progress() {
    const [total, dispatch, , flush] = useThrottledReducer((sum: number, n: number) => sum + n, 0, 10_000);
    renders++;
    useEffect(() => {
      dispatchRef = dispatch;
      flushRef = flush;
    }, [dispatch, flush]);
    return <Text>bytes {total}</Text>;
  }
  const r = await render(<Progress />);
  const before = renders;
  await act(async () => {
    for (let i = 0; i < 5000; i++) dispatchRef!(1);
  });
  assert.ok(renders - before <= 1, `${renders - before} renders for 5,000 events`);
  await act(async () => flushRef!());
  assert.equal(r.frame(), 'bytes 5000');
  await r.unmount();
});
