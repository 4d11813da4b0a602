/**
 * Temporary directories that pass the sudo rule's repository checks: below
 * /var/lib/backhaul-tests (root's, 0700), where only root can write. The
 * system temp dir (/tmp, world-writable) never passes them. Root only:
 * callers fall back to tmpdir() otherwise. Not a test file.
 */
import {mkdirSync} from 'node:fs';
import {mkdtemp} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

export const ROOT_ONLY_BASE = '/var/lib/backhaul-tests';

/** A new directory only root can write (as root), else a plain temp dir. */
export async function rootOnlyTempDir(label: string): Promise<string> {
  if (process.getuid?.() !== 0) return mkdtemp(join(tmpdir(), `${label}-`));
  mkdirSync(ROOT_ONLY_BASE, {recursive: true, mode: 0o700});
  return mkdtemp(join(ROOT_ONLY_BASE, `${label}-`));
}
