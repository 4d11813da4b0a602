/**
 * Chunk boundaries are part of the repository format: the same bytes must cut at
 * the same places on every machine and in every version, or nothing written
 * before deduplicates against what is written after. These vectors pin the cut
 * points of three inputs built from nothing but SHA-256 and an LCG (defined here,
 * so a change to a test helper cannot move them). If this test fails, the
 * chunker changed: that is a new format version, not a test to update.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {test} from 'node:test';
import {chunkBuffer, StreamChunker} from '../../../source/engine/repository/chunker.js';

const MiB = 1024 * 1024;

/** SHA-256 in counter mode: block i is SHA-256("<seed>:<i>"). */
function hashStream(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0, offset = 0; offset < size; i++) {
    offset += createHash('sha256').update(`${seed}:${i}`).digest().copy(out, offset);
  }
  return out;
}

/** Repetitive text: words picked by a 32-bit LCG (the classic 1103515245, 12345). */
function lcgText(size: number): Buffer {
  const words = ['backup ', 'copy ', 'restore ', 'point ', 'chain ', 'agent ', 'node\n'];
  const out = Buffer.alloc(size);
  for (let offset = 0, x = 1; offset < size;) {
    x = (x * 1103515245 + 12345) >>> 0;
    offset += out.write(words[x % words.length]!, offset);
  }
  return out;
}

const RANDOM_8MIB = [
  266659, 263759, 276319, 264926, 275328, 289802, 267546, 262662, 268992, 274356, 267192, 263831, 274084, 272179,
  273836, 264070, 269946, 272676, 271244, 263154, 266085, 279802, 266773, 269995, 292353, 307887, 265947, 273359,
  277125, 275256, 211465,
];
const TEXT_6MIB = [263457, ...Array<number>(22).fill(262196), 259687];
const ZEROS_9MIB = [4194304, 4194304, 1048576];

const vectors: Array<[string, () => Buffer, number[]]> = [
  ['8 MiB of SHA-256("backhaul-chunker-v1:<i>")', () => hashStream('backhaul-chunker-v1', 8 * MiB), RANDOM_8MIB],
  ['6 MiB of LCG-chosen words', () => lcgText(6 * MiB), TEXT_6MIB],
  ['9 MiB of zeros', () => Buffer.alloc(9 * MiB), ZEROS_9MIB],
];

for (const [name, make, expected] of vectors) {
  test(`chunk boundaries of ${name} are the pinned ones`, () => {
    const data = make();
    assert.deepEqual(chunkBuffer(data), expected);
  });

  test(`the streaming chunker cuts ${name} at the pinned boundaries whatever the segment size`, () => {
    const data = make();
    for (const segment of [65_536, 1_000_003]) {
      const chunker = new StreamChunker();
      const lengths: number[] = [];
      for (let offset = 0; offset < data.length; offset += segment) {
        lengths.push(...chunker.push(data.subarray(offset, offset + segment)).map(c => c.length));
      }
      lengths.push(...chunker.finish().map(c => c.length));
      assert.deepEqual(lengths, expected, `segments of ${segment} bytes`);
    }
  });
}
