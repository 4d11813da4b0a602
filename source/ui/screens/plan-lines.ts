/**
 * The copy plan as lines of text for the plan screen: target, selection, a
 * table per backup (and per node for clusters), the byte totals (logical,
 * read, transfer, store, already present), free space and whether it fits,
 * skipped points with their reasons, and the engine's notes (the shared-disk
 * note among them), word-wrapped to the width. Pure: tested without Ink.
 */
import type {CopyPlan} from '../../engine/copy/plan.js';
import {formatBytes, formatTime, safeText} from '../format.js';
import {fit, truncate, wrapText} from '../text.js';

export type Tone = 'heading' | 'muted' | 'ok' | 'warn' | 'error' | 'accent';
export interface Line {
  readonly text: string;
  readonly tone?: Tone;
}

export interface PlanHeader {
  readonly source: string;
  readonly target: string;
  readonly targets: number;
  readonly selection: string;
  /** How points were chosen, e.g. 'latest restore point of each backup'. */
  readonly points: string;
  /** True when `p` may switch latest/all. */
  readonly scopable: boolean;
}

const row = (label: string, value: string, width: number): string => truncate(`${fit(label, 12)}${value}`, width);

export function headerLines(h: PlanHeader, width: number): Line[] {
  return [
    {
      text: row(
        'Target',
        `${safeText(h.target)}  ${h.targets > 1 ? `(t: pick another; ${h.targets} registered)` : '(the only other repository)'}`,
        width,
      ),
      tone: 'accent',
    },
    {text: row('From', safeText(h.source), width)},
    {text: row('Selection', safeText(h.selection), width)},
    {text: row('Points', `${h.points}${h.scopable ? '  (p: switch latest/all)' : ''}`, width)},
  ];
}

function table(plan: CopyPlan, width: number): Line[] {
  const nums = [5, 5, 9, 9, 9];
  const nameWidth = Math.max(10, width - nums.reduce((a, b) => a + b, 0) - nums.length);
  const cells = (name: string, values: string[]) =>
    truncate([fit(name, nameWidth), ...values.map((v, i) => fit(v, nums[i]!, 'right'))].join(' '), width);
  const lines: Line[] = [
    {text: cells('Backup / node', ['Copy', 'Skip', 'Logical', 'Transfer', 'Present']), tone: 'heading'},
  ];
  for (const b of plan.backups) {
    const copy = b.points.filter(p => p.action === 'copy').length;
    const skip = b.points.filter(p => p.action === 'skip').length; // as the plan's pointsSkipped: already there or not selected
    lines.push({
      text: cells(`${safeText(b.machine)} (${b.kind})`, [
        String(copy),
        String(skip),
        formatBytes(b.logicalBytes),
        formatBytes(b.transferBytes),
        formatBytes(b.presentBytes),
      ]),
    });
    if (b.kind === 'cluster') {
      for (const n of b.nodes)
        lines.push({
          text: cells(`  node ${safeText(n.name)}`, [
            '',
            '',
            formatBytes(n.logicalBytes),
            formatBytes(n.transferBytes),
            formatBytes(n.presentBytes),
          ]),
          tone: 'muted',
        });
    }
  }
  return lines;
}

function totals(plan: CopyPlan, width: number): Line[] {
  const line = (label: string, value: string, tone?: Tone): Line => ({
    text: truncate(`${fit(label, Math.min(48, width - 12))} ${fit(value, 11, 'right')}`, width),
    tone,
  });
  const free = plan.freeBytes === undefined ? 'unknown' : formatBytes(plan.freeBytes);
  return [
    line('Logical size (shared disks once per node)', formatBytes(plan.logicalBytes)),
    line('To read from the source', formatBytes(plan.readBytes)),
    line('To transfer (each missing chunk once)', formatBytes(plan.transferBytes)),
    line('To store on the target (with index)', formatBytes(plan.storeBytes)),
    line('Already on the target (not sent)', formatBytes(plan.presentBytes)),
    line(`Free space on the target${plan.fits ? '' : ': NOT ENOUGH'}`, free, plan.fits ? 'ok' : 'error'),
  ];
}

function skipped(plan: CopyPlan, width: number): Line[] {
  const lines: Line[] = [];
  let unselected = 0;
  for (const b of plan.backups) {
    for (const p of b.points) {
      if (p.action !== 'skip') continue;
      if (p.reason === 'not selected') unselected++;
      else
        lines.push({
          text: truncate(`  ${safeText(b.machine)}  ${formatTime(p.time)}  ${p.reason ?? 'skipped'}`, width),
          tone: 'warn',
        });
    }
  }
  if (unselected > 0)
    lines.push({text: `  ${unselected} older restore point${unselected === 1 ? '' : 's'} not selected`, tone: 'muted'});
  return lines.length > 0 ? [{text: 'Skipped restore points', tone: 'heading'}, ...lines] : [];
}

export function planLines(plan: CopyPlan, header: PlanHeader, width: number): Line[] {
  const blank: Line = {text: ''};
  const notes = plan.notes.flatMap(n => wrapText(safeText(n), width - 2).map(text => ({text: `  ${text}`})));
  const verdict: Line =
    plan.pointsToCopy === 0
      ? {text: 'Nothing to copy: every selected restore point is already on the target.', tone: 'warn'}
      : !plan.fits
        ? {
            text: `Not enough space: the copy needs about ${formatBytes(plan.storeBytes)}. Nothing will be written.`,
            tone: 'error',
          }
        : {
            text: `${plan.pointsToCopy} restore point${plan.pointsToCopy === 1 ? '' : 's'} to copy. Enter starts the copy.`,
            tone: 'ok',
          };
  return [
    ...headerLines(header, width),
    blank,
    ...table(plan, width),
    blank,
    ...totals(plan, width),
    blank,
    {...verdict, text: truncate(verdict.text, width)},
    ...(skipped(plan, width).length > 0 ? [blank, ...skipped(plan, width)] : []),
    ...(notes.length > 0 ? [blank, {text: 'Notes', tone: 'heading' as const}, ...notes] : []),
  ];
}
