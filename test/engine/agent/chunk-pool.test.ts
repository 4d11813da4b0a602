// The chunking workers (chunk-worker.ts) cut, hash and encode with the
// format's own functions: each chunk they return is what the main thread's
// chunker, hash and compression rule make of the same bytes.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {ChunkPool, STREAM_SLOT, type ChunkOut, type Payloads} from '../../../source/engine/agent/chunk-pool.js';
import {encodeBlob, hashChunk} from '../../../source/engine/repository/blob.js';
import {CHUNKER, chunkBuffer} from '../../../source/engine/repository/chunker.js';
import {CASES, V2} from '../../helpers/compression-cases.js';
import {PLAIN_CODEC} from '../../../source/engine/repository/codec.js';
import {knownIdsOf} from '../../../source/engine/repository/known-ids.js';

/** What the main thread makes of `data`: [id, raw length, encoding, payload] per chunk; -1 and no payload for a known id. */
async function expected(data: Buffer, known: Set<string>): Promise<[string, number, number, Buffer?][]> {
  const out: [string, number, number, Buffer?][] = [];
  let pos = 0;
  for (const length of chunkBuffer(data)) {
    const chunk = data.subarray(pos, pos + length);
    pos += length;
    const id = hashChunk(chunk);
    if (known.has(id)) out.push([id, length, -1]);
    else {
      const {encoding, payload} = await encodeBlob(chunk, V2);
      out.push([id, length, encoding, payload]);
    }
  }
  return out;
}

function got(chunks: ChunkOut[], {raw, packed}: Payloads): [string, number, number, Buffer?][] {
  return chunks.map(([id, rawLength, encoding, offset, length]) =>
    encoding < 0
      ? [id, rawLength, encoding]
      : [id, rawLength, encoding, Buffer.from((encoding === 0 ? raw : packed).subarray(offset, offset + length))],
  );
}

test('whole files and stream segments: the same chunks, ids and stored bytes as the main thread makes', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'backhaul-chunk-pool-'));
  const known = new Set([hashChunk(CASES[1]!.data)]);
  const pool = new ChunkPool(knownIdsOf(known), {compression: V2, codec: PLAIN_CODEC, chunker: CHUNKER}, 2);
  try {
    const paths = await Promise.all(
      CASES.map(async ({data}, i) => {
        const path = join(dir, `case-${i}`);
        await writeFile(path, data);
        return path;
      }),
    );
    const files = await pool.files(
      paths,
      CASES.map(c => c.data.length),
    );
    try {
      for (const [i, file] of files.files.entries()) {
        assert.ok('chunks' in file, CASES[i]!.name);
        assert.deepEqual(got(file.chunks, files), await expected(CASES[i]!.data, known), CASES[i]!.name);
      }
    } finally {
      files.done();
    }

    const stream = Buffer.concat(CASES.map(c => c.data));
    const {slot, buffer} = pool.takeSlot(STREAM_SLOT);
    stream.copy(buffer);
    const {cut, result} = pool.stream(slot, 0, stream.length, true);
    assert.equal(await cut, stream.length, 'at the end of the stream everything is cut');
    const segment = await result;
    try {
      assert.deepEqual(got(segment.chunks, segment), await expected(stream, known));
    } finally {
      segment.done();
    }
  } finally {
    await pool.close();
    await rm(dir, {recursive: true, force: true});
  }
});

test('a file that cannot be read is reported for that file alone', async () => {
  const pool = new ChunkPool(knownIdsOf([]), {compression: V2, codec: PLAIN_CODEC, chunker: CHUNKER}, 1);
  try {
    const result = await pool.files(['/nonexistent/backhaul-test'], [10]);
    result.done();
    const [file] = result.files;
    assert.ok(file && 'error' in file && file.error.code === 'ENOENT');
  } finally {
    await pool.close();
  }
});
