/**
 * Noticing, while the TUI is open, that another process committed a restore
 * point (an agent backup, a copy from the command line) to a repository a
 * screen shows, so Backups, Restore points and the Copy plan show it within
 * seconds instead of when the screen is next opened.
 *
 * Polling, not a watch. The engine's change stamp (engine/repository/
 * changes.ts: a listing of backups/, a stat of each backup record and of the
 * writer lock) is taken every POLL_MS while such a screen is on top, and
 * only then: a few system calls every two seconds. A watch would see nothing
 * on object storage, nor changes other NFS clients make (inotify sees this
 * host's writes only), and watching every backup's points directory costs a
 * descriptor each. On object storage, where the stamp lists every backup's
 * keys, it is taken every POLL_MS_LISTING instead.
 *
 * Guarantees: the stamp is taken before the data it goes with is read, and
 * polled until it differs, so a point committed at any moment after a
 * screen's data was read is shown once the next poll sees it. Nothing runs
 * while no watching screen is on top.
 */
import {useEffect, useRef} from 'react';
import {changeStamp} from '../engine/repository/changes.js';
import {openStorage} from './repos.js';

export const POLL_MS = 2_000;
export const POLL_MS_LISTING = 15_000;

export interface Stamp {
  /** The repositories' stamps together ('?' for one that cannot be read: its screen reports why). */
  readonly text: string;
  /** How often to poll these repositories. */
  readonly every: number;
}

/** The change stamp of the named repositories, together. */
export async function stampOf(names: readonly string[]): Promise<Stamp> {
  const parts = await Promise.all(
    names.map(async name => {
      try {
        const storage = await openStorage(name);
        return {text: await changeStamp(storage), every: storage.listDirectories ? POLL_MS : POLL_MS_LISTING};
      } catch {
        return {text: '?', every: POLL_MS};
      }
    }),
  );
  return {text: parts.map(p => p.text).join('\n--\n'), every: Math.max(POLL_MS, ...parts.map(p => p.every))};
}

/**
 * While `active`, polls the stamp of `names` and calls `onChange` once it
 * differs from `loaded` (the stamp taken before the data on screen was
 * read; undefined while that data is loading: nothing is polled then).
 */
export function useChangePoll(
  names: readonly string[],
  loaded: Stamp | undefined,
  active: boolean,
  onChange: () => void,
): void {
  const latest = useRef(onChange);
  latest.current = onChange;
  const key = names.join('\0');
  useEffect(() => {
    if (!active || loaded === undefined) return;
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const now = await stampOf(names);
      if (stopped) return;
      if (now.text !== loaded.text)
        latest.current(); // the reload brings a new stamp, and with it a new poll
      else timer = setTimeout(() => void tick(), loaded.every);
    };
    timer = setTimeout(() => void tick(), loaded.every);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // `names` is keyed by its content: a fresh array with the same names must not restart the poll.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, loaded, active]);
}
