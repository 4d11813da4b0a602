/**
 * Every screen of the TUI, listed once. A screen file exports
 * `defineScreen({...})` (screen.ts); adding a screen is one import and one
 * entry in `SCREENS`. A duplicate id is a programming error and throws at start.
 */
import type {Screen} from './screen.js';
import {backupsScreen} from './backups.js';
import {historyScreen} from './history.js';
import {nodesScreen} from './nodes.js';
import {planScreen} from './plan.js';
import {pointsScreen} from './points.js';
import {progressScreen} from './progress.js';
import {reposScreen} from './repos.js';
import {sessionScreen} from './session.js';
import {restoreScreen} from './restore.js';
import {restoreBrowseScreen} from './restore-browse.js';
import {restoreRunScreen} from './restore-run.js';
import {auditScreen} from './audit.js';
import {detailScreen} from './detail.js';
import {jobsScreen} from './jobs.js';
import {jobFormScreen} from './job-form.js';
import {exploreMailScreen} from './explore-mail.js';
import {exploreSqliteScreen} from './explore-sqlite.js';

export {defineScreen, type Screen, type ScreenProps} from './screen.js';

export type Registry = ReadonlyMap<string, Screen>;

/** A registry from screens. */
export function createRegistry(screens: readonly Screen[]): Registry {
  const map = new Map<string, Screen>();
  for (const s of screens) {
    if (map.has(s.id)) throw new Error(`Two screens share the id "${s.id}".`);
    map.set(s.id, s);
  }
  return map;
}

/** Every screen of the TUI. */
export const SCREENS: readonly Screen[] = [
  backupsScreen,
  pointsScreen,
  nodesScreen,
  planScreen,
  progressScreen,
  historyScreen,
  sessionScreen,
  reposScreen,
  restoreScreen,
  restoreBrowseScreen,
  restoreRunScreen,
  auditScreen,
  detailScreen,
  jobsScreen,
  jobFormScreen,
  exploreSqliteScreen,
  exploreMailScreen,
];
