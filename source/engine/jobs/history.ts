/**
 * Session history: one JSON line per copy (or restore) session under the XDG
 * data directory, newest last, so the TUI's Jobs and history screen and
 * scripts can see past results. Appends are single write(2) calls of one line.
 */
import {appendFile, mkdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import type {CopySummary} from '../copy/events.js';
import {dataDir} from './settings.js';

export interface SessionRecord {
  kind: 'copy';
  source: string;
  target: string;
  summary: CopySummary;
  log?: string[];
}

export const historyFile = () => join(dataDir(), 'history.jsonl');

export async function recordSession(session: SessionRecord): Promise<void> {
  await mkdir(dataDir(), {recursive: true, mode: 0o700});
  await appendFile(historyFile(), JSON.stringify(session) + '\n', {mode: 0o600});
}

export async function readHistory(): Promise<SessionRecord[]> {
  const text = await readFile(historyFile(), 'utf8').catch(() => '');
  const sessions: SessionRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      sessions.push(JSON.parse(line) as SessionRecord);
    } catch {
      // A torn last line (killed mid-write) is skipped, not fatal.
    }
  }
  return sessions;
}
