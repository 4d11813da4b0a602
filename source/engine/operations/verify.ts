/**
 * The health check, the one entry for verify: every pack and chunk against
 * its hash, every restore point's references; with a repair source, a
 * damaged repository is healed from it (copy/repair.ts: only damaged or
 * missing chunks cross) and checked again, so the report is of the
 * repository as it is after the repair.
 */
import {repairFrom, type RepairResult} from '../copy/repair.js';
import type {Repository} from '../repository/repository.js';
import {verifyRepository, type VerifyOptions, type VerifyReport} from '../repository/verify.js';
import {resolveRepository} from '../workspace/open.js';

export interface VerifyJobOptions extends VerifyOptions {
  /** A repository holding the same chunks (a copy's source), as the user named it: opened only if there is damage. */
  repairFrom?: string;
}

export interface VerifyOutcome {
  /** The last check: after the repair, when there was one. */
  report: VerifyReport;
  repaired?: RepairResult;
}

export async function verifyJob(repo: Repository, options: VerifyJobOptions = {}): Promise<VerifyOutcome> {
  const check = {signal: options.signal, onProgress: options.onProgress};
  const report = await verifyRepository(repo, check);
  if (report.ok || options.repairFrom === undefined) return {report};
  const repaired = await repairFrom(repo, await resolveRepository(options.repairFrom), report, {
    signal: options.signal,
  });
  return {report: await verifyRepository(repo, check), repaired};
}
