import {test} from 'node:test';
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdtemp, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {deflateRawSync} from 'node:zlib';
import {scanTreeIds, TreeIdCollector} from '../../../source/engine/repository/tree-ids.js';
import {VerifyPool} from '../../../source/engine/workers/verify-pool.js';

const id = (n: number) => createHash('sha256').update(String(n)).digest('hex');
const entry = (path: string, chunks?: string[]) =>
  JSON.stringify({
    path,
    type: chunks ? 'file' : 'dir',
    mode: 420,
    uid: 0,
    gid: 0,
    mtimeMs: 1,
    size: 0,
    ...(chunks ? {chunks} : {}),
  });

/** What parsing every line gives: the reference the scanner must match. */
function parsed(text: string): string[] {
  return text
    .split('\n')
    .filter(Boolean)
    .flatMap(line => (JSON.parse(line) as {chunks?: string[]}).chunks ?? []);
}

test('the scanner finds exactly the ids parsing finds, including awkward paths and empty lists', () => {
  const lines = [
    entry('a', [id(1), id(2)]),
    entry('dir'),
    entry('"chunks":["x"]', [id(3)]), // the key inside a path is escaped, never matched
    entry('chunks', [id(4)]), // a value equal to the key makes the scanner fall back to parsing
    entry('empty', []),
    entry('ü/ß', [id(5)]),
  ];
  const text = lines.join('\n') + '\n';
  const data = Buffer.from(text);
  assert.deepEqual(scanTreeIds(data, 0, data.length), parsed(text));
  const fast = [entry('a', [id(1)]), entry('"chunks":[', [id(2), id(3)])].join('\n') + '\n';
  assert.deepEqual(scanTreeIds(Buffer.from(fast), 0, Buffer.byteLength(fast)), [id(1), id(2), id(3)]);
});

test('other spacing falls back to parsing', () => {
  const text = `{"path":"a","chunks": ["${id(1)}", "${id(2)}"]}\n{"path":"b","chunks":["${id(3)}"]}\n`;
  assert.deepEqual(scanTreeIds(Buffer.from(text), 0, text.length), [id(1), id(2), id(3)]);
});

test('lines split across tree chunks are joined, whether scanned here or by the workers', async () => {
  const text = Array.from({length: 300}, (_, i) => entry(`f${i}`, [id(i), id(i + 1000)])).join('\n') + '\n';
  const data = Buffer.from(text);
  const cuts = [0, 17, 5000, 5001, 30000, data.length];
  const pieces = cuts.slice(1).map((end, i) => data.subarray(cuts[i], end));
  const want = new Set(parsed(text));

  const here = new TreeIdCollector();
  for (const piece of pieces) here.addChunk(piece);
  assert.deepEqual(new Set(here.finish().flat()), want);

  const pool = new VerifyPool(2);
  try {
    const there = new TreeIdCollector();
    for (const piece of pieces) {
      const stored = deflateRawSync(piece);
      const got = await pool.treeChunk({data: stored}, [
        createHash('sha256').update(piece).digest('hex'),
        0,
        stored.length,
        piece.length,
        1,
      ]);
      assert.ok(got);
      there.add(got.head, got.ids, got.tail);
    }
    assert.deepEqual(new Set(there.finish().flat()), want);
    // A chunk that does not match its id is left to the caller, who reads it and says why.
    assert.equal(
      await pool.treeChunk({data: pieces[1]!}, [id(1), 0, pieces[1]!.length, pieces[1]!.length, 0]),
      undefined,
    );
  } finally {
    await pool.close();
  }
});

test('a tree chunk stored raw is scanned whole by the workers too, given as bytes or read from its pack', async () => {
  // Tree chunks under 512 bytes are stored raw (the compression rule); the workers once scanned such a chunk,
  // given as bytes, as a plain Uint8Array and found no id in its complete lines.
  const text = [entry('a', [id(1)]), entry('b', [id(2)]), entry('c', [id(3)]), entry('d', [id(4)])].join('\n') + '\n';
  const data = Buffer.from(text);
  const blob = [createHash('sha256').update(data).digest('hex'), 0, data.length, data.length, 0] as const;
  const dir = await mkdtemp(join(tmpdir(), 'backhaul-tree-ids-'));
  const pool = new VerifyPool(1);
  try {
    const pack = join(dir, 'pack');
    await writeFile(pack, Buffer.concat([Buffer.from('x'.repeat(100)), data]));
    for (const [input, at] of [
      [{data}, 0],
      [{path: pack}, 100],
    ] as const) {
      const got = await pool.treeChunk(input, [blob[0], at, blob[2], blob[3], blob[4]]);
      assert.ok(got);
      const collector = new TreeIdCollector();
      collector.add(got.head, got.ids, got.tail);
      assert.deepEqual(got.ids, [id(2), id(3), id(4)], 'the complete lines after the first line break');
      assert.deepEqual(new Set(collector.finish().flat()), new Set(parsed(text)));
    }
  } finally {
    await pool.close();
    await rm(dir, {recursive: true, force: true});
  }
});
