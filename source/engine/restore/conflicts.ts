/**
 * Where each planned entry lands in a destination that may already hold
 * files: the preflight of a delegated (or sudo) restore into a directory. It
 * runs as the recipient and writes nothing.
 *
 * Conflict modes: 'overwrite' replaces existing files and symlinks (never a
 * directory); 'keep' leaves what exists and writes the restored copy next to
 * it as `NAME.RESTORED_YYYYMMDD_HHMMSS.EXT` (before the last extension; a
 * name without one, and every directory, gets the suffix at the end);
 * 'fail' refuses the whole restore if anything exists.
 * Always refused: an existing symlink where the plan needs a directory (a
 * planted link would lead writes out of the destination).
 */
import * as fs from 'node:fs/promises';
import {join} from 'node:path';
import {BackhaulError, denied} from '../errors.js';
import type {PlannedEntry} from './plan.js';

export type Conflict = 'overwrite' | 'keep' | 'fail';

export interface Placement {
  entry: PlannedEntry;
  /** Destination-relative parts after renames. */
  parts: string[];
  /** What is there now: nothing, a directory to merge into, or something to replace. */
  existing: 'none' | 'merge' | 'replace';
  /** Set when 'keep' gave the restored copy a new name. */
  renamedFrom?: string;
}

/** `RESTORED_YYYYMMDD_HHMMSS` in UTC. */
export function restoredStamp(now: Date): string {
  const iso = now.toISOString();
  return `RESTORED_${iso.slice(0, 10).replace(/-/g, '')}_${iso.slice(11, 19).replace(/:/g, '')}`;
}

export function restoredName(name: string, stamp: string, isDir = false): string {
  const dot = name.lastIndexOf('.');
  if (isDir || dot <= 0) return `${name}.${stamp}`;
  return `${name.slice(0, dot)}.${stamp}${name.slice(dot)}`;
}

const lstatOrUndefined = (path: string) => fs.lstat(path).catch((e: NodeJS.ErrnoException) => {
  if (e.code === 'ENOENT') return undefined;
  throw e;
});

/** Works out every entry's place; throws `exists` (mode 'fail') or `denied`/`exists` for refused cases. */
export async function placeEntries(root: string, entries: readonly PlannedEntry[], conflict: Conflict, stamp: string): Promise<Placement[]> {
  const sorted = [...entries].sort((a, b) => a.parts.length - b.parts.length);
  /** Planned dir path → its place; `fresh` when it will be created (nothing below it can exist). */
  const dirs = new Map<string, {parts: string[]; fresh: boolean}>([['', {parts: [], fresh: false}]]);
  const placements: Placement[] = [];
  const clashes: string[] = [];
  for (const entry of sorted) {
    const parent = dirs.get(entry.parts.slice(0, -1).join('/')) ?? {parts: entry.parts.slice(0, -1), fresh: false};
    const name = entry.parts.at(-1)!;
    const place: Placement = {entry, parts: [...parent.parts, name], existing: 'none'};
    const found = parent.fresh ? undefined : await lstatOrUndefined(join(root, ...place.parts));
    const shown = place.parts.join('/');
    if (found) {
      const wantDir = entry.type === 'dir';
      if (wantDir && found.isSymbolicLink()) {
        throw denied(`Refusing to restore through the symlink ${shown} in the destination.`, 'Remove the symlink, or restore to another directory.');
      }
      if (wantDir && found.isDirectory()) {
        place.existing = 'merge';
      } else if (conflict === 'fail') {
        clashes.push(shown);
      } else if (conflict === 'overwrite') {
        if (found.isDirectory() || wantDir) {
          throw new BackhaulError('exists', `${shown} exists as a ${found.isDirectory() ? 'directory' : 'file'}; the restore has a ${entry.type} there.`, 'Nothing was written. Move it away, or choose Keep to restore next to it.');
        }
        place.existing = 'replace';
      } else {
        const renamed = restoredName(name, stamp, wantDir);
        place.parts = [...parent.parts, renamed];
        place.renamedFrom = shown;
        if (await lstatOrUndefined(join(root, ...place.parts))) {
          throw new BackhaulError('exists', `${place.parts.join('/')} already exists too.`, 'Nothing was written. Wait a second and run the restore again (the suffix carries the time).');
        }
      }
    }
    if (entry.type === 'dir') dirs.set(entry.parts.join('/'), {parts: place.parts, fresh: parent.fresh || place.existing !== 'merge'});
    placements.push(place);
  }
  if (clashes.length > 0) {
    throw new BackhaulError('exists', `${clashes.length === 1 ? 'A file' : `${clashes.length} files`} to restore already exist: ${clashes.slice(0, 5).join(', ')}${clashes.length > 5 ? ', …' : ''}.`,
      'Nothing was written. Choose overwrite or keep (--conflict), or restore to an empty directory.');
  }
  return placements;
}
