/**
 * Content-defined chunking: boundaries depend on content, not on offsets, so
 * an insertion moves only nearby boundaries; sizes stay within the format's
 * min/max; and the streaming chunker cuts exactly where chunkBuffer does,
 * whatever the segmentation of its input.
 */
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {hashChunk} from '../../../source/engine/repository/blob.js';
import {
  CHUNK_MAX,
  CHUNKER,
  chunkBuffer,
  FIRST_CHUNKER,
  StreamChunker,
  type ChunkerParams,
} from '../../../source/engine/repository/chunker.js';
import {randomBuffer, seeded} from '../../helpers/cli.js';

const MiB = 1024 * 1024;
const CHUNK_MIN = CHUNKER.min;
const data = randomBuffer(20 * MiB, 1);

function chunkIds(buffer: Buffer, params: Readonly<ChunkerParams> = CHUNKER): string[] {
  const ids: string[] = [];
  let pos = 0;
  for (const length of chunkBuffer(buffer, params)) {
    ids.push(hashChunk(buffer.subarray(pos, pos + length)));
    pos += length;
  }
  return ids;
}

function assertBounds(lengths: number[], total: number, min = CHUNK_MIN): void {
  assert.equal(
    lengths.reduce((a, b) => a + b, 0),
    total,
  );
  lengths.forEach((n, i) => {
    assert.ok(n <= CHUNK_MAX, `chunk ${i} is ${n} bytes, over the maximum`);
    if (i < lengths.length - 1) assert.ok(n >= min, `chunk ${i} is ${n} bytes, under the minimum`);
    else assert.ok(n > 0);
  });
}

test('boundaries are content-defined: inserting bytes at the front keeps most chunk ids', () => {
  const before = chunkIds(data);
  assert.ok(before.length >= 8, `20 MiB should make several chunks, got ${before.length}`);
  for (const insert of [1, 100, 4096, 300_000]) {
    const edited = Buffer.concat([randomBuffer(insert, 1000 + insert), data]);
    const after = new Set(chunkIds(edited));
    const kept = before.filter(id => after.has(id)).length;
    // Small inserts change only the first chunk or two; a large one costs a few
    // chunks before the boundaries fall back in step. Either way most data dedups.
    if (insert < CHUNK_MIN)
      assert.ok(kept >= before.length - 2, `insert of ${insert} bytes: kept ${kept} of ${before.length} chunks`);
    assert.ok(kept >= before.length * 0.85, `insert of ${insert} bytes: kept only ${kept} of ${before.length} chunks`);
  }
});

test('an edit in the middle changes only the chunks around it', () => {
  const before = chunkIds(data);
  const edited = Buffer.from(data);
  randomBuffer(1000, 7).copy(edited, 10 * MiB);
  const after = new Set(chunkIds(edited));
  const kept = before.filter(id => after.has(id)).length;
  assert.ok(kept >= before.length - 2, `kept ${kept} of ${before.length}`);
  assert.ok(kept < before.length, 'the edited chunk itself must change');
});

test('chunk sizes respect the minimum and maximum on random, zero and repetitive data', () => {
  assertBounds(chunkBuffer(data), data.length);
  const zeros = Buffer.alloc(12 * MiB);
  assertBounds(chunkBuffer(zeros), zeros.length);
  const pattern = Buffer.alloc(9 * MiB + 123);
  for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 31) % 251;
  assertBounds(chunkBuffer(pattern), pattern.length);
  const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(200_000));
  assertBounds(chunkBuffer(text), text.length);
  // Random data is cut by content, not by the limits: most chunks are strictly between them.
  const lengths = chunkBuffer(data);
  const inside = lengths.filter(n => n > CHUNK_MIN && n < CHUNK_MAX).length;
  assert.ok(inside >= lengths.length - 1, `${inside} of ${lengths.length} chunks cut by content`);
});

test('the first parameter set (older repositories) also keeps within its minimum and maximum', () => {
  const first = chunkBuffer(data, FIRST_CHUNKER);
  assertBounds(first, data.length, FIRST_CHUNKER.min);
  assert.notDeepEqual(first, chunkBuffer(data), 'the two sets cut differently');
});

test('scattered 40 KiB overwrites change about one chunk each', () => {
  const rnd = seeded(15);
  const edited = Buffer.from(data);
  const writes = 16;
  for (let i = 0; i < writes; i++) {
    randomBuffer(40 * 1024, 500 + i).copy(edited, Math.floor(rnd() * (data.length - 40 * 1024)));
  }
  const fresh = (params: Readonly<ChunkerParams>) => {
    const before = new Set(chunkIds(data, params));
    return chunkIds(edited, params).filter(id => !before.has(id)).length;
  };
  const changed = fresh(CHUNKER);
  assert.ok(changed >= writes / 2 && changed <= writes * 2, `${changed} new chunks for ${writes} writes`);
});

test('small and empty inputs', () => {
  assert.deepEqual(chunkBuffer(Buffer.alloc(0)), []);
  assert.deepEqual(chunkBuffer(Buffer.alloc(10)), [10]);
  assert.deepEqual(chunkBuffer(Buffer.alloc(CHUNK_MIN)), [CHUNK_MIN]);
  const s = new StreamChunker();
  assert.deepEqual(s.push(Buffer.alloc(0)), []);
  assert.deepEqual(s.finish(), []);
});

test('StreamChunker with any segmentation cuts exactly like chunkBuffer', () => {
  const input = data.subarray(0, 12 * MiB + 4321);
  const expected = chunkBuffer(input);
  const expectedIds = chunkIds(input);
  for (let seed = 1; seed <= 6; seed++) {
    const rnd = seeded(seed);
    const chunker = new StreamChunker();
    const got: Buffer[] = [];
    let pos = 0;
    while (pos < input.length) {
      // Mostly small-to-medium segments, sometimes huge ones, sometimes a single byte.
      const r = rnd();
      const size = r < 0.1 ? 1 : r < 0.2 ? 4096 : r < 0.3 ? CHUNK_MAX + 17 : Math.floor(rnd() ** 2 * 3 * MiB) + 1;
      // Fresh copies: the chunker must not depend on the caller's buffer identity.
      got.push(...chunker.push(Buffer.from(input.subarray(pos, pos + size))));
      pos += size;
    }
    got.push(...chunker.finish());
    assert.deepEqual(
      got.map(c => c.length),
      expected,
      `segmentation seed ${seed}`,
    );
    assert.deepEqual(
      got.map(c => hashChunk(c)),
      expectedIds,
      `segmentation seed ${seed}`,
    );
  }
});

test('chunks returned earlier stay intact after later pushes', () => {
  const input = data.subarray(0, 6 * MiB);
  const chunker = new StreamChunker();
  const got: Buffer[] = [];
  for (let pos = 0; pos < input.length; pos += 700_000)
    got.push(...chunker.push(Buffer.from(input.subarray(pos, pos + 700_000))));
  got.push(...chunker.finish());
  assert.ok(Buffer.concat(got).equals(input));
});
