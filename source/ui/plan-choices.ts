/**
 * What the copy plan remembers per source repository: the target last picked
 * and the points scope (latest or all), in one small JSON file in the data
 * directory (`$XDG_DATA_HOME/backhaul/plan-choices.json`, mode 0600), so the
 * next plan from that source opens on them instead of planning against a
 * default first. Best effort by design: a missing, unreadable or damaged file
 * counts as no choice, and a failed write changes nothing but the memory.
 */
import {readFileSync} from 'node:fs';
import {mkdir, rename, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {dataDir} from '../engine/workspace/dirs.js';

export interface PlanChoice {
  readonly target?: string;
  readonly points?: 'latest' | 'all';
}

/** Sources kept; the oldest choices go first beyond this. */
const MAX_SOURCES = 100;
const choicesFile = () => join(dataDir(), 'plan-choices.json');

function readAll(): Record<string, PlanChoice> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(choicesFile(), 'utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, PlanChoice>) : {};
  } catch {
    return {};
  }
}

/** The choice remembered for `source`, checked field by field (anything odd is dropped). */
export function rememberedChoice(source: string): PlanChoice {
  const all = readAll();
  const raw: unknown = Object.hasOwn(all, source) ? all[source] : undefined;
  if (!raw || typeof raw !== 'object') return {};
  const {target, points} = raw as Record<string, unknown>;
  return {
    ...(typeof target === 'string' && target.length <= 256 ? {target} : {}),
    ...(points === 'latest' || points === 'all' ? {points} : {}),
  };
}

let writing: Promise<void> = Promise.resolve();

/** Merges `choice` into what is remembered for `source`; writes are queued, each replaces the file whole. */
export function rememberChoice(source: string, choice: PlanChoice): Promise<void> {
  writing = writing
    .then(async () => {
      const all = readAll();
      const next = {...all[source], ...choice};
      delete all[source];
      const kept = Object.entries({...all, [source]: next}).slice(-MAX_SOURCES);
      await mkdir(dataDir(), {recursive: true, mode: 0o700});
      const temp = `${choicesFile()}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(Object.fromEntries(kept), null, 2) + '\n', {mode: 0o600});
      await rename(temp, choicesFile());
    })
    .catch(() => {});
  return writing;
}
