/**
 * Compares directory trees the way a restore must reproduce them: same
 * entries, types, modes, owners, mtimes (ms), sizes, symlink targets, and the
 * same bytes (`diff -r --no-dereference`). Not a test file.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {execaSync} from 'execa';

export interface EntryInfo {
  type: 'file' | 'dir' | 'symlink' | 'other';
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  size: number;
  target?: string;
}

/** Every entry below `root` (not root itself), by relative path, from lstat. */
export async function snapshot(root: string): Promise<Map<string, EntryInfo>> {
  const out = new Map<string, EntryInfo>();
  const walk = async (dir: string, rel: string): Promise<void> => {
    const names = await fs.readdir(dir);
    await Promise.all(
      names.map(async name => {
        const abs = join(dir, name);
        const path = rel ? `${rel}/${name}` : name;
        const s = await fs.lstat(abs);
        const type = s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : s.isFile() ? 'file' : 'other';
        out.set(path, {
          type,
          mode: s.mode & 0o7777,
          uid: s.uid,
          gid: s.gid,
          mtimeMs: Math.floor(s.mtimeMs),
          size: type === 'file' ? s.size : 0,
          ...(type === 'symlink' ? {target: await fs.readlink(abs)} : {}),
        });
        if (type === 'dir') await walk(abs, path);
      }),
    );
  };
  await walk(root, '');
  return out;
}

/** Asserts two snapshots are equal entry by entry (owners only when `owners`), with readable messages. */
export function assertSameEntries(
  source: Map<string, EntryInfo>,
  restored: Map<string, EntryInfo>,
  options: {owners?: boolean; label?: string} = {},
): void {
  const label = options.label ? `${options.label}: ` : '';
  const missing = [...source.keys()].filter(p => !restored.has(p));
  const extra = [...restored.keys()].filter(p => !source.has(p));
  assert.deepEqual(missing.slice(0, 10), [], `${label}${missing.length} entries not restored`);
  assert.deepEqual(extra.slice(0, 10), [], `${label}${extra.length} unexpected entries restored`);
  let checked = 0;
  for (const [path, want] of source) {
    const got = restored.get(path)!;
    const fields: (keyof EntryInfo)[] = ['type', 'mode', 'mtimeMs', 'size', 'target'];
    if (options.owners) fields.push('uid', 'gid');
    for (const f of fields) {
      if (got[f] !== want[f]) {
        assert.fail(`${label}${JSON.stringify(path)}: ${f} is ${String(got[f])}, expected ${String(want[f])}`);
      }
    }
    checked++;
  }
  assert.equal(checked, source.size);
}

/** `diff -r --no-dereference`: same contents and symlink targets, no following of links. */
export function assertDiffClean(a: string, b: string): void {
  const r = execaSync('diff', ['-r', '--no-dereference', a, b], {reject: false, maxBuffer: 64 * 1024 * 1024});
  assert.equal(r.exitCode, 0, `diff -r ${a} ${b} found differences:\n${(r.stdout + r.stderr).slice(0, 2000)}`);
}

export async function sameTree(
  source: string,
  restored: string,
  options: {owners?: boolean; label?: string} = {},
): Promise<void> {
  assertDiffClean(source, restored);
  assertSameEntries(await snapshot(source), await snapshot(restored), options);
}
