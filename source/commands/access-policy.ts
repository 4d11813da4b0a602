/**
 * `backhaul access policy show|add-admin|remove-admin|add-operator|remove-operator`:
 * shows or changes who administers a repository. Changing it needs the
 * policy.change privilege (admins); every change is audited.
 */
import {currentActor, lookupGroup, lookupUser} from '../engine/access/identity.js';
import {accessContext, requirePrivilege} from '../engine/access/authorize.js';
import {changePolicy, POLICY_OPS, type PolicyOp} from '../engine/access/policy-change.js';
import {DEFAULT_ADMIN_GROUP, type Policy} from '../engine/access/policy.js';
import {usageError} from '../engine/errors.js';
import {resolveRepository} from '../engine/workspace/open.js';
import {defineCommand, flag, str, type Command} from './command.js';
import {option} from './options.js';

const usage = `Usage: backhaul access policy show --repo R [--json]
       backhaul access policy add-admin|remove-admin|add-operator|remove-operator --repo R (--user U | --group G) [--reason TEXT]`;

const description = `Shows or changes the access policy kept inside repository R.

  admins     see every backup and copy, run copy jobs, restore on users' behalf,
             grant access and change this policy. Root and the owner of the
             repository's directory are always admins; by default so is the
             group "${DEFAULT_ADMIN_GROUP}".
  operators  (restore operators) see copies, restore on users' behalf and read
             the audit log, but cannot change the policy or grant access.

Everyone else sees only the backups whose access list names them or a group of
theirs. Changing the policy needs an admin (exit code 15 otherwise) and adds an
entry to the audit log.`;

const examples = `Examples:
  backhaul access policy show --repo main
  backhaul access policy add-operator --repo demo-secondary --user carol --reason "helpdesk rota"
  backhaul access policy remove-admin --repo main --group backhaul-admins --force`;

function describe(policy: Policy): string {
  const list = (xs: string[]) => (xs.length > 0 ? xs.join(', ') : '(none)');
  return [
    `admins:     users ${list(policy.admins.users)}; groups ${list(policy.admins.groups)} (plus root and the repository's owner)`,
    `operators:  users ${list(policy.operators.users)}; groups ${list(policy.operators.groups)}`,
  ].join('\n');
}

export const accessPolicy: Command = defineCommand({
  name: 'access policy',
  summary: 'Show or change who administers a repository (admins, restore operators)',
  usage,
  description,
  after: examples,
  positionals: true,
  options: [
    option.text('repo', 'R', 'repository name, path or s3://bucket/prefix (required)'),
    option.text('user', 'U', 'the user to add or remove'),
    option.text('group', 'G', 'the group to add or remove'),
    option.text('reason', 'TEXT', 'recorded in the audit log'),
    option.flag('force', 'allow removing your own admin rights'),
    option.flag('json', 'print the policy as JSON (show)'),
  ],
  async run(ctx, values, positionals) {
    const [action = 'show', ...extra] = positionals;
    if (extra.length > 0) throw usageError(`Unexpected argument "${extra[0]}".`);
    if (action !== 'show' && !POLICY_OPS.includes(action as PolicyOp)) {
      throw usageError(`Unknown policy action "${action}".`, `Use one of: show, ${POLICY_OPS.join(', ')}.`);
    }
    const location = str(values, 'repo');
    if (!location) throw usageError('Missing --repo.', 'Name the repository, e.g. --repo main.');
    const repo = await resolveRepository(location);
    const actor = currentActor();
    const access = await accessContext(repo.storage, actor, repo.codec);
    if (action === 'show') {
      if (flag(values, 'json'))
        ctx.out.write(
          JSON.stringify({policy: access.policy, you: {user: actor.user, role: access.role}}, null, 2) + '\n',
        );
      else ctx.out.write(`${describe(access.policy)}\nyou:        ${actor.user} (${access.role})\n`);
      return 0;
    }
    // Refuse non-admins before looking anything up, so they learn nothing from the answer.
    requirePrivilege(actor, access.role, 'policy.change');
    const user = str(values, 'user');
    const group = str(values, 'group');
    if ((user === undefined) === (group === undefined)) throw usageError('Give exactly one of --user or --group.');
    const adding = action.startsWith('add');
    if (user !== undefined && adding) lookupUser(user);
    if (group !== undefined && adding) lookupGroup(group);
    const principal = user !== undefined ? `user:${user}` : `group:${group}`;
    const result = await changePolicy(
      repo.storage,
      access,
      {
        op: action as PolicyOp,
        principal,
        reason: str(values, 'reason'),
        allowSelfDemotion: flag(values, 'force'),
      },
      repo.codec,
    );
    const role = action.endsWith('admin') ? 'admins' : 'operators';
    const who = principal.replace(':', ' ');
    ctx.out.write(
      result.changed
        ? `${adding ? 'Added' : 'Removed'} ${who} ${adding ? 'to' : 'from'} the ${role} (audit entry ${result.entry.seq}).\n${describe(result.policy)}\n`
        : `Nothing changed: ${who} ${adding ? 'is already among' : 'is not among'} the ${role}.\n`,
    );
    return 0;
  },
});
