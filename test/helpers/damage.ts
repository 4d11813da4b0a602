/**
 * Damaging a repository on purpose, for the corruption tests. Not a test file.
 */
import assert from 'node:assert/strict';
import {open} from 'node:fs/promises';
import {join} from 'node:path';
import {packKey} from '../../source/engine/repository/pack.js';
import type {Repository} from '../../source/engine/repository/repository.js';

/** Flips one byte in the middle of a chunk's stored bytes, in its pack file; returns a function that flips it back. */
export async function flipChunkByte(repoDir: string, repo: Repository, id: string): Promise<() => Promise<void>> {
  const loc = repo.index.get(id);
  assert.ok(loc, `chunk ${id} is indexed`);
  const path = join(repoDir, packKey(loc.pack));
  const position = loc.offset + Math.floor(loc.length / 2);
  const flip = async () => {
    const handle = await open(path, 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, position);
      byte[0] ^= 0x5a;
      await handle.write(byte, 0, 1, position);
    } finally {
      await handle.close();
    }
  };
  await flip();
  return flip;
}
