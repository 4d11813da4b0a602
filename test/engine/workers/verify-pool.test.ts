import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {deflateRawSync} from 'node:zlib';
import {VerifyPool, type BlobRef} from '../../../source/engine/workers/verify-pool.js';

const id = (n: number) => createHash('sha256').update(String(n)).digest('hex');

/** A compressed tree chunk (the workers inflate it: the zlib call a terminated worker used to die in). */
function treeChunk(lines: number): {data: Buffer; blob: BlobRef} {
  const plain = Buffer.from(
    Array.from({length: lines}, (_, i) => JSON.stringify({path: `f${i}`, type: 'file', chunks: [id(i)]})).join('\n') +
      '\n',
  );
  const data = deflateRawSync(plain);
  return {data, blob: [createHash('sha256').update(plain).digest('hex'), 0, data.length, plain.length, 1]};
}

test('closing the pool while scans are in flight: the workers finish what they hold, the rest is refused, nothing aborts', async () => {
  const {data, blob} = treeChunk(2000);
  for (let round = 0; round < 5; round++) {
    const pool = new VerifyPool(2);
    const jobs = Promise.allSettled(Array.from({length: 60}, () => pool.treeChunk({data}, blob)));
    await new Promise(resolve => setTimeout(resolve, round)); // some jobs running, most still queued
    await pool.close();
    const settled = await jobs;
    for (const r of settled) {
      if (r.status === 'fulfilled') assert.equal(r.value?.ids.length, 1999, 'a job that ran scanned its chunk whole');
      else assert.match(String(r.reason), /verify pool/);
    }
    assert.ok(
      settled.some(r => r.status === 'rejected'),
      'jobs still queued at close are refused',
    );
    await assert.rejects(pool.treeChunk({data}, blob), /verify pool is closed/);
  }
});

test('no worker starts before the first job (a copy with nothing to copy starts none); the first job starts them all', async () => {
  const idle = new VerifyPool(2);
  assert.equal(idle.workerCount, 0);
  await idle.close();
  assert.equal(idle.workerCount, 0, 'closing a pool that never worked starts nothing');

  const pool = new VerifyPool(2);
  try {
    const {data, blob} = treeChunk(10);
    assert.equal(pool.workerCount, 0);
    assert.equal((await pool.treeChunk({data}, blob))?.ids.length, 9);
    assert.equal(pool.workerCount, 2);
    pool.warm();
    assert.equal(pool.workerCount, 2, 'warm() after the start adds none');
  } finally {
    await pool.close();
  }
});
