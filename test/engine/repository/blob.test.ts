// The compression rule and the decode-and-check of a blob have one
// definition (blob.ts): what it stores decodes to the chunk, checked
// against its id; version 2 decides on the whole chunk (zstd, at most
// 97 %), version 1's rule stays for repositories that were not upgraded.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {deflateRawSync} from 'node:zlib';
import {BackhaulError} from '../../../source/engine/errors.js';
import {
  decodeBlob,
  DEFLATE,
  encodeBlob,
  hashChunk,
  keepLimitV2,
  RAW,
  V1_COMPRESSION,
  ZSTD,
} from '../../../source/engine/repository/blob.js';
import {zstdFrameBound} from '../../../source/engine/repository/zstd-frame.js';
import {CASES, text, V1_CASES, V2} from '../../helpers/compression-cases.js';

test('version 2: zstd on the whole chunk, kept at most 97 % of it, and decoded back', async () => {
  for (const {name, data, encoding} of CASES) {
    const e = await encodeBlob(data, V2);
    assert.equal(e.encoding, encoding, name);
    if (encoding === ZSTD) assert.ok(e.payload.length <= keepLimitV2(data.length), `${name}: kept only at most 97 %`);
    else assert.equal(e.payload, data, `${name}: raw is the chunk itself`);
    assert.ok(
      (await decodeBlob(e.payload, e.encoding, data.length, hashChunk(data), 'test')).equals(data),
      `${name}: decodes to the chunk`,
    );
  }
});

test('runs of zeros cost next to nothing: 4 MiB of zeros, and random bytes then zeros', async () => {
  const zeros = await encodeBlob(Buffer.alloc(4 * 1024 * 1024), V2);
  assert.ok(zeros.payload.length < 1024, `4 MiB of zeros stored in ${zeros.payload.length} bytes`);
  const mixed = Buffer.concat([randomBytes(40 * 1024), Buffer.alloc(4 * 1024 * 1024 - 40 * 1024)]);
  const e = await encodeBlob(mixed, V2);
  assert.equal(e.encoding, ZSTD);
  assert.ok(e.payload.length < 41 * 1024 + 1024, `40 KiB random + zeros stored in ${e.payload.length} bytes`);
});

test("the level is the repository's: a higher level stores no more", async () => {
  const data = text(1024 * 1024);
  const one = await encodeBlob(data, {algorithm: 'zstd', level: 1});
  const nine = await encodeBlob(data, {algorithm: 'zstd', level: 19});
  assert.ok(
    nine.payload.length < one.payload.length,
    `level 19 (${nine.payload.length}) below level 1 (${one.payload.length}): the level reaches zstd`,
  );
});

test('version 1: the sampled deflate rule, unchanged', async () => {
  for (const {name, data, encoding} of V1_CASES) {
    const e = await encodeBlob(data, V1_COMPRESSION);
    assert.equal(e.encoding, encoding, name);
    if (encoding === DEFLATE) assert.ok(e.payload.length < data.length * 0.85, `${name}: kept only under 85 %`);
    assert.ok(
      (await decodeBlob(e.payload, e.encoding, data.length, hashChunk(data), 'test')).equals(data),
      `${name}: decodes to the chunk`,
    );
  }
});

test('decoding checks the length and the id, and names the chunk', async () => {
  const data = text(4096);
  const id = hashChunk(data);
  const refused = (message: RegExp) => (e: unknown) =>
    e instanceof BackhaulError &&
    e.code === 'corrupt' &&
    message.test(e.message) &&
    e.message.includes(id.slice(0, 12));
  const z = (await encodeBlob(data, V2)).payload;
  await assert.rejects(
    decodeBlob(z, ZSTD, data.length - 1, id, 'pack x'),
    refused(/cannot be decompressed|does not match/),
  );
  await assert.rejects(
    decodeBlob(z, ZSTD, data.length, hashChunk(Buffer.from('other')).replace(/^.{12}/, id.slice(0, 12)), 'pack x'),
    refused(/does not match its hash/),
  );
  await assert.rejects(decodeBlob(randomBytes(100), ZSTD, 4096, id, 'pack x'), refused(/cannot be decompressed/));
  const d = deflateRawSync(data);
  await assert.rejects(
    decodeBlob(d, DEFLATE, data.length - 1, id, 'pack x'),
    refused(/cannot be decompressed|does not match/),
  );
  await assert.rejects(decodeBlob(randomBytes(100), DEFLATE, 4096, id, 'pack x'), refused(/cannot be decompressed/));
  await assert.rejects(
    decodeBlob(data, RAW, data.length, hashChunk(Buffer.from('other')), 'pack x'),
    e => e instanceof BackhaulError && /does not match/.test(e.message),
  );
  await assert.rejects(decodeBlob(data, 7, data.length, id, 'pack x'), refused(/cannot be decompressed/));
});

test('a zstd blob that would decompress far past its raw length is refused before decompressing', async () => {
  const bomb = (await encodeBlob(Buffer.alloc(4 * 1024 * 1024), V2)).payload;
  assert.ok(zstdFrameBound(bomb)! >= 4 * 1024 * 1024);
  const id = hashChunk(Buffer.alloc(1000));
  await assert.rejects(
    decodeBlob(bomb, ZSTD, 1000, id, 'pack x'),
    e => e instanceof BackhaulError && /cannot be decompressed/.test(e.message),
  );
  // Two frames back to back, or a frame with bytes after it: not one frame.
  const small = (await encodeBlob(text(4096), V2)).payload;
  assert.equal(zstdFrameBound(Buffer.concat([small, small])), undefined);
  assert.equal(zstdFrameBound(Buffer.concat([small, Buffer.from([0])])), undefined);
  assert.equal(zstdFrameBound(small.subarray(0, small.length - 1)), undefined);
});
