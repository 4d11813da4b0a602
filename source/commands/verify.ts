/** `backhaul verify`: the health check (and, with --repair-from, healing from another repository): the engine's verifyJob, printed. */
import {BackhaulError} from '../engine/errors.js';
import {verifyJob} from '../engine/operations/verify.js';
import type {VerifyReport} from '../engine/repository/verify.js';
import {defineCommand, flag, str, type Command} from './command.js';
import {option} from './options.js';
import {passwordOptions} from './password.js';
import {createProgress} from './render/progress.js';
import {formatBytes, printJson, safeText} from './render/output.js';
import {openRepoArg} from './repo-arg.js';
import {sayOnStderr} from './render/notices.js';

export function describeReport(report: VerifyReport, location: string): string {
  const lines = [
    `${report.ok ? 'OK' : 'DAMAGED'}: ${location}: ${report.packs} packs, ${report.chunks} chunks, ${formatBytes(report.bytes)} read, ${report.points} restore points checked.`,
  ];
  if (report.badPacks.length)
    lines.push(`  ${report.badPacks.length} damaged pack(s): ${report.badPacks.map(p => p.slice(0, 12)).join(', ')}`);
  if (report.badChunks.length) lines.push(`  ${report.badChunks.length} damaged chunk(s)`);
  if (report.badIndexFiles.length)
    lines.push(`  ${report.badIndexFiles.length} damaged index file(s): ${report.badIndexFiles.join(', ')}`);
  for (const p of report.brokenPoints)
    lines.push(
      `  broken restore point ${p.pointId} of ${safeText(p.machine)} (backup ${p.backupId}, ${p.time}): ${p.reason}`,
    );
  if (report.openUploads.length) {
    const bytes = report.openUploads.reduce((s, u) => s + (u.bytes ?? 0), 0);
    lines.push(
      `  ${report.openUploads.length} multipart upload(s) left open (${formatBytes(bytes)} stored, invisible to a listing; the next writer aborts them):`,
    );
    for (const u of report.openUploads)
      lines.push(
        `    ${safeText(u.key)} (started ${u.initiated ? new Date(u.initiated).toISOString() : 'at an unknown time'}${u.bytes !== undefined ? `, ${formatBytes(u.bytes)}` : ''})`,
      );
  }
  return lines.join('\n') + '\n';
}

export const verify: Command = defineCommand({
  name: 'verify',
  summary: 'check every chunk and reference of a repository; name broken restore points',
  usage: 'Usage: backhaul verify --repo NAME [--repair-from SOURCE] [--json]',
  description: `Reads every pack, checks every pack and chunk against its SHA-256, and checks
that every restore point's references resolve. Names each broken restore point
and exits with code 12 if any is damaged. On object storage it also lists the
multipart uploads left open under the repository (a writer killed mid-upload:
stored bytes no listing shows); they are not damage, and the next writer aborts
them.`,
  options: [
    passwordOptions.file,
    option.text('repo', 'NAME', 'repository name, path or s3:// URL'),
    option.text(
      'repair-from',
      'SOURCE',
      'heal: re-copy only the damaged or missing chunks from SOURCE (e.g. the primary of a copy), then verify again',
    ),
    option.flag('json', 'print the report as JSON'),
  ],
  async run(ctx, values) {
    const json = flag(values, 'json');
    const view = createProgress(ctx.err, json);
    const repo = await openRepoArg(str(values, 'repo'), '--repo', json ? sayOnStderr(ctx) : line => view.log(line));
    const onProgress = (p: {packsDone: number; packsTotal: number}) =>
      view.update('verify', {label: 'verify', done: p.packsDone, total: p.packsTotal, detail: 'packs', unit: 'items'});
    const source = str(values, 'repair-from');
    const {report, repaired} = await verifyJob(repo, {signal: ctx.signal, onProgress, repairFrom: source});
    view.stop();
    if (json) printJson(ctx, {...report, badChunks: report.badChunks.length, ...(repaired ? {repaired} : {})});
    else ctx.out.write(describeReport(report, repo.location));
    if (!report.ok)
      throw new BackhaulError(
        'corrupt',
        `${repo.location} has ${report.brokenPoints.length} broken restore point(s).`,
        source
          ? 'The source could not supply every damaged chunk.'
          : 'Heal it from another copy with `backhaul verify --repo TARGET --repair-from SOURCE`.',
      );
    return 0;
  },
});
