/**
 * Chunks on each side of each threshold of the compression rule (blob.ts),
 * with the encoding the rule gives them: for the tests that check every
 * encoder (main thread, chunk workers) decides alike. Not a test file.
 */
import {randomBytes} from 'node:crypto';
import {DEFLATE, RAW} from '../../source/engine/repository/blob.js';

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

/** Chunks on each side of each of the rule's thresholds, with the encoding the rule gives them. */
export const CASES: {name: string; data: Buffer; encoding: number}[] = [
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
