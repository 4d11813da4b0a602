/**
 * Restores the same point from two repositories and checks the results are
 * identical: `diff -r --no-dereference` (contents and symlinks), plus a
 * listing of type, mode, mtime, size and SHA-256 of every entry (diff does not
 * look at metadata), so images are compared by hash too.
 */
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {lstat, readdir, readlink, rm} from 'node:fs/promises';
import {join} from 'node:path';
import {execaSync} from 'execa';
import type {Workspace} from './demo-cache.js';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** path → "type mode mtime size sha256|target", everything under root. */
export async function listing(root: string, rel = '', out = new Map<string, string>()): Promise<Map<string, string>> {
  for (const name of (await readdir(join(root, rel))).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    const st = await lstat(join(root, path));
    const head = `${(st.mode & 0o7777).toString(8)} ${Math.floor(st.mtimeMs)}`;
    if (st.isDirectory()) {
      out.set(path, `dir ${(st.mode & 0o7777).toString(8)}`);
      await listing(root, path, out);
    } else if (st.isSymbolicLink()) {
      out.set(path, `link ${await readlink(join(root, path))}`);
    } else {
      out.set(path, `file ${head} ${st.size} ${await sha256File(join(root, path))}`);
    }
  }
  return out;
}

export interface RestoreTarget {
  backup: string;
  point: string;
  node?: string;
}

/** Restores `what` from both repositories into DIR/a and DIR/b and asserts they are identical; returns the listing. */
export async function assertSameRestore(
  ws: Workspace,
  from: string,
  to: string,
  what: RestoreTarget,
  dir: string,
): Promise<Map<string, string>> {
  const a = join(dir, 'a');
  const b = join(dir, 'b');
  await rm(dir, {recursive: true, force: true});
  const extra = what.node ? ['--node', what.node] : [];
  for (const [repo, into] of [
    [from, a],
    [to, b],
  ] as const) {
    const r = await ws.run([
      'restore',
      '--repo',
      repo,
      '--backup',
      what.backup,
      '--point',
      what.point,
      '--to',
      into,
      '--json',
      ...extra,
    ]);
    assert.equal(r.code, 0, `restore of ${what.backup}/${what.point} from ${repo} failed: ${r.stderr}`);
  }
  const diff = execaSync('diff', ['-r', '--no-dereference', a, b], {reject: false, maxBuffer: 1 << 24});
  assert.equal(
    diff.exitCode,
    0,
    `restores of ${what.backup}/${what.point} differ:\n${diff.stdout.slice(0, 2000)}${diff.stderr}`,
  );
  const [la, lb] = [await listing(a), await listing(b)];
  assert.ok(la.size > 0, 'the restore wrote nothing');
  assert.deepEqual([...lb], [...la]);
  await rm(dir, {recursive: true, force: true});
  return la;
}
