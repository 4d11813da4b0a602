/**
 * A saved job's health check, as one run (operations/job-run.ts): the
 * target is verified — every pack and chunk against its hash, every restore
 * point's references (operations/verify.ts; the whole target, which holds
 * the points the job wrote and whatever else shares their chunks) — and
 * damage is repaired from the job's source (only damaged or missing chunks
 * cross), then checked again. Recorded in the history as a `health`
 * session: ok, points checked, points found broken, what was repaired, what
 * could not be.
 */
import {EXIT} from '../errors.js';
import {emptySummary, type HealthResult} from '../jobs/history.js';
import {resolveRepository} from '../workspace/open.js';
import type {RunEnd, RunReporter} from './job-run.js';
import {verifyJob} from './verify.js';

export async function runHealthCheck(r: RunReporter, signal: AbortSignal, startedAt: string): Promise<RunEnd> {
  const spec = r.spec;
  r.phase('health check');
  r.say('info', `Health check of ${spec.target}, repairing from ${spec.source}.`);
  const target = await resolveRepository(spec.target);
  let lastPct = -1;
  const outcome = await verifyJob(target, {
    signal,
    repairFrom: spec.source,
    onProgress: ({packsDone, packsTotal}) => {
      const pct = packsTotal > 0 ? Math.floor((packsDone / packsTotal) * 10) : 10;
      if (pct !== lastPct)
        r.log.write({type: 'run.log', level: 'info', text: `Checked ${packsDone}/${packsTotal} packs.`});
      lastPct = pct;
    },
  });
  const health: HealthResult = {
    ok: outcome.report.ok,
    points: outcome.report.points,
    brokenPoints: outcome.report.brokenPoints.length,
    chunksRepaired: outcome.repaired?.chunksRecopied ?? 0,
    bytesRepaired: outcome.repaired?.bytesRecopied ?? 0,
    unrecoverable: outcome.repaired?.unrecoverable ?? 0,
  };
  const healed = outcome.repaired !== undefined;
  r.say(
    health.ok ? 'info' : 'error',
    health.ok
      ? `Health check passed: ${health.points} restore point(s) checked${healed ? `, ${health.chunksRepaired} chunk(s) repaired from the source` : ''}.`
      : `Health check failed: ${outcome.report.brokenPoints.length} restore point(s) still damaged, ${health.unrecoverable} chunk(s) could not be repaired.`,
  );
  const result = !health.ok ? 'failed' : healed ? 'warning' : 'success';
  const summary = emptySummary(result, startedAt, new Date().toISOString());
  summary.readBytes = outcome.report.bytes;
  return {
    result,
    exitCode: health.ok ? EXIT.ok : EXIT.corrupt,
    summary,
    source: spec.source,
    target: target.location,
    warnings: r.warnings,
    record: {health},
  };
}
