/**
 * Delegated restore: an admin or restore operator restores files from a
 * backup (typically a copy, which its owner cannot see) on behalf of a user,
 * into a directory or a .tar archive that belongs to that user. Also the
 * user's own restore through sudo, which takes the same path with the caller
 * as the recipient.
 *
 * Guarantees:
 * - The privilege (`restore.delegated`) is checked before anything is read;
 *   hidden backups and points fail exactly like missing ones.
 * - A reason is required (it is asked before browsing, as in the reference
 *   system) and recorded.
 * - Everything is written with the recipient's rights, by a process that
 *   dropped to them for good (write-plan.ts): restored files belong to them
 *   (modes and mtimes kept, setuid/setgid dropped), and nothing lands where
 *   they could not write. Untrusted manifest paths are refused (plan.ts).
 * - Nobody but root restores for root: the recipient is checked by uid.
 * - Every run that passed the privilege check appends exactly one audit
 *   entry — ok, failed (with the error) or cancelled — with who, for whom,
 *   backup, point, node/disk, paths, destination, reason, start/end and bytes.
 *   Refused attempts (no privilege) go to the refusals log in the state
 *   directory and to syslog instead (access/refusals.ts).
 */
import {lstat} from 'node:fs/promises';
import {join, resolve} from 'node:path';
import {appendAudit, type AuditAction, type AuditEntry} from '../access/audit.js';
import {getVisibleBackup, getVisiblePoint, requirePrivilege, type AccessContext} from '../access/authorize.js';
import {lookupUser, type UserDb} from '../access/identity.js';
import {openAnchors} from '../access/anchors.js';
import {recordRefusal} from '../access/refusals.js';
import {BackhaulError, denied, usageError} from '../errors.js';
import type {BackupId, PointId} from '../ids.js';
import type {BackupRecord, PointManifest} from '../repository/model.js';
import type {Repository} from '../repository/repository.js';
import {planRestore} from './plan.js';
import {restorePlan, type Destination, type RestoreProgress} from './restore.js';
import {checkCanWriteAs, type Writer} from './write-plan.js';

export type {Destination, RestoreProgress} from './restore.js';

export interface DelegatedRequest {
  backupId: string;
  /** A point id or 'latest'. */
  pointId: string;
  node?: string;
  disk?: string;
  paths?: string[];
  forUser: string;
  reason: string;
  destination: Destination;
}

export interface RunOptions {
  signal?: AbortSignal;
  onProgress?: (p: RestoreProgress) => void;
  /** The user database for --for (tests pass their own). */
  userDb?: UserDb;
  now?: () => Date;
}

export interface DelegatedResult {
  backup: BackupRecord;
  point: PointManifest;
  files: number;
  bytes: number;
  destination: string;
  renamed: Array<[string, string]>;
  replaced: string[];
  /** Files and directories whose setuid/setgid bits were dropped (kept only when root restores for root). */
  specialDropped: number;
  audit: AuditEntry;
  /** Bytes read from the repository for files inside volume images (0 otherwise). */
  readBytes: number;
  /** Entries inside images not restored (device nodes, fifos, sockets), with why. */
  skipped: string[];
}

const describe = (d: Destination) =>
  d.kind === 'tar' ? `tar:${resolve(d.path)}` : `dir:${resolve(d.path)} (${d.conflict})`;

async function pickVisiblePoint(
  repo: Repository,
  access: AccessContext,
  backup: BackupRecord,
  pointId: string,
): Promise<PointManifest> {
  if (pointId !== 'latest') return getVisiblePoint(repo, access, backup.id, pointId as PointId);
  const last = (await repo.listPoints(backup.id)).at(-1);
  if (!last) throw new BackhaulError('not-found', `Backup ${backup.id} has no restore points.`);
  return last;
}

function checkRequest(req: DelegatedRequest): void {
  if (!req.reason || req.reason.trim() === '')
    throw usageError(
      'A delegated restore needs a reason.',
      'Say why, e.g. --reason "ticket 4711: alice deleted her report".',
    );
  if (!req.destination.path) throw usageError('Missing destination.', 'Pass --to DIR or --tar FILE.');
}

export async function delegatedRestore(
  repo: Repository,
  access: AccessContext,
  req: DelegatedRequest,
  options: RunOptions = {},
): Promise<DelegatedResult> {
  try {
    requirePrivilege(access.actor, access.role, 'restore.delegated');
  } catch (e) {
    // A refusal is a probe, not a restore: it goes to the refusals log and syslog, not into root's repository.
    await recordRefusal({
      action: 'restore.delegated',
      actor: access.actor,
      repository: {id: repo.id, location: repo.storage.location},
      forUser: req.forUser,
      backupId: req.backupId,
      reason: req.reason,
      error: (e as Error).message,
    });
    throw e;
  }
  checkRequest(req);
  const info = lookupUser(req.forUser, options.userDb);
  return runAudited(repo, access, 'restore.delegated', req, {uid: info.uid, gid: info.gid, name: info.name}, options);
}

/** A user's restore of their own backup through sudo: same writer and audit, the caller is the recipient. */
export async function ownRestore(
  repo: Repository,
  access: AccessContext,
  req: Omit<DelegatedRequest, 'forUser' | 'reason'> & {reason?: string},
  options: RunOptions = {},
): Promise<DelegatedResult> {
  const a = access.actor;
  return runAudited(
    repo,
    access,
    'restore.own',
    {...req, forUser: a.user, reason: req.reason ?? ''},
    {uid: a.uid, gid: a.gid, name: a.user},
    options,
  );
}

async function runAudited(
  repo: Repository,
  access: AccessContext,
  action: AuditAction,
  req: DelegatedRequest,
  recipient: Writer,
  options: RunOptions,
): Promise<DelegatedResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  let progress: RestoreProgress = {bytesDone: 0, bytesTotal: 0, filesDone: 0, filesTotal: 0};
  let closePlan: (() => Promise<void>) | undefined;
  const base = {
    action,
    actor: access.actor,
    forUser: recipient.name,
    backupId: req.backupId.slice(0, 64),
    pointId: req.pointId.slice(0, 64),
    node: req.node,
    disk: req.disk,
    paths: req.paths?.length ? req.paths : undefined,
    destination: describe(req.destination),
    reason: req.reason || undefined,
    startedAt: startedAt.toISOString(),
  };
  try {
    // By uid, not by name: `--for 0`, `--for root` and any other name of uid 0 are all root.
    if (recipient.uid === 0 && (access.actor.uid !== 0 || access.actor.viaSudo)) {
      throw denied(
        `A delegated restore for ${recipient.name} (uid 0) would write with root's rights; only root may restore for root.`,
        'Restore for the user the files are for; root can restore its own files itself.',
      );
    }
    // No restore without its audit entry: the anchor store must take one before anything is written.
    await (await openAnchors(repo.storage)).close();
    const backup = await getVisibleBackup(repo, access, req.backupId as BackupId);
    const point = await pickVisiblePoint(repo, access, backup, req.pointId);
    base.pointId = point.id;
    checkCanWriteAs(recipient);
    const plan = await planRestore(repo, point, req);
    closePlan = plan.close;
    // Root keeps setuid/setgid only restoring for root (which only root may ask for: see above).
    const as = {writer: recipient, keepOwners: false, keepSpecial: recipient.uid === 0};
    const written = await restorePlan(repo, plan, req.destination, as, {
      signal: options.signal,
      now,
      onProgress: p => {
        progress = p;
        options.onProgress?.(p);
      },
    });
    const audit = await appendAudit(
      repo.storage,
      {
        ...base,
        disk: base.disk ?? (plan.disks.length === 1 ? plan.disks[0]!.split(':')[1] : undefined),
        result: 'ok',
        endedAt: now().toISOString(),
        bytes: written.bytes,
      },
      now,
      repo.codec,
    );
    return {
      backup,
      point,
      files: written.files,
      bytes: written.bytes,
      destination: written.destination,
      renamed: written.renamed,
      replaced: written.replaced,
      specialDropped: written.specialDropped,
      audit,
      readBytes: plan.readBytes(),
      skipped: plan.skipped,
    };
  } catch (e) {
    const result = e instanceof BackhaulError && e.code === 'cancelled' ? 'cancelled' : 'failed';
    await appendAudit(
      repo.storage,
      {...base, result, endedAt: now().toISOString(), bytes: progress.bytesDone, error: (e as Error).message},
      now,
      repo.codec,
    ).catch(() => undefined);
    throw e;
  } finally {
    await closePlan?.();
  }
}

/**
 * How many of the files a restore would write already exist at `root` (a
 * preview, so a screen can offer Keep or Overwrite before it starts; the
 * restore itself checks again as the recipient).
 */
export async function countExisting(
  repo: Repository,
  access: AccessContext,
  req: Pick<DelegatedRequest, 'backupId' | 'pointId' | 'node' | 'disk' | 'paths'>,
  root: string,
): Promise<number> {
  const backup = await getVisibleBackup(repo, access, req.backupId as BackupId);
  const point = await pickVisiblePoint(repo, access, backup, req.pointId);
  const plan = await planRestore(repo, point, req);
  await plan.close();
  let found = 0;
  for (const e of plan.entries) {
    if (e.type === 'dir') continue;
    if (
      await lstat(join(root, ...e.parts)).then(
        () => true,
        () => false,
      )
    )
      found++;
  }
  return found;
}
