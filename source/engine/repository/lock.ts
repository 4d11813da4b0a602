/**
 * The writer lock: one object `locks/writer` created with putIfAbsent, so at
 * most one writer holds it on any backend. It names its holder and is
 * refreshed while held. It is stale when its process is gone (same host) or
 * when it has not been refreshed for STALE_MS (another host, object storage);
 * a stale lock is broken only if it still holds what was judged stale.
 */
import {hostname, userInfo} from 'node:os';
import {BackhaulError} from '../errors.js';
import type {Storage} from '../storage/storage.js';
import {processAlive} from '../util/process.js';
import {parseLockInfo} from './records.js';

export const LOCK_KEY = 'locks/writer';
export const REFRESH_MS = 20_000;
export const STALE_MS = 120_000;

export interface LockInfo {
  host: string;
  pid: number;
  user: string;
  operation: string;
  time: string;
  refreshed: string;
}

export function isStale(info: LockInfo, now = Date.now()): boolean {
  if (info.host === hostname()) return !processAlive(info.pid);
  return now - Date.parse(info.refreshed) > STALE_MS;
}

export function describeHolder(info: LockInfo): string {
  return `${info.user}@${info.host} (pid ${info.pid}, ${info.operation} since ${info.time})`;
}

export class WriterLock {
  private timer?: NodeJS.Timeout;
  private constructor(private readonly storage: Storage, private info: LockInfo) {}

  static async acquire(storage: Storage, operation: string, waitMs = 0): Promise<WriterLock> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = new Date().toISOString();
      let user = 'unknown';
      try { user = userInfo().username; } catch { /* no passwd entry */ }
      const info: LockInfo = {host: hostname(), pid: process.pid, user, operation, time: now, refreshed: now};
      if (await storage.putIfAbsent(LOCK_KEY, Buffer.from(JSON.stringify(info)), {ephemeral: true})) {
        const lock = new WriterLock(storage, info);
        lock.timer = setInterval(() => void lock.refresh(), REFRESH_MS);
        lock.timer.unref();
        return lock;
      }
      const raw = await storage.get(LOCK_KEY).catch(() => undefined);
      if (!raw) continue;
      // Whatever is not a lock (garbage, null, a list) is judged stale and broken like a dead holder's.
      const held = parseLockInfo(raw) ?? {host: '?', pid: 0, user: '?', operation: '?', time: '1970-01-01T00:00:00Z', refreshed: '1970-01-01T00:00:00Z'};
      if (isStale(held)) {
        const again = await storage.get(LOCK_KEY).catch(() => undefined);
        if (again && again.equals(raw)) await storage.delete(LOCK_KEY);
        continue;
      }
      if (Date.now() >= deadline) {
        throw new BackhaulError('locked', `${storage.location} is locked by ${describeHolder(held)}.`,
          'Wait for it to finish (or pass --wait SECONDS); a lock left by a dead process is broken automatically.');
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private async refresh(): Promise<void> {
    const raw = await this.storage.get(LOCK_KEY).catch(() => undefined);
    const held = raw ? parseLockInfo(raw) : undefined;
    if (!held || held.pid !== this.info.pid || held.time !== this.info.time) return; // broken by someone else
    this.info = {...this.info, refreshed: new Date().toISOString()};
    await this.storage.put(LOCK_KEY, Buffer.from(JSON.stringify(this.info))).catch(() => {});
  }

  async release(): Promise<void> {
    clearInterval(this.timer);
    const raw = await this.storage.get(LOCK_KEY).catch(() => undefined);
    if (raw && parseLockInfo(raw)?.pid === this.info.pid) await this.storage.delete(LOCK_KEY);
  }
}
