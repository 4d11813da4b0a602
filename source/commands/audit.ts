/**
 * `backhaul audit --repo R [--json] [--verify [--allow-unanchored]]`: shows
 * the repository's audit log (delegated restores, grants, policy changes) or
 * checks its hash chain against this host's anchors, and says where they are.
 * Needs the audit.read privilege (admins and restore operators). Text output
 * escapes control characters, so a crafted reason or path cannot rewrite the
 * terminal.
 */
import {readAudit, verifyAudit, type AuditEntry, type AuditVerification} from '../engine/access/audit.js';
import {accessContext, requirePrivilege} from '../engine/access/authorize.js';
import {currentActor} from '../engine/access/identity.js';
import {EXIT, usageError} from '../engine/errors.js';
import {safeText} from '../engine/util/safe-text.js';
import {resolveRepository} from '../engine/workspace/open.js';
import {defineCommand, flag, str, type Command} from './command.js';
import {option} from './options.js';

const description = `Shows the audit log of repository R: every delegated restore, access grant and
revoke, and policy change, with who did it, for whom, on which backup, restore
point, node and disk, which paths, to where, why, when, how many bytes, and the
result. Oldest first.

Each entry carries the hash of the one before it, and every entry Backhaul
writes is also anchored outside the repository: its number and hash go to
/var/lib/backhaul/audit-anchors/<repository id>.jsonl when Backhaul runs as
root (also through sudo), else to $XDG_STATE_HOME/backhaul/audit-anchors/,
and one line goes to the system log (logger -t backhaul, facility auth).

--verify checks the whole chain and names every entry that was edited, deleted
(a gap in the sequence), moved or replaced, then compares the chain with this
host's anchors, which whoever can write the repository cannot reach:
  - an anchored entry with another hash: edited, and every later entry
    rewritten to match;
  - the log ending before the newest anchored entry: its tail, or every entry,
    deleted;
  - entries after the newest anchored one: not written by Backhaul on this
    host (forged, or written by another host);
  - another repository's anchors last recorded at this location: its config
    was replaced, or it was re-created here.
It exits with code 12 when it finds any, and prints where the anchors are
kept. It cannot detect what root on this host does: root can rewrite the
anchors as well (the system log copy, kept or forwarded elsewhere, is the
evidence then). Anchors are per host and per user: verify as the user who
writes the repository (root for a repository used through sudo).

A repository that several hosts write holds entries no anchor here vouches for:
--allow-unanchored accepts entries after the newest anchor of this host (they
are only counted); everything up to that anchor is still checked, since each
entry's hash covers all entries before it.

Refused delegated restores by users without the privilege are not written to
the repository: they go to refusals.jsonl beside the anchors, and to the
system log.

Needs an admin or restore operator (exit code 15 otherwise).`;

const examples = `Examples:
  backhaul audit --repo demo-secondary
  backhaul audit --repo demo-secondary --json | jq 'select(.action == "restore.delegated")'
  sudo backhaul audit --repo demo-secondary --verify
  journalctl -t backhaul`;

/** One line per entry; control, separator and bidirectional characters escaped (engine/util/safe-text.ts). */
export function describeEntry(e: AuditEntry): string {
  const parts = [`#${e.seq}`, e.time, `${e.actor.user}${e.actor.viaSudo ? ' (sudo)' : ''}`, e.action];
  if (e.change) parts.push(e.change);
  if (e.principal) parts.push(e.principal);
  else if (e.forUser) parts.push(`for ${e.forUser}`);
  if (e.backupId) parts.push(`backup ${e.backupId}${e.pointId ? `/${e.pointId}` : ''}`);
  if (e.node || e.disk) parts.push(`${e.node ?? ''}${e.disk ? `:${e.disk}` : ''}`);
  if (e.paths?.length)
    parts.push(`paths ${e.paths.length === 1 ? e.paths[0] : `${e.paths[0]} (+${e.paths.length - 1})`}`);
  if (e.destination) parts.push(`→ ${e.destination}`);
  if (e.bytes !== undefined) parts.push(`${e.bytes} bytes`);
  parts.push(e.result + (e.error ? `: ${e.error}` : ''));
  if (e.reason) parts.push(`reason "${e.reason}"`);
  return safeText(parts.join('  '));
}

function jsonReport(report: AuditVerification) {
  const a = report.anchor;
  return {
    ok: report.ok,
    entries: report.entries.length,
    head: report.head ?? null,
    problems: report.problems,
    anchor: {
      repositoryId: a.repositoryId,
      file: a.file,
      head: a.head ?? null,
      count: a.count,
      fromOtherLocations: a.fromOtherLocations,
      unanchored: a.unanchored ?? null,
      allowUnanchored: a.allowUnanchored,
      syslog: {failed: a.syslog.failed, error: a.syslog.error ?? null},
      badLines: a.badLines,
    },
  };
}

/** What the anchors say, one line each; the system log's trouble is said once. */
function anchorLines(report: AuditVerification): string[] {
  const a = report.anchor;
  const head = a.head
    ? `newest anchored entry #${a.head.seq} (${a.head.time}), hash ${a.head.hash}`
    : 'no entry of this repository anchored yet';
  const lines = [
    `Anchors: ${safeText(a.file)}: ${head}${a.fromOtherLocations ? ' (recorded while the repository was at another location)' : ''}.`,
  ];
  if (a.unanchored && a.allowUnanchored) {
    const range =
      a.unanchored.count === 1
        ? `entry ${a.unanchored.first}`
        : `${a.unanchored.count} entries (${a.unanchored.first} to ${a.unanchored.last})`;
    lines.push(`Accepted without an anchor of this host (--allow-unanchored): ${range}.`);
  }
  if (a.syslog.failed > 0)
    lines.push(
      `The system log did not receive ${a.syslog.failed} of the anchors (${safeText(a.syslog.error ?? 'unknown reason')}): the anchor file is the only copy outside the repository.`,
    );
  if (a.badLines > 0) lines.push(`${a.badLines} line(s) of the anchor file are not anchors and were ignored.`);
  return lines;
}

function printReport(out: NodeJS.WritableStream, report: AuditVerification): void {
  if (report.ok) {
    const head = report.head ? ` Newest entry #${report.head.seq}, hash ${report.head.hash}.` : '';
    out.write(
      `Audit log intact: ${report.entries.length} entries, hash chain unbroken and matching this host's anchors.${head}\n`,
    );
  } else {
    out.write(
      `Audit log damaged: ${report.problems.length} problem(s) in ${report.entries.length} readable entries.\n`,
    );
    for (const p of report.problems)
      out.write(`  ${p.seq === null ? '' : `entry ${p.seq} `}(${safeText(p.key)}): ${safeText(p.reason)}\n`);
  }
  for (const line of anchorLines(report)) out.write(line + '\n');
}

export const audit: Command = defineCommand({
  name: 'audit',
  summary: 'Show or verify the audit log of delegated restores, grants and policy changes',
  usage: 'Usage: backhaul audit --repo R [--json] [--verify [--allow-unanchored]]',
  description,
  after: examples,
  options: [
    option.text('repo', 'R', 'repository name, path or s3://bucket/prefix (required)'),
    option.flag('json', 'one JSON object per line (with --verify: one report object)'),
    option.flag('verify', 'check the hash chain and the anchors instead of listing'),
    option.flag('allow-unanchored', "with --verify: accept entries after this host's newest anchor"),
  ],
  async run(ctx, values) {
    const location = str(values, 'repo');
    if (!location) throw usageError('Missing --repo.', 'Name the repository, e.g. --repo demo-secondary.');
    const repo = await resolveRepository(location);
    const access = await accessContext(repo.storage, currentActor(), repo.codec);
    requirePrivilege(access.actor, access.role, 'audit.read');
    const json = flag(values, 'json');
    if (flag(values, 'verify')) {
      const report = await verifyAudit(repo.storage, {allowUnanchored: flag(values, 'allow-unanchored')}, repo.codec);
      if (json) ctx.out.write(JSON.stringify(jsonReport(report)) + '\n');
      else printReport(ctx.out, report);
      return report.ok ? EXIT.ok : EXIT.corrupt;
    }
    if (flag(values, 'allow-unanchored')) throw usageError('--allow-unanchored only goes with --verify.');
    const entries = await readAudit(repo.storage, repo.codec);
    for (const entry of entries) ctx.out.write((json ? JSON.stringify(entry) : describeEntry(entry)) + '\n');
    if (!json && entries.length === 0) ctx.out.write('The audit log is empty.\n');
    return 0;
  },
});
