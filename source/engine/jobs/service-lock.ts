/**
 * One service per configuration: `backhaul service` holds
 * $XDG_CONFIG_HOME/backhaul/service.lock (created exclusively) while it
 * runs, naming its pid, process stamp and start time. A second service is
 * refused naming the holder; a lock whose process is gone (killed, a
 * reboot: the stamp tells a reused pid apart) is taken over.
 */
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {BackhaulError} from '../errors.js';
import {processStamp, sameProcessAlive} from '../util/process.js';
import {configDir} from '../workspace/dirs.js';

export interface ServiceHolder {
  pid: number;
  stamp?: string;
  since: string;
}

export const serviceLockFile = () => join(configDir(), 'service.lock');

export function serviceHolder(): ServiceHolder | undefined {
  try {
    const held = JSON.parse(readFileSync(serviceLockFile(), 'utf8')) as ServiceHolder;
    return sameProcessAlive(held.pid, held.stamp) ? held : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the lock for this process (see the header); returns its release. */
export function lockService(now = new Date()): () => void {
  mkdirSync(configDir(), {recursive: true, mode: 0o700});
  const mine: ServiceHolder = {pid: process.pid, stamp: processStamp(process.pid), since: now.toISOString()};
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(serviceLockFile(), JSON.stringify(mine) + '\n', {flag: 'wx', mode: 0o600});
      return () => {
        const held = (() => {
          try {
            return JSON.parse(readFileSync(serviceLockFile(), 'utf8')) as ServiceHolder;
          } catch {
            return undefined;
          }
        })();
        if (held?.pid === process.pid) rmSync(serviceLockFile(), {force: true});
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = serviceHolder();
    if (holder) {
      throw new BackhaulError(
        'locked',
        `A Backhaul service already runs for this configuration (pid ${holder.pid}, since ${holder.since}).`,
        `One service runs every job; stop that one first (\`systemctl stop backhaul\`, or \`kill ${holder.pid}\`).`,
      );
    }
    rmSync(serviceLockFile(), {force: true}); // its process is gone
  }
  throw new BackhaulError('locked', 'The service lock could not be taken.', 'Try again in a moment.');
}
