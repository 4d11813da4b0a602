/**
 * Durations as people type them: "500ms", "5s", "10m", "2h", "1d", or a bare
 * number in a unit the caller names. One parser for the command line's
 * duration options and the values saved jobs keep as text (an RPO of "24h",
 * an interval of "1h"), so both accept and refuse the same spellings.
 */
export type DurationUnit = 'ms' | 's' | 'm' | 'h' | 'd';

export const UNIT_MS: Record<DurationUnit, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000};
export const UNIT_WORD: Record<DurationUnit, string> = {
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/;

/** The same spellings as a JSON Schema pattern (a unit required): what saved jobs hold. */
export const DURATION_PATTERN = '^[0-9]+(\\.[0-9]+)?(ms|s|m|h|d)$';

/** Milliseconds of "500ms", "5s", "10m", "2h", "1d", or of a bare number in `bare` units; undefined if it is none. */
export function parseDuration(text: string, bare: DurationUnit): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[(m[2] as DurationUnit | undefined) ?? bare];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}
