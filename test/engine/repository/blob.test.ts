// The compression rule and the decode-and-check of a blob have one
// definition (blob.ts): both encoders decide alike, and what they store
// decodes to the chunk, checked against its id.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {BackhaulError} from '../../../source/engine/errors.js';
import {
  decodeBlob,
  DEFLATE,
  encodeBlob,
  encodeBlobAsync,
  hashChunk,
  RAW,
} from '../../../source/engine/repository/blob.js';
import {CASES, text} from '../../helpers/compression-cases.js';

test('the compression rule, sync (the chunk workers) and async (the writer) alike', async () => {
  for (const {name, data, encoding} of CASES) {
    const sync = encodeBlob(data);
    const async = await encodeBlobAsync(data);
    assert.equal(sync.encoding, encoding, name);
    assert.equal(async.encoding, encoding, name);
    assert.ok(sync.payload.equals(async.payload), `${name}: the same bytes stored`);
    if (encoding === DEFLATE) assert.ok(sync.payload.length < data.length * 0.85, `${name}: kept only under 85 %`);
    else assert.equal(sync.payload, data, `${name}: raw is the chunk itself`);
    assert.ok(
      decodeBlob(sync.payload, sync.encoding, data.length, hashChunk(data), 'test').equals(data),
      `${name}: decodes to the chunk`,
    );
  }
});

test('decoding checks the length and the id, and names the chunk', () => {
  const data = text(4096);
  const {payload} = encodeBlob(data);
  const id = hashChunk(data);
  const refused = (message: RegExp) => (e: unknown) =>
    e instanceof BackhaulError &&
    e.code === 'corrupt' &&
    message.test(e.message) &&
    e.message.includes(id.slice(0, 12));
  assert.throws(
    () => decodeBlob(payload, DEFLATE, data.length - 1, id, 'pack x'),
    refused(/cannot be decompressed|does not match/),
  );
  assert.throws(
    () =>
      decodeBlob(
        payload,
        DEFLATE,
        data.length,
        hashChunk(Buffer.from('other')).replace(/^.{12}/, id.slice(0, 12)),
        'pack x',
      ),
    refused(/does not match its hash/),
  );
  assert.throws(() => decodeBlob(randomBytes(100), DEFLATE, 4096, id, 'pack x'), refused(/cannot be decompressed/));
  assert.throws(
    () => decodeBlob(data, RAW, data.length, hashChunk(Buffer.from('other')), 'pack x'),
    e => e instanceof BackhaulError && /does not match/.test(e.message),
  );
});
