/**
 * `backhaul audit --repo R [--json] [--verify]`: shows the repository's audit
 * log (delegated restores, grants, policy changes) or checks its hash chain.
 * Needs the audit.read privilege (admins and restore operators). Text output
 * escapes control characters, so a crafted reason or path cannot rewrite the
 * terminal.
 */
import {readAudit, verifyAudit, type AuditEntry} from '../engine/access/audit.js';
import {accessContext, requirePrivilege} from '../engine/access/authorize.js';
import {currentActor} from '../engine/access/identity.js';
import {EXIT, usageError} from '../engine/errors.js';
import {resolveRepository} from '../engine/repository/open.js';
import {defineCommand, flag, str, type Command} from './command.js';
import {option} from './options.js';

const description = `Shows the audit log of repository R: every delegated restore, access grant and
revoke, and policy change, with who did it, for whom, on which backup, restore
point, node and disk, which paths, to where, why, when, how many bytes, and the
result. Oldest first.

Each entry carries the hash of the one before it. --verify checks the whole
chain and names every entry that was edited, deleted (a gap in the sequence),
moved or replaced; it exits with code 12 when it finds any. It prints the hash
of the newest entry: keep it somewhere else, and a later --verify that shows a
different head for the same entry number means the log was rewritten.

Needs an admin or restore operator (exit code 15 otherwise).`;

const examples = `Examples:
  backhaul audit --repo demo-secondary
  backhaul audit --repo demo-secondary --json | jq 'select(.action == "restore.delegated")'
  backhaul audit --repo demo-secondary --verify`;

/** Control characters (C0, C1, line/paragraph separators, bidi overrides) shown as escapes. */
export function safeText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

export function describeEntry(e: AuditEntry): string {
  const parts = [`#${e.seq}`, e.time, `${e.actor.user}${e.actor.viaSudo ? ' (sudo)' : ''}`, e.action];
  if (e.change) parts.push(e.change);
  if (e.principal) parts.push(e.principal);
  else if (e.forUser) parts.push(`for ${e.forUser}`);
  if (e.backupId) parts.push(`backup ${e.backupId}${e.pointId ? `/${e.pointId}` : ''}`);
  if (e.node || e.disk) parts.push(`${e.node ?? ''}${e.disk ? `:${e.disk}` : ''}`);
  if (e.paths?.length) parts.push(`paths ${e.paths.length === 1 ? e.paths[0] : `${e.paths[0]} (+${e.paths.length - 1})`}`);
  if (e.destination) parts.push(`→ ${e.destination}`);
  if (e.bytes !== undefined) parts.push(`${e.bytes} bytes`);
  parts.push(e.result + (e.error ? `: ${e.error}` : ''));
  if (e.reason) parts.push(`reason "${e.reason}"`);
  return safeText(parts.join('  '));
}

export const audit: Command = defineCommand({
  name: 'audit',
  summary: 'Show or verify the audit log of delegated restores, grants and policy changes',
  usage: 'Usage: backhaul audit --repo R [--json] [--verify]',
  description,
  after: examples,
  options: [
    option.text('repo', 'R', 'repository name, path or s3://bucket/prefix (required)'),
    option.flag('json', 'one JSON object per line (with --verify: one report object)'),
    option.flag('verify', 'check the hash chain instead of listing'),
  ],
  async run(ctx, values) {
    const location = str(values, 'repo');
    if (!location) throw usageError('Missing --repo.', 'Name the repository, e.g. --repo demo-secondary.');
    const repo = await resolveRepository(location);
    const access = await accessContext(repo.storage, currentActor());
    requirePrivilege(access.actor, access.role, 'audit.read');
    const json = flag(values, 'json');
    if (flag(values, 'verify')) {
      const report = await verifyAudit(repo.storage);
      if (json) {
        ctx.out.write(JSON.stringify({ok: report.ok, entries: report.entries.length, head: report.head ?? null, problems: report.problems}) + '\n');
      } else if (report.ok) {
        const head = report.head ? ` Newest entry #${report.head.seq}, hash ${report.head.hash}.` : '';
        ctx.out.write(`Audit log intact: ${report.entries.length} entries, hash chain unbroken.${head}\n`);
      } else {
        ctx.out.write(`Audit log damaged: ${report.problems.length} problem(s) in ${report.entries.length} readable entries.\n`);
        for (const p of report.problems) ctx.out.write(`  ${p.seq === null ? '' : `entry ${p.seq} `}(${safeText(p.key)}): ${p.reason}\n`);
      }
      return report.ok ? EXIT.ok : EXIT.corrupt;
    }
    const entries = await readAudit(repo.storage);
    for (const entry of entries) ctx.out.write((json ? JSON.stringify(entry) : describeEntry(entry)) + '\n');
    if (!json && entries.length === 0) ctx.out.write('The audit log is empty.\n');
    return 0;
  },
});
