/**
 * The writer locks a directory repository holds: version 1's `writer` and
 * version 2's lock files (`<16 hex>`), by name; claims and probes left out.
 */
import {existsSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';

export function lockFiles(repo: string): string[] {
  const dir = join(repo, 'locks');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter(n => n === 'writer' || /^[0-9a-f]{16}$/.test(n))
    .sort();
}

/** The pids whose version 2 lock files a directory repository holds. */
export function lockHolders(repo: string): number[] {
  return lockFiles(repo)
    .filter(n => n !== 'writer')
    .flatMap(n => {
      try {
        return [JSON.parse(readFileSync(join(repo, 'locks', n), 'utf8')).pid as number];
      } catch {
        return []; // released meanwhile
      }
    });
}
