/**
 * The restore side of repository/names.ts: every name a restore turns into a
 * place on disk — a path component, a node name, a disk name — must be one
 * safe segment, and every path a relative chain of them within the limits a
 * Linux filesystem holds. Records read through Repository were checked
 * already; a restore checks again what it is about to write, because a plan
 * can also come from a manifest handed in directly, and a second look at the
 * one thing that decides where bytes land costs nothing.
 */
import {BackhaulError} from '../errors.js';
import {pathProblem, segmentProblem, targetProblem} from '../repository/names.js';

const unsafe = (what: string, value: unknown, why: string) =>
  new BackhaulError(
    'corrupt',
    `Refusing unsafe ${what} in manifest: ${JSON.stringify(String(value)).slice(0, 200)} (${why}).`,
    'The backup may have been tampered with; nothing was written.',
  );

/** A node, disk or file name that becomes exactly one path segment. */
export function checkSegment(name: unknown, what = 'name'): string {
  const problem = segmentProblem(name);
  if (problem) throw unsafe(what, name, `it ${problem}`);
  return name as string;
}

/** A manifest path, split into its parts; refused unless every part is one safe segment. */
export function checkEntryPath(path: unknown): string[] {
  const problem = pathProblem(path);
  if (problem) throw unsafe('path', path, `it ${problem}`);
  return (path as string).split('/');
}

/** A symlink's target is data (never followed), but must be something symlink(2) can hold. */
export function checkLinkTarget(target: unknown, path: string): string {
  const problem = targetProblem(target);
  if (problem) throw unsafe('symlink', path, `its target ${problem}`);
  return target as string;
}
