/**
 * A job with a retention policy copies only what its policy would keep:
 * of the points a run's rule picks, those the policy (retention/policy.ts),
 * applied to them together with the points the target already holds, would
 * remove at once are not copied (they join the "not selected"). Without
 * this, a rule like `all` or an immediate job's `since:` would copy again,
 * on every run, the points the last retention removed from the target.
 *
 * Guarantees: a point the policy keeps is never dropped here, so the newest
 * picked points (short-term, at least 3) are always copied; the target is
 * only read (its catalogue).
 */
import type {BackupId} from '../ids.js';
import type {PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {selectPoints, type RetentionPolicy} from '../retention/policy.js';

export async function withinRetention(
  picked: PointManifest[],
  filtered: PointManifest[],
  target: Repository,
  backup: BackupId,
  onTarget: boolean,
  policy: RetentionPolicy,
): Promise<{picked: PointManifest[]; filtered: PointManifest[]}> {
  const held = onTarget ? await target.listPointSummaries(backup) : [];
  const ids = new Set(held.map(p => p.id));
  const all = [...held.map(p => ({id: p.id, time: p.time})), ...picked.filter(p => !ids.has(p.id))];
  const kept = new Set(selectPoints(all, policy).kept.map(k => k.point.id));
  return {
    picked: picked.filter(p => kept.has(p.id)),
    filtered: [...filtered, ...picked.filter(p => !kept.has(p.id))].sort((a, b) => a.time.localeCompare(b.time)),
  };
}
