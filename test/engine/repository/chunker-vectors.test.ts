/**
 * Chunk boundaries are part of the repository format: the same bytes must cut at
 * the same places on every machine and in every version, or nothing written
 * before deduplicates against what is written after. These vectors pin the cut
 * points of three inputs built from nothing but SHA-256 and an LCG (defined here,
 * so a change to a test helper cannot move them), for each parameter set a
 * config may name. If this test fails, the chunker changed: that is a new
 * parameter set (FORMAT.md, "Chunking"), not a test to update.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {test} from 'node:test';
import {
  CHUNKER,
  chunkBuffer,
  FIRST_CHUNKER,
  StreamChunker,
  type ChunkerParams,
} from '../../../source/engine/repository/chunker.js';

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

/** The first set (min 256 KiB). */
const RANDOM_8MIB = [
  266659, 263759, 276319, 264926, 275328, 289802, 267546, 262662, 268992, 274356, 267192, 263831, 274084, 272179,
  273836, 264070, 269946, 272676, 271244, 263154, 266085, 279802, 266773, 269995, 292353, 307887, 265947, 273359,
  277125, 275256, 211465,
];
const TEXT_6MIB = [263457, ...Array<number>(22).fill(262196), 259687];
const ZEROS_9MIB = [4194304, 4194304, 1048576];

/** The second set (min 128 KiB, normalised at 256 KiB): new repositories. */
const RANDOM_8MIB_2 = [
  469941, 179383, 663458, 178044, 625152, 333702, 438890, 346895, 409168, 356254, 261546, 457199, 360808, 163614,
  297384, 272960, 355632, 195809, 310810, 221149, 283861, 215820, 337651, 140032, 309115, 204331,
];
/** The words repeat with a period that never meets the second set's masks: cut at the maximum only. */
const TEXT_6MIB_2 = [4194304, 2097152];

const random = () => hashStream('backhaul-chunker-v1', 8 * MiB);
const text = () => lcgText(6 * MiB);
const zeros = () => Buffer.alloc(9 * MiB);
const vectors: Array<[string, Readonly<ChunkerParams>, () => Buffer, number[]]> = [
  ['8 MiB of SHA-256("backhaul-chunker-v1:<i>"), first set', FIRST_CHUNKER, random, RANDOM_8MIB],
  ['6 MiB of LCG-chosen words, first set', FIRST_CHUNKER, text, TEXT_6MIB],
  ['9 MiB of zeros, first set', FIRST_CHUNKER, zeros, ZEROS_9MIB],
  ['8 MiB of SHA-256("backhaul-chunker-v1:<i>"), second set', CHUNKER, random, RANDOM_8MIB_2],
  ['6 MiB of LCG-chosen words, second set', CHUNKER, text, TEXT_6MIB_2],
  ['9 MiB of zeros, second set', CHUNKER, zeros, ZEROS_9MIB],
];

for (const [name, params, make, expected] of vectors) {
  test(`chunk boundaries of ${name} are the pinned ones`, () => {
    const data = make();
    assert.deepEqual(chunkBuffer(data, params), expected);
  });

  test(`the streaming chunker cuts ${name} at the pinned boundaries whatever the segment size`, () => {
    const data = make();
    for (const segment of [65_536, 1_000_003]) {
      const chunker = new StreamChunker(params);
      const lengths: number[] = [];
      for (let offset = 0; offset < data.length; offset += segment) {
        lengths.push(...chunker.push(data.subarray(offset, offset + segment)).map(c => c.length));
      }
      lengths.push(...chunker.finish().map(c => c.length));
      assert.deepEqual(lengths, expected, `segments of ${segment} bytes`);
    }
  });
}
