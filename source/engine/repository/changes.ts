/**
 * A repository's change stamp: a short text that differs whenever a restore
 * point was committed or a backup added since it was taken, cheap enough to
 * take every few seconds (a face that stays open polls it, see ui/repo-watch.ts).
 *
 * What it reads, and why that is enough: every commit writes the backup's
 * record (`backups/<id>/backup.json`) and then the point's manifest, under
 * the writer's lock, which goes away only after the manifest is written
 * (FORMAT.md, write order and locking). So the stamp holds each backup
 * record's size and time, then the locks there are (version 1's one, or
 * every writer's lock file of version 2, and their times):
 * data read after a stamp was taken holds every point committed before it,
 * and a commit under way then (its record rewritten or not yet) changes the
 * stamp again, by its record or when its lock goes. On a storage that lists directories (a local or NFS
 * directory) that is one listing and one stat per backup; elsewhere (object
 * storage) the listing of every backup's keys, which is what listing the
 * backups costs there anyway.
 */
import type {ObjectInfo, ReadableStorage} from '../storage/storage.js';
import {mapLimit} from '../util/concurrency.js';
import {LOCK_FILE, LOCK_KEY} from './lock-info.js';

export async function changeStamp(storage: ReadableStorage): Promise<string> {
  const parts: string[] = [];
  const stamp = (info: ObjectInfo | undefined) => (info ? `${info.size}@${info.mtimeMs ?? '?'}` : '-');
  if (storage.listDirectories) {
    const names = await storage.listDirectories('backups/');
    const records = await mapLimit(names, 16, name => storage.stat(`backups/${name}/backup.json`));
    names.forEach((name, i) => parts.push(`${name} ${stamp(records[i])}`));
  } else {
    let keys = 0;
    let newest = 0;
    for await (const info of storage.list('backups/')) {
      keys++;
      newest = Math.max(newest, info.mtimeMs ?? 0);
    }
    parts.push(`${keys} keys, newest ${newest}`);
  }
  // The locks last: a record already rewritten by a commit still under way is seen with its lock, which then goes.
  const locks: string[] = [];
  for await (const info of storage.list('locks/')) {
    if (info.key === LOCK_KEY || LOCK_FILE.test(info.key)) locks.push(`${info.key} ${stamp(info)}`);
  }
  parts.push(`locks ${locks.sort().join(', ') || '-'}`);
  return parts.join('\n');
}
