// A sound pack has one definition (pack.ts packProblem), which verify, a
// writer adopting packs and the copy's workers all use: these are its cases.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash, randomBytes} from 'node:crypto';
import {BackhaulError} from '../../../source/engine/errors.js';
import type {ChunkId} from '../../../source/engine/ids.js';
import {
  PackBuilder,
  packProblem,
  parsePackTrailer,
  PACK_MAGIC,
  type BlobEntry,
} from '../../../source/engine/repository/pack.js';

const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

function sealed(...payloads: Buffer[]): {data: Buffer; id: string; blobs: BlobEntry[]} {
  const builder = new PackBuilder();
  for (const p of payloads) builder.add(sha(p) as ChunkId, p, p.length, 0);
  const {id, parts, blobs} = builder.seal();
  return {data: Buffer.concat(parts), id, blobs};
}

/** A pack of `body` with a trailer listing `blobs` as given, however wrong. */
function crafted(body: Buffer, blobs: unknown[]): Buffer {
  const trailer = Buffer.from(JSON.stringify({blobs}));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(trailer.length);
  return Buffer.concat([body, trailer, length, PACK_MAGIC]);
}

test('a pack the writer seals is sound, against its id and its own blobs', () => {
  const {data, id, blobs} = sealed(randomBytes(1000), randomBytes(10), randomBytes(3000));
  assert.equal(packProblem(data, {id, blobs}), undefined);
  assert.equal(
    packProblem(data, {blobs: [...blobs].reverse()}),
    undefined,
    'the order of the expected blobs does not matter',
  );
  assert.deepEqual(parsePackTrailer(data, id), blobs);
});

test('each way a pack can be unsound is named', () => {
  const {data, blobs} = sealed(randomBytes(1000), randomBytes(2000));
  assert.match(packProblem(data, {id: sha(Buffer.from('other'))})!, /do not hash to its id/);
  const wrongRaw = blobs.map((b, i) => (i === 0 ? ([b[0], b[1], b[2], b[3] + 1, b[4]] as const) : b));
  assert.match(packProblem(data, {blobs: wrongRaw})!, /does not list the blobs the index names/);
  assert.match(packProblem(data, {blobs: blobs.slice(1)})!, /does not list the blobs/);
  assert.match(packProblem(data.subarray(0, data.length - 1))!, /no valid trailer/);
  const longTrailer = Buffer.from(data);
  longTrailer.writeUInt32LE(data.length, data.length - 12);
  assert.match(packProblem(longTrailer)!, /damaged trailer/);

  const body = randomBytes(300);
  const entry = (offset: number, length: number) => [
    sha(body.subarray(offset, offset + length)),
    offset,
    length,
    length,
    0,
  ];
  assert.equal(packProblem(crafted(body, [entry(0, 100), entry(100, 200)])), undefined, 'blobs that tile the body');
  assert.match(packProblem(crafted(body, [entry(0, 100), entry(150, 150)]))!, /do not fill it/, 'a gap between blobs');
  assert.match(packProblem(crafted(body, [entry(0, 200), entry(100, 200)]))!, /do not fill it/, 'overlapping blobs');
  assert.match(
    packProblem(crafted(body, [entry(0, 100)]))!,
    /do not fill it/,
    'bytes no blob covers before the trailer',
  );
  assert.match(
    packProblem(crafted(body, [[...entry(0, 300).slice(0, 4), 7]]))!,
    /damaged trailer/,
    'an unknown encoding',
  );
});

test('parsePackTrailer refuses what packProblem calls a damaged trailer, as corruption', () => {
  const {data, id} = sealed(randomBytes(100));
  assert.throws(
    () => parsePackTrailer(data.subarray(0, data.length - 3), id),
    e => e instanceof BackhaulError && e.code === 'corrupt' && /no valid trailer/.test(e.message),
  );
  const bad = Buffer.from(data);
  bad[data.length - 13] = 0x7b; // the trailer's closing brace becomes an opening one
  assert.throws(
    () => parsePackTrailer(bad, id),
    e => e instanceof BackhaulError && /damaged trailer/.test(e.message),
  );
});
