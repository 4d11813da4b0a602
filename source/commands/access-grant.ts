/**
 * `backhaul access grant|revoke --repo R --backup ID (--user U | --group G)`:
 * gives a user access to a backup (typically a copy, which is admin-only by
 * default) so they can restore from it themselves, or takes it back. Admins
 * only (exit code 15 otherwise); every change is audited.
 */
import {accessContext, requirePrivilege} from '../engine/access/authorize.js';
import {grantAccess, parsePrincipal, revokeAccess} from '../engine/access/grants.js';
import {currentActor, lookupGroup, lookupUser} from '../engine/access/identity.js';
import {usageError} from '../engine/errors.js';
import type {BackupId} from '../engine/ids.js';
import {resolveRepository} from '../engine/workspace/open.js';
import {defineCommand, flag, str, type Command} from './command.js';
import {option, type OptionDecl} from './options.js';

function options(verb: 'grant' | 'revoke'): OptionDecl[] {
  const whom = verb === 'grant' ? 'give access' : 'take access from';
  return [
    option.text('repo', 'R', 'repository name, path or s3://bucket/prefix (required)'),
    option.text('backup', 'ID', 'the backup (see `backhaul list --repo R`) (required)'),
    option.text('user', 'U', `the user to ${whom}`),
    option.text('group', 'G', `the group to ${whom}`),
    option.text('reason', 'TEXT', 'recorded in the audit log'),
    option.flag('json', 'print the result as JSON'),
  ];
}

function describe(verb: 'grant' | 'revoke'): string {
  const what =
    verb === 'grant'
      ? `Gives a user (or a group) access to one backup in repository R, so they can
see it and restore from it themselves with \`backhaul restore\`. Copies made by a
backup copy job carry no access list (only admins see them); this is how an
admin re-grants access to a copy, for example at the secondary site.`
      : `Takes back access given with \`backhaul access grant\`. When the last user or
group is removed from a copy it is admin-only again.`;
  return `${what}

Needs an admin (exit code 15 otherwise). Every ${verb} is recorded in the audit
log (\`backhaul audit --repo R\`).`;
}

function command(verb: 'grant' | 'revoke'): Command {
  return defineCommand({
    name: `access ${verb}`,
    summary:
      verb === 'grant'
        ? 'Let a user restore from a backup or copy themselves (audited)'
        : 'Take back access given with `access grant` (audited)',
    usage: `Usage: backhaul access ${verb} --repo R --backup ID (--user U | --group G) [--reason TEXT] [--json]`,
    description: describe(verb),
    options: options(verb),
    after: `Examples:
  backhaul access ${verb} --repo demo-secondary --backup b0123456789ab --user alice
  backhaul access ${verb} --repo demo-secondary --backup b0123456789ab --group finance --reason "ticket 4711"`,
    async run(ctx, values) {
      const location = str(values, 'repo');
      const backupId = str(values, 'backup');
      if (!location) throw usageError('Missing --repo.', 'Name the repository, e.g. --repo demo-secondary.');
      if (!backupId)
        throw usageError('Missing --backup.', 'Name the backup by id; `backhaul list --repo R` shows them.');
      const user = str(values, 'user');
      const group = str(values, 'group');
      if ((user === undefined) === (group === undefined)) throw usageError('Give exactly one of --user or --group.');
      const repo = await resolveRepository(location);
      const access = await accessContext(repo.storage, currentActor(), repo.codec);
      // Refuse non-admins before looking anything up, so they learn nothing from the answer.
      requirePrivilege(access.actor, access.role, 'access.grant');
      if (verb === 'grant') {
        if (user !== undefined) lookupUser(user);
        else lookupGroup(group!);
      }
      const principal = parsePrincipal(user !== undefined ? `user:${user}` : `group:${group}`);
      const apply = verb === 'grant' ? grantAccess : revokeAccess;
      const result = await apply(repo, access, backupId as BackupId, principal, str(values, 'reason'));
      if (flag(values, 'json')) {
        ctx.out.write(
          JSON.stringify({
            backup: result.backup.id,
            access: result.backup.access,
            changed: result.changed,
            auditSeq: result.entry.seq,
          }) + '\n',
        );
        return 0;
      }
      const who = principal.replace(':', ' ');
      const now = result.backup.access === null ? 'admins only' : result.backup.access.join(', ');
      ctx.out.write(
        result.changed
          ? `${verb === 'grant' ? 'Granted' : 'Revoked'} ${who} ${verb === 'grant' ? 'access to' : 'access from'} backup ${result.backup.id} (audit entry ${result.entry.seq}). Access now: ${now}.\n`
          : `Nothing changed: ${who} ${verb === 'grant' ? 'already has' : 'has no'} access to backup ${result.backup.id}. Access: ${now}.\n`,
      );
      return 0;
    },
  });
}

export const accessGrant = command('grant');
export const accessRevoke = command('revoke');
