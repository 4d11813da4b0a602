/**
 * Chunks on each side of each threshold of the compression rule (blob.ts),
 * with the encoding the rule gives them: for the tests that check every
 * encoder (main thread, chunk workers) decides alike. Not a test file.
 */
import {randomBytes} from 'node:crypto';
import {DEFLATE, RAW, ZSTD, type Compression} from '../../source/engine/repository/blob.js';

/** What a new (version 2) repository compresses with. */
export const V2: Compression = {algorithm: 'zstd', level: 3};

/** Text that compresses well but not absurdly (a deterministic log). */
export function text(bytes: number): Buffer {
  const lines: string[] = [];
  for (let i = 0, n = 0; n < bytes; i++) {
    const line = `${String((i * 7919) % 100003).padStart(6, '0')} job=${i % 13} host=node-${i % 5} status=${i % 11 ? 'ok' : 'retry'} bytes=${(i * 104729) % 999983}\n`;
    lines.push(line);
    n += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

/** Version 2's rule (the whole chunk, zstd, kept at most 97 %): chunks on each side of it, with the encoding it gives them. */
export const CASES: {name: string; data: Buffer; encoding: number}[] = [
  {name: 'under 512 bytes: raw, however compressible', data: text(511), encoding: RAW},
  {name: '512 bytes of text', data: text(512), encoding: ZSTD},
  {name: '20 KiB of random bytes', data: randomBytes(20 * 1024), encoding: RAW},
  {
    name: 'random first 16 KiB, then text: the whole chunk decides',
    data: Buffer.concat([randomBytes(16 * 1024), text(64 * 1024)]),
    encoding: ZSTD,
  },
  {
    name: 'random first 64 KiB, then 1 MiB of zeros (a disk image)',
    data: Buffer.concat([randomBytes(64 * 1024), Buffer.alloc(1024 * 1024)]),
    encoding: ZSTD,
  },
  {
    name: '100 KiB random, 1 KiB of text: saves under 3 %, raw',
    data: Buffer.concat([randomBytes(100 * 1024), text(1024)]),
    encoding: RAW,
  },
  {name: '4 MiB of zeros', data: Buffer.alloc(4 * 1024 * 1024), encoding: ZSTD},
  {name: '1 MiB of text', data: text(1024 * 1024), encoding: ZSTD},
];

/** Version 1's rule (a sample, deflate, under 85 %), still what a writer adding to a version 1 repository uses. */
export const V1_CASES: {name: string; data: Buffer; encoding: number}[] = [
  {name: 'under 512 bytes: raw, however compressible', data: text(511), encoding: RAW},
  {name: '512 bytes of text', data: text(512), encoding: DEFLATE},
  {name: '20 KiB of text (no sample try at this size)', data: text(20 * 1024), encoding: DEFLATE},
  {name: '20 KiB of random bytes', data: randomBytes(20 * 1024), encoding: RAW},
  {
    name: 'random first 16 KiB, then text: the sample says no',
    data: Buffer.concat([randomBytes(16 * 1024), text(64 * 1024)]),
    encoding: RAW,
  },
  {
    name: 'text first 16 KiB, then random: tried, not kept',
    data: Buffer.concat([text(16 * 1024), randomBytes(200 * 1024)]),
    encoding: RAW,
  },
  {
    name: 'text first 16 KiB, then half text: kept',
    data: Buffer.concat([text(16 * 1024), randomBytes(40 * 1024), text(60 * 1024)]),
    encoding: DEFLATE,
  },
  {name: '1 MiB of text', data: text(1024 * 1024), encoding: DEFLATE},
];
